//! The BERT-tiny lab's settings: what the learner typed ([`BertForm`], text kept as typed), the
//! checked run ([`BertRunConfig`]), and the URL query that carries them
//! (`#/labs/bert?batch=32&lr=0.001&epochs=2&len=64&seed=1&train=all`).
//!
//! The defaults are those of `cargo xtask bert`, so the page and the native command train the
//! same model on the same split and can be compared figure for figure.

use nn::bert::train::BertTrainConfig;
use serde::{Deserialize, Serialize};

use crate::route::Route;
use crate::training::protocol::RunSettings;
use crate::training::text::{parse_count, parse_lr};

/// Largest batch the lab accepts (a batch of 256 sequences of 256 tokens is ~1 GB of
/// activations in this engine; 128 keeps a browser tab safe).
pub const MAX_BATCH: usize = 128;
/// Most epochs the lab accepts in one run.
pub const MAX_EPOCHS: usize = 20;
/// Largest learning rate the lab accepts.
pub const MAX_LR: f64 = 1.0;
/// The sequence lengths offered: the native command's 64, and the Groq runs' 128 and 256.
pub const LENGTHS: [usize; 3] = [64, 128, 256];
/// Fewest training sentences a run may use.
pub const MIN_TRAIN: usize = 32;

/// A checked run: everything the worker needs to reproduce it exactly.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BertRunConfig {
    pub batch_size: usize,
    pub lr: f64,
    pub n_epochs: usize,
    /// Tokens per sentence, `[CLS]` and `[SEP]` included (longer sentences lose their tail).
    pub max_len: usize,
    pub seed: u64,
    /// The first this-many training sentences, or all of them.
    pub n_train: Option<usize>,
}

impl BertRunConfig {
    /// The engine's configuration for this run.
    pub fn train_config(&self) -> BertTrainConfig {
        BertTrainConfig {
            batch_size: self.batch_size,
            n_epochs: self.n_epochs,
            seed: self.seed,
            ..BertTrainConfig::bert_tiny(self.lr as f32)
        }
    }

    /// The form that shows this run.
    pub fn to_form(&self) -> BertForm {
        BertForm {
            batch: self.batch_size.to_string(),
            lr: crate::training::mnist::config::format_lr(self.lr),
            epochs: self.n_epochs.to_string(),
            len: self.max_len.to_string(),
            seed: self.seed.to_string(),
            train: self.n_train.map_or("all".into(), |n| n.to_string()),
        }
    }
}

impl RunSettings for BertRunConfig {
    /// "batch 32 · lr 0.001 · 2 epochs · length 64 · seed 1 · all sentences".
    fn summary(&self) -> String {
        format!(
            "batch {} · lr {} · {} epoch{} · length {} · seed {} · {}",
            self.batch_size,
            crate::training::mnist::config::format_lr(self.lr),
            self.n_epochs,
            if self.n_epochs == 1 { "" } else { "s" },
            self.max_len,
            self.seed,
            self.n_train
                .map_or("all sentences".into(), |n| format!("{n} sentences"))
        )
    }

    fn n_epochs(&self) -> usize {
        self.n_epochs
    }
}

/// A form field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BertField {
    Batch,
    Lr,
    Epochs,
    Len,
    Seed,
    Train,
}

impl BertField {
    pub const ALL: [BertField; 6] = [
        Self::Batch,
        Self::Lr,
        Self::Epochs,
        Self::Len,
        Self::Seed,
        Self::Train,
    ];

    /// The URL query key, also the control's `data-testid` suffix.
    pub fn key(self) -> &'static str {
        match self {
            Self::Batch => "batch",
            Self::Lr => "lr",
            Self::Epochs => "epochs",
            Self::Len => "len",
            Self::Seed => "seed",
            Self::Train => "train",
        }
    }
}

/// The settings as typed (or read from the URL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BertForm {
    pub batch: String,
    pub lr: String,
    pub epochs: String,
    pub len: String,
    pub seed: String,
    pub train: String,
}

impl Default for BertForm {
    /// `cargo xtask bert`'s defaults: batch 32, lr 0.001, 2 epochs, length 64, seed 1, every
    /// training sentence.
    fn default() -> Self {
        Self {
            batch: "32".into(),
            lr: "0.001".into(),
            epochs: "2".into(),
            len: "64".into(),
            seed: "1".into(),
            train: "all".into(),
        }
    }
}

/// One field's problem, as a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BertFieldError {
    pub field: BertField,
    pub message: String,
}

impl BertForm {
    /// The form for a URL query; missing keys take the defaults, unknown keys are ignored.
    pub fn from_query(query: &[(String, String)]) -> Self {
        let mut form = Self::default();
        for (key, value) in query {
            if let Some(field) = BertField::ALL.into_iter().find(|f| f.key() == key) {
                *form.field_mut(field) = value.clone();
            }
        }
        form
    }

    /// The text of `field`.
    pub fn field(&self, field: BertField) -> &str {
        match field {
            BertField::Batch => &self.batch,
            BertField::Lr => &self.lr,
            BertField::Epochs => &self.epochs,
            BertField::Len => &self.len,
            BertField::Seed => &self.seed,
            BertField::Train => &self.train,
        }
    }

