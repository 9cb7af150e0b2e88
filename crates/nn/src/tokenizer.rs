//! BERT's uncased WordPiece tokenizer, as Hugging Face's `BertWordPieceTokenizer` (lowercase,
//! strip accents, clean text, CJK handling) over a `vocab.txt`:
//!
//! 1. **Clean**: drop NUL, U+FFFD and control/format/unassigned characters (general category
//!    C*, except tab, newline and carriage return); every whitespace character becomes a space.
//! 2. **CJK**: each CJK ideograph gets spaces around it, so it is a word of its own.
//! 3. **Strip accents**: Unicode NFD, then drop nonspacing marks (category Mn).
//! 4. **Lowercase** (Unicode `to_lowercase`).
//! 5. **Pre-tokenize**: split on whitespace; every punctuation character (ASCII punctuation or
//!    Unicode P*) is a word of its own.
//! 6. **WordPiece**: greedy longest-match-first, continuation pieces prefixed `##`; a word of
//!    more than 100 characters, or one that cannot be covered, is `[UNK]`.
//!
//! [`WordPiece::encode`] adds `[CLS] … [SEP]`, truncates and pads to a chosen length, and gives
//! the attention mask and segment ids. A native test checks it id for id against the
//! `tokenizers` crate on more than 10,000 sentences.

use std::collections::HashMap;

use unicode_categories::UnicodeCategories;
use unicode_normalization::UnicodeNormalization;

/// Words longer than this many characters are `[UNK]` (BERT's `max_input_chars_per_word`).
pub const MAX_WORD_CHARS: usize = 100;

/// A vocabulary that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VocabError {
    /// A token the tokenizer needs is missing.
    #[error("the vocabulary has no {0} token")]
    MissingSpecial(&'static str),
    /// The same token on two lines.
    #[error("line {line}: token `{token}` already appeared")]
    Duplicate {
        /// Line (from 1).
        line: usize,
        /// The token.
        token: String,
    },
    /// More tokens than ids.
    #[error("the vocabulary has more than 2^32 tokens")]
    TooLarge,
}

/// The WordPiece tokenizer and its vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordPiece {
    ids: HashMap<String, u32>,
    tokens: Vec<String>,
    /// `[PAD]`.
    pub pad_id: u32,
    /// `[UNK]`.
    pub unk_id: u32,
    /// `[CLS]`.
    pub cls_id: u32,
    /// `[SEP]`.
    pub sep_id: u32,
    /// `[MASK]`.
    pub mask_id: u32,
}

/// One encoded sentence (or pair), padded to a fixed length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoding {
    /// `[CLS] tokens [SEP]` then `[PAD]`s, `max_len` ids.
    pub ids: Vec<u32>,
    /// 1 for real tokens, 0 for padding.
    pub attention_mask: Vec<u8>,
    /// 0 for the first sentence (with `[CLS]` and its `[SEP]`), 1 for the second, 0 on padding.
    pub segment_ids: Vec<u8>,
    /// Real tokens (the mask's ones).
    pub n_tokens: usize,
}

