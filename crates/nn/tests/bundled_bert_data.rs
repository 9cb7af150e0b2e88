//! The BERT lab's data committed in `public/data/` is exactly what its README describes.

use nn::text_data::read_labelled_tsv;
use nn::tokenizer::WordPiece;
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

#[test]
fn the_vocabulary_is_bert_base_uncased() {
    let bytes = read("bert-base-uncased-vocab.txt");
    assert_eq!(bytes.len(), 231_508);
    assert_eq!(
        sha256_hex(&bytes),
        "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
    );
    let vocab = WordPiece::from_vocab_txt(std::str::from_utf8(&bytes).unwrap()).unwrap();
    assert_eq!(vocab.vocab_size(), 30_522);
    assert_eq!(
        (
            vocab.pad_id,
            vocab.unk_id,
            vocab.cls_id,
            vocab.sep_id,
            vocab.mask_id
        ),
        (0, 100, 101, 102, 103)
    );
}

#[test]
fn the_sentiment_splits_match_their_checksums_and_counts() {
    for (name, sha, n, n_positive) in [
        (
            "sentiment-train.tsv.gz",
            "d6022ca9d3b15e19f597e2a5a297cf1fe0d8d90cca87a153a5ef15ce32903873",
            8056,
            4013,
        ),
        (
            "sentiment-test.tsv.gz",
            "53975a39a68c3be00582139cdff88e9070e5d474d1cf96d69b1811e1425eff97",
            2014,
            982,
        ),
    ] {
        let bytes = read(name);
        assert_eq!(sha256_hex(&bytes), sha, "{name} changed");
        let rows = read_labelled_tsv(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rows.len(), n, "{name}");
        assert_eq!(
            rows.iter().filter(|r| r.label == 1).count(),
            n_positive,
            "{name}"
        );
    }
}

#[test]
fn the_brown_subset_matches_its_checksum() {
    let bytes = read("brown-subset.txt");
    assert_eq!(
        sha256_hex(&bytes),
        "d8928c439ada936f1a5d505119deccbb3c00aa8f21b39f1dbfff198f63a68648"
    );
    let text = std::str::from_utf8(&bytes).unwrap();
    assert_eq!(text.lines().count(), 3558);
    assert!(!text.contains("/at "), "part-of-speech tags are stripped");
}