    fn field_mut(&mut self, field: BertField) -> &mut String {
        match field {
            BertField::Batch => &mut self.batch,
            BertField::Lr => &mut self.lr,
            BertField::Epochs => &mut self.epochs,
            BertField::Len => &mut self.len,
            BertField::Seed => &mut self.seed,
            BertField::Train => &mut self.train,
        }
    }

    /// A copy with `field` set to `value`.
    pub fn with_field(&self, field: BertField, value: &str) -> Self {
        let mut next = self.clone();
        *next.field_mut(field) = value.to_string();
        next
    }

    /// The address of the lab with these settings (as typed, so a link keeps them).
    pub fn href(&self) -> String {
        let query = crate::query::write(
            BertField::ALL
                .iter()
                .map(|&f| (f.key(), self.field(f).trim())),
        );
        format!(
            "{}?{query}",
            Route::Lab {
                name: "bert".into()
            }
            .href()
        )
    }

    /// Checks every field.
    ///
    /// # Errors
    /// One sentence per bad field, in form order.
    pub fn parse(&self) -> Result<BertRunConfig, Vec<BertFieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, message: String| errors.push(BertFieldError { field, message });
        let batch_size = parse_count(&self.batch, "The batch size", MAX_BATCH)
            .map_err(|m| fail(BertField::Batch, m))
            .ok();
        let lr = parse_lr(&self.lr, MAX_LR)
            .map_err(|m| fail(BertField::Lr, m))
            .ok();
        let n_epochs = parse_count(&self.epochs, "The number of epochs", MAX_EPOCHS)
            .map_err(|m| fail(BertField::Epochs, m))
            .ok();
        let max_len = match self.len.trim().parse::<usize>() {
            Ok(n) if LENGTHS.contains(&n) => Some(n),
            _ => {
                fail(
                    BertField::Len,
                    format!(
                        "The sequence length must be 64, 128 or 256; “{}” is not one of them.",
                        self.len.trim()
                    ),
                );
                None
            }
        };
        let seed = match self.seed.trim().parse::<u64>() {
            Ok(seed) => Some(seed),
            Err(_) => {
                fail(
                    BertField::Seed,
                    format!(
                        "The seed must be a whole number from 0 to {}; “{}” is not.",
                        u64::MAX,
                        self.seed.trim()
                    ),
                );
                None
            }
        };
        let n_train = match self.train.trim() {
            "all" | "" => Some(None),
            text => match text.parse::<usize>() {
                Ok(n) if n >= MIN_TRAIN => Some(Some(n)),
                _ => {
                    fail(
                        BertField::Train,
                        format!(
                            "Training sentences: “all”, or a number of at least {MIN_TRAIN}; “{text}” is neither."
                        ),
                    );
                    None
                }
            },
        };
        match (batch_size, lr, n_epochs, max_len, seed, n_train) {
            (
                Some(batch_size),
                Some(lr),
                Some(n_epochs),
                Some(max_len),
                Some(seed),
                Some(n_train),
            ) if errors.is_empty() => Ok(BertRunConfig {
                batch_size,
                lr,
                n_epochs,
                max_len,
                seed,
                n_train,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_native_commands() {
        let config = BertForm::default().parse().unwrap();
        let native = nn::bert::train::BertTrainConfig::bert_tiny(1e-3);
        assert_eq!(config.train_config().batch_size, native.batch_size);
        assert_eq!(config.train_config().n_epochs, native.n_epochs);
        assert_eq!(config.train_config().seed, native.seed);
        assert_eq!((config.max_len, config.n_train), (64, None));
    }

    #[test]
    fn a_link_reproduces_the_run() {
        let form = BertForm {
            train: "500".into(),
            len: "256".into(),
            lr: "0.0005".into(),
            ..BertForm::default()
        };
        let href = form.href();
        assert_eq!(
            href,
            "#/labs/bert?batch=32&lr=0.0005&epochs=2&len=256&seed=1&train=500"
        );
        let query = crate::query::parse(href.split_once('?').unwrap().1);
        let back = BertForm::from_query(&query);
        assert_eq!(back, form);
        let config = back.parse().unwrap();
        assert_eq!(config.to_form().parse(), Ok(config));
        assert_eq!(config.n_train, Some(500));
        assert_eq!(
            config.summary(),
            "batch 32 · lr 0.0005 · 2 epochs · length 256 · seed 1 · 500 sentences"
        );
    }

    #[test]
    fn bad_values_get_a_sentence_beside_their_field() {
        let form = BertForm {
            batch: "0".into(),
            lr: "fast".into(),
            len: "100".into(),
            train: "10".into(),
            ..BertForm::default()
        };
        let errors = form.parse().unwrap_err();
        let fields: Vec<BertField> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                BertField::Batch,
                BertField::Lr,
                BertField::Len,
                BertField::Train
            ]
        );
        assert_eq!(
            errors[2].message,
            "The sequence length must be 64, 128 or 256; “100” is not one of them."
        );
        let too_big = BertForm {
            batch: "4096".into(),
            ..BertForm::default()
        };
        assert!(
            too_big.parse().unwrap_err()[0]
                .message
                .contains("at most 128")
        );
    }
}