impl WordPiece {
    /// Reads a `vocab.txt`: one token per line, the id is the line number from 0.
    ///
    /// # Errors
    /// A duplicate token or a missing `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]` or `[MASK]`.
    pub fn from_vocab_txt(text: &str) -> Result<Self, VocabError> {
        let mut ids = HashMap::new();
        let mut tokens = Vec::new();
        for (idx, line) in text.lines().enumerate() {
            let token = line.trim_end_matches('\r').to_string();
            let id = u32::try_from(idx).map_err(|_| VocabError::TooLarge)?;
            if ids.insert(token.clone(), id).is_some() {
                return Err(VocabError::Duplicate {
                    line: idx + 1,
                    token,
                });
            }
            tokens.push(token);
        }
        let special = |name: &'static str| {
            ids.get(name)
                .copied()
                .ok_or(VocabError::MissingSpecial(name))
        };
        Ok(Self {
            pad_id: special("[PAD]")?,
            unk_id: special("[UNK]")?,
            cls_id: special("[CLS]")?,
            sep_id: special("[SEP]")?,
            mask_id: special("[MASK]")?,
            ids,
            tokens,
        })
    }

    /// Tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The id of a token, if it is in the vocabulary.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// The token of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// Steps 1–4: clean, space out CJK, strip accents, lowercase.
    pub fn normalize(text: &str) -> String {
        let mut cleaned = String::with_capacity(text.len());
        for c in text.chars() {
            if c == '\0' || c == '\u{fffd}' || is_control(c) {
                continue;
            }
            if is_whitespace(c) {
                cleaned.push(' ');
            } else if is_cjk(c) {
                cleaned.push(' ');
                cleaned.push(c);
                cleaned.push(' ');
            } else {
                cleaned.push(c);
            }
        }
        cleaned
            .nfd()
            .filter(|c| !c.is_mark_nonspacing())
            .flat_map(char::to_lowercase)
            .collect()
    }

    /// Step 5: words and punctuation marks of a normalised text.
    pub fn pre_tokenize(normalized: &str) -> Vec<&str> {
        let mut words = Vec::new();
        for chunk in normalized.split(char::is_whitespace) {
            let mut start = 0;
            for (at, c) in chunk.char_indices() {
                if is_punctuation(c) {
                    if start < at {
                        words.push(&chunk[start..at]);
                    }
                    words.push(&chunk[at..at + c.len_utf8()]);
                    start = at + c.len_utf8();
                }
            }
            if start < chunk.len() {
                words.push(&chunk[start..]);
            }
        }
        words
    }

    /// Step 6 for one word: its piece ids, appended to `out`.
    fn word_ids(&self, word: &str, out: &mut Vec<u32>) {
        if word.chars().count() > MAX_WORD_CHARS {
            out.push(self.unk_id);
            return;
        }
        let first = out.len();
        let mut start = 0;
        let mut candidate = String::with_capacity(word.len() + 2);
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while start < end {
                candidate.clear();
                if start > 0 {
                    candidate.push_str("##");
                }
                candidate.push_str(&word[start..end]);
                if let Some(&id) = self.ids.get(&candidate) {
                    found = Some(id);
                    break;
                }
                end -= word[start..end]
                    .chars()
                    .next_back()
                    .map_or(1, char::len_utf8);
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(first);
                    out.push(self.unk_id);
                    return;
                }
            }
        }
    }

    /// The token ids of a text, without special tokens.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        let normalized = Self::normalize(text);
        let mut ids = Vec::new();
        for word in Self::pre_tokenize(&normalized) {
            self.word_ids(word, &mut ids);
        }
        ids
    }

    /// The tokens of a text (for display), without special tokens.
    pub fn tokenize(&self, text: &str) -> Vec<&str> {
        self.token_ids(text)
            .into_iter()
            .filter_map(|id| self.id_to_token(id))
            .collect()
    }

    /// `[CLS] text [SEP]`, truncated to `max_len` ids (the text loses its tail), not padded.
    /// With `max_len` below 2 the result is still `[CLS] [SEP]`.
    pub fn encode_unpadded(&self, text: &str, max_len: usize) -> Vec<u32> {
        let mut ids = self.token_ids(text);
        ids.truncate(max_len.saturating_sub(2));
        let mut out = Vec::with_capacity(ids.len() + 2);
        out.push(self.cls_id);
        out.extend(ids);
        out.push(self.sep_id);
        out
    }

    /// `[CLS] text [SEP]`, truncated and padded to exactly `max_len` (at least 2).
    pub fn encode(&self, text: &str, max_len: usize) -> Encoding {
        let ids = self.encode_unpadded(text, max_len);
        let n_segment_a = ids.len();
        self.pad(ids, n_segment_a, max_len)
    }

    /// `[CLS] a [SEP] b [SEP]` with segment ids 0 then 1, truncated longest-first (one token at
    /// a time from the longer sentence, as Hugging Face's `longest_first`) and padded to `max_len`.
    pub fn encode_pair(&self, a: &str, b: &str, max_len: usize) -> Encoding {
        let mut a = self.token_ids(a);
        let mut b = self.token_ids(b);
        let budget = max_len.saturating_sub(3);
        while a.len() + b.len() > budget {
            if a.len() > b.len() {
                a.pop();
            } else {
                b.pop();
            }
        }
        let mut ids = Vec::with_capacity(a.len() + b.len() + 3);
        ids.push(self.cls_id);
        ids.extend(a);
        ids.push(self.sep_id);
        let n_segment_a = ids.len();
        ids.extend(b);
        ids.push(self.sep_id);
        self.pad(ids, n_segment_a, max_len)
    }

    fn pad(&self, mut ids: Vec<u32>, n_segment_a: usize, max_len: usize) -> Encoding {
        let n_tokens = ids.len();
        let len = max_len.max(n_tokens);
        ids.resize(len, self.pad_id);
        Encoding {
            ids,
            attention_mask: (0..len).map(|i| u8::from(i < n_tokens)).collect(),
            segment_ids: (0..len)
                .map(|i| u8::from(i >= n_segment_a && i < n_tokens))
                .collect(),
            n_tokens,
        }
    }
}

fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

/// The CJK Unified Ideographs blocks BERT treats as single-character words (not Japanese kana
/// or Korean hangul, which are written with spaces).
fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> WordPiece {
        let vocab =
            "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\nhello\n!\n,\ncafe\n中\n";
        WordPiece::from_vocab_txt(vocab).unwrap()
    }

    #[test]
    fn normalises_splits_and_matches_greedily() {
        let wp = toy();
        assert_eq!(WordPiece::normalize("Café\u{200b}\tOK中x"), "cafe ok 中 x");
        assert_eq!(
            wp.tokenize("UNAFFABLE, hello!"),
            ["un", "##aff", "##able", ",", "hello", "!"]
        );
        assert_eq!(wp.tokenize("Café unx"), ["cafe", "[UNK]"]);
        assert_eq!(wp.tokenize(&"a".repeat(101)), ["[UNK]"]);
        let e = wp.encode("hello!", 6);
        assert_eq!(e.ids, [2, 8, 9, 3, 0, 0]);
        assert_eq!(e.attention_mask, [1, 1, 1, 1, 0, 0]);
        assert_eq!(e.segment_ids, [0; 6]);
        assert_eq!(wp.encode("hello hello hello", 4).ids, [2, 8, 8, 3]);
        let pair = wp.encode_pair("hello", "cafe cafe", 7);
        assert_eq!(pair.ids, [2, 8, 3, 11, 11, 3, 0]);
        assert_eq!(pair.segment_ids, [0, 0, 0, 1, 1, 1, 0]);
    }

    #[test]
    fn a_vocabulary_without_its_special_tokens_is_refused() {
        assert_eq!(
            WordPiece::from_vocab_txt("[PAD]\n[UNK]\n"),
            Err(VocabError::MissingSpecial("[CLS]"))
        );
        assert!(matches!(
            WordPiece::from_vocab_txt("a\na\n"),
            Err(VocabError::Duplicate { line: 2, .. })
        ));
    }
}
