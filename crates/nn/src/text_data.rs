//! Labelled sentences in the SST-2 style: one `sentence<TAB>label` per line, label `0`
//! (negative) or `1` (positive), an optional `sentence<TAB>label` header, UTF-8. Reads the
//! bundled `sentiment-*.tsv.gz` and learners' uploads alike; anything else is a [`TsvError`]
//! naming the line.

use std::io::Read;

/// A file larger than this is refused before it is read (an upload of a whole corpus).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// A line longer than this is refused (no sentence is that long; binary data often is).
pub const MAX_LINE_BYTES: usize = 4096;

/// One sentence and its class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelledSentence {
    /// The text.
    pub sentence: String,
    /// 0 negative, 1 positive.
    pub label: u8,
}

/// Why a TSV file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TsvError {
    /// Over [`MAX_FILE_BYTES`].
    #[error("the file has {n_bytes} bytes, more than the {max} this lab reads")]
    TooLarge {
        /// Size (or a lower bound for a compressed file).
        n_bytes: usize,
        /// The cap.
        max: usize,
    },
    /// Bytes that are not text.
    #[error("line {line}: this is not UTF-8 text (is it a binary file?)")]
    NotText {
        /// Line (from 1).
        line: usize,
    },
    /// Over [`MAX_LINE_BYTES`].
    #[error("line {line} is {n_bytes} bytes long, more than {max}")]
    LineTooLong {
        /// Line (from 1).
        line: usize,
        /// Its length.
        n_bytes: usize,
        /// The cap.
        max: usize,
    },
    /// Not exactly two tab-separated columns.
    #[error("line {line} has {n_columns} tab-separated columns; expected 2: sentence, tab, 0 or 1")]
    Columns {
        /// Line (from 1).
        line: usize,
        /// Columns found.
        n_columns: usize,
    },
    /// A label other than 0 or 1.
    #[error("line {line}: the label is `{label}`, not 0 or 1")]
    Label {
        /// Line (from 1).
        line: usize,
        /// What was there (at most 20 characters).
        label: String,
    },
    /// An empty sentence.
    #[error("line {line}: the sentence is empty")]
    EmptySentence {
        /// Line (from 1).
        line: usize,
    },
    /// No sentences at all.
    #[error("the file has no sentences")]
    Empty,
    /// A gzip file that does not decompress.
    #[error("the file is not valid gzip: {0}")]
    Gzip(String),
}

/// Reads a TSV file's bytes (gzip is recognised by its magic number and decompressed).
///
/// # Errors
/// See [`TsvError`]: the first problem, with its line.
pub fn read_labelled_tsv(bytes: &[u8]) -> Result<Vec<LabelledSentence>, TsvError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut text)
            .map_err(|e| TsvError::Gzip(e.to_string()))?;
        return read_plain(&text);
    }
    read_plain(bytes)
}

fn read_plain(bytes: &[u8]) -> Result<Vec<LabelledSentence>, TsvError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(TsvError::TooLarge {
            n_bytes: bytes.len(),
            max: MAX_FILE_BYTES,
        });
    }
    let mut out = Vec::new();
    for (line_idx, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line_idx + 1;
        if raw.len() > MAX_LINE_BYTES {
            return Err(TsvError::LineTooLong {
                line,
                n_bytes: raw.len(),
                max: MAX_LINE_BYTES,
            });
        }
        let text = std::str::from_utf8(raw).map_err(|_| TsvError::NotText { line })?;
        if text.contains('\0') {
            return Err(TsvError::NotText { line });
        }
        let text = text.strip_suffix('\r').unwrap_or(text);
        let text = if line == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        if text.trim().is_empty() {
            continue;
        }
        let columns: Vec<&str> = text.split('\t').collect();
        let [sentence, label] = columns[..] else {
            return Err(TsvError::Columns {
                line,
                n_columns: columns.len(),
            });
        };
        let label = label.trim();
        let label = match label {
            "0" => 0,
            "1" => 1,
            _ if line == 1 && out.is_empty() && label.eq_ignore_ascii_case("label") => continue,
            other => {
                return Err(TsvError::Label {
                    line,
                    label: other.chars().take(20).collect(),
                });
            }
        };
        let sentence = sentence.trim();
        if sentence.is_empty() {
            return Err(TsvError::EmptySentence { line });
        }
        out.push(LabelledSentence {
            sentence: sentence.to_string(),
            label,
        });
    }
    if out.is_empty() {
        return Err(TsvError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &[u8], expected: Result<usize, TsvError>) {
        assert_eq!(read_labelled_tsv(input).map(|rows| rows.len()), expected);
    }

    #[test]
    fn good_files_and_each_kind_of_bad_one() {
        check(b"sentence\tlabel\nGood.\t1\r\nBad.\t0\n\n", Ok(2));
        check(b"Good.\t1\nBad.\t0", Ok(2));
        check(
            b"Good.\t1\nBad.\n",
            Err(TsvError::Columns {
                line: 2,
                n_columns: 1,
            }),
        );
        check(
            b"Good.\t1\tx\n",
            Err(TsvError::Columns {
                line: 1,
                n_columns: 3,
            }),
        );
        check(
            b"Good.\t1\nBad.\tnegative\n",
            Err(TsvError::Label {
                line: 2,
                label: "negative".into(),
            }),
        );
        check(
            b"Good.\t2\n",
            Err(TsvError::Label {
                line: 1,
                label: "2".into(),
            }),
        );
        check(
            b"Good.\t1\n\xff\xfe\x00\x01\t0\n",
            Err(TsvError::NotText { line: 2 }),
        );
        check(b"a\0b\t1\n", Err(TsvError::NotText { line: 1 }));
        check(b" \t1\n", Err(TsvError::EmptySentence { line: 1 }));
        check(b"sentence\tlabel\n", Err(TsvError::Empty));
        let long = format!("{}\t1\n", "a".repeat(MAX_LINE_BYTES + 1));
        check(
            long.as_bytes(),
            Err(TsvError::LineTooLong {
                line: 1,
                n_bytes: MAX_LINE_BYTES + 3,
                max: MAX_LINE_BYTES,
            }),
        );
        let huge = vec![b'a'; MAX_FILE_BYTES + 1];
        check(
            &huge,
            Err(TsvError::TooLarge {
                n_bytes: MAX_FILE_BYTES + 1,
                max: MAX_FILE_BYTES,
            }),
        );
        assert!(matches!(
            read_labelled_tsv(&[0x1f, 0x8b, 1, 2, 3]),
            Err(TsvError::Gzip(_))
        ));
    }
}
