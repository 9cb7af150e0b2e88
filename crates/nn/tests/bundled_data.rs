//! The MNIST subset committed in `public/data/` is exactly what its README describes.

use nn::data::Dataset;
use sha2::{Digest, Sha256};

fn read(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../public/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One bundled split: file names, expected checksums and per-class counts.
fn check(
    images: &str,
    images_sha: &str,
    labels: &str,
    labels_sha: &str,
    class_counts: [usize; 10],
) {
    let image_bytes = read(images);
    let label_bytes = read(labels);
    assert_eq!(sha256_hex(&image_bytes), images_sha, "{images} changed");
    assert_eq!(sha256_hex(&label_bytes), labels_sha, "{labels} changed");
    let data = Dataset::from_idx(&image_bytes, &label_bytes, 10)
        .unwrap_or_else(|e| panic!("{images}: {e}"));
    assert_eq!(data.len(), class_counts.iter().sum::<usize>());
    assert_eq!(data.image_dim(), (28, 28));
    assert_eq!(data.class_counts(), class_counts.to_vec());
    // Real digits: mostly background, some ink.
    let ink = (0..data.len())
        .flat_map(|i| data.image(i).iter())
        .filter(|&&p| p > 127)
        .count();
    let ink_fraction = ink as f64 / (data.len() * 784) as f64;
    assert!(
        (0.05..0.25).contains(&ink_fraction),
        "{images}: ink fraction {ink_fraction}"
    );
}

#[test]
fn training_split_matches_its_checksums_and_counts() {
    check(
        "train-images-idx3-ubyte.gz",
        "4e33143bb883a331d32f34e518524c19fefc90b2c23c979f9673102697152852",
        "train-labels-idx1-ubyte.gz",
        "b02d513292955e2607ff03c8c5fd6cf11a57187cb78d55603c25d5656eed380e",
        [801, 902, 793, 825, 784, 691, 811, 856, 755, 782],
    );
}

#[test]
fn test_split_matches_its_checksums_and_counts() {
    check(
        "test-images-idx3-ubyte.gz",
        "aa099e73107556072702252679454392ee0d743f332e6fd76462f9014470236e",
        "test-labels-idx1-ubyte.gz",
        "ed206e84092c846033d0ec64581f3998b46ebe4a1714965855270470e19a3538",
        [200, 225, 198, 207, 196, 172, 203, 214, 189, 196],
    );
}
