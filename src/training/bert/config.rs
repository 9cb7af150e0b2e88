//! The BERT-tiny lab's settings: what the learner typed ([`BertForm`], text kept as typed), the
//! checked run ([`BertRunConfig`]), and the URL query that carries them
//! (`#/labs/bert?batch=32&lr=0.001&epochs=2&len=64&seed=1&train=all`).
//!
//! The defaults are those of `cargo xtask bert`, so the page and the native command train the
//! same model on the same split and can be compared figure for figure.

use nn::bert::train::BertTrainConfig;
use serde::{Deserialize, Serialize};

use crate::training::form::{Errors, FieldError, Form, LabFields, parse_seed};
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BertRunConfig {
    pub batch_size: usize,
    pub lr: f64,
    pub n_epochs: usize,
    /// Tokens per sentence, `[CLS]` and `[SEP]` included (longer sentences lose their tail).
    pub max_len: usize,
    pub seed: u64,
    /// The first this-many training sentences, or all of them.
    pub n_train: Option<usize>,
    /// Which weights training starts from.
    #[serde(default)]
    pub init: BertInit,
    /// What the run trains: the sentiment classifier, or the masked-LM objective on the corpus
    /// text (then `n_train` counts the corpus's sentences).
    #[serde(default)]
    pub objective: BertObjective,
    /// Instead of fine-tuning: masked-LM steps timed at these batch sizes (`batch_size`,
    /// `lr`, `n_epochs` and `n_train` are then unused; `max_len` is the packed length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mlm_timing: Option<super::timing::MlmTimingConfig>,
}

/// Which weights a fine-tuning run starts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BertInit {
    /// A fresh model from the seed (BERT-tiny from scratch).
    #[default]
    New,
    /// The weights in use: a weights file loaded in this lab (a pre-trained encoder such as
    /// Google's BERT-tiny, or a saved fine-tune) or the last run's model.
    Current,
}

/// What a run of the lab trains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BertObjective {
    /// The sentiment classifier on the labelled sentences (fine-tuning).
    #[default]
    Sentiment,
    /// BERT's pre-training objective on the corpus text: a demonstration, far too little text
    /// and time to reproduce pre-training.
    MaskedLm,
}

impl BertObjective {
    /// The address's word.
    pub fn key(self) -> &'static str {
        match self {
            Self::Sentiment => "sentiment",
            Self::MaskedLm => "mlm",
        }
    }
}

impl BertInit {
    /// The address's word.
    pub fn key(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Current => "current",
        }
    }
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
        BertForm::with(&[
            (BertField::Batch, &self.batch_size.to_string()),
            (
                BertField::Lr,
                &crate::training::mnist::config::format_lr(self.lr),
            ),
            (BertField::Epochs, &self.n_epochs.to_string()),
            (BertField::Len, &self.max_len.to_string()),
            (BertField::Seed, &self.seed.to_string()),
            (
                BertField::Train,
                &self.n_train.map_or("all".into(), |n| n.to_string()),
            ),
            (BertField::Init, self.init.key()),
            (BertField::Objective, self.objective.key()),
        ])
    }
}

impl RunSettings for BertRunConfig {
    /// "batch 32 · lr 0.001 · 2 epochs · length 64 · seed 1 · all sentences".
    fn summary(&self) -> String {
        if let Some(timing) = &self.mlm_timing {
            let batches: Vec<String> = timing.batches.iter().map(ToString::to_string).collect();
            return format!(
                "masked-LM timing · batches {} · length {} · {} + {} steps each · seed {}",
                batches.join(", "),
                self.max_len,
                timing.n_warmup,
                timing.n_timed,
                self.seed
            );
        }
        format!(
            "{}batch {} · lr {} · {} epoch{} · length {} · seed {} · {}{}",
            match self.objective {
                BertObjective::Sentiment => "",
                BertObjective::MaskedLm => "masked LM on the corpus · ",
            },
            self.batch_size,
            crate::training::mnist::config::format_lr(self.lr),
            self.n_epochs,
            if self.n_epochs == 1 { "" } else { "s" },
            self.max_len,
            self.seed,
            self.n_train
                .map_or("all sentences".into(), |n| format!("{n} sentences")),
            match self.init {
                BertInit::New => "",
                BertInit::Current => " · from the weights in use",
            }
        )
    }

    fn n_epochs(&self) -> usize {
        self.n_epochs
    }

    /// A masked-LM run is scored on the corpus's held-out sentences.
    fn test_set(&self) -> &'static str {
        match self.objective {
            BertObjective::Sentiment => "the test set",
            BertObjective::MaskedLm => "the held-out text",
        }
    }

    /// A masked-LM run ends with its held-out loss and how often it guessed the right piece.
    fn result(&self, last: &crate::training::protocol::EpochRow) -> String {
        match self.objective {
            BertObjective::Sentiment => crate::training::protocol::test_accuracy_result(last),
            BertObjective::MaskedLm => format!(
                "held-out masked-LM loss {}, right piece {:.1} % of the time",
                last.test_loss
                    .map_or("not finite".into(), |l| format!("{l:.2}")),
                last.test_accuracy * 100.0
            ),
        }
    }
}

/// A field of the BERT lab's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BertField {
    Batch,
    Lr,
    Epochs,
    Len,
    Seed,
    Train,
    Init,
    Objective,
}

/// The BERT lab's settings as typed (or read from the URL).
pub type BertForm = Form<BertField>;

impl LabFields for BertField {
    type Settings = BertRunConfig;
    const ALL: &'static [Self] = &[
        Self::Batch,
        Self::Lr,
        Self::Epochs,
        Self::Len,
        Self::Seed,
        Self::Train,
        Self::Init,
        Self::Objective,
    ];
    const LAB: &'static str = "bert";

    fn key(self) -> &'static str {
        match self {
            Self::Batch => "batch",
            Self::Lr => "lr",
            Self::Epochs => "epochs",
            Self::Len => "len",
            Self::Seed => "seed",
            Self::Train => "train",
            Self::Init => "init",
            Self::Objective => "objective",
        }
    }

    /// `cargo xtask bert`'s defaults: batch 32, lr 0.001, 2 epochs, length 64, seed 1, every
    /// training sentence, new weights, the sentiment classifier.
    fn default_text(self) -> &'static str {
        match self {
            Self::Batch => "32",
            Self::Lr => "0.001",
            Self::Epochs => "2",
            Self::Len => "64",
            Self::Seed => "1",
            Self::Train => "all",
            Self::Init => "new",
            Self::Objective => "sentiment",
        }
    }

    fn parse(form: &BertForm) -> Result<BertRunConfig, Vec<FieldError<Self>>> {
        let mut e = Errors::default();
        let text = |f| form.field(f).trim();
        let batch_size = e.check(
            Self::Batch,
            parse_count(text(Self::Batch), "The batch size", MAX_BATCH),
        );
        let lr = e.check(Self::Lr, parse_lr(text(Self::Lr), MAX_LR));
        let n_epochs = e.check(
            Self::Epochs,
            parse_count(text(Self::Epochs), "The number of epochs", MAX_EPOCHS),
        );
        let max_len = e.check(
            Self::Len,
            match text(Self::Len).parse::<usize>() {
                Ok(n) if LENGTHS.contains(&n) => Ok(n),
                _ => Err(format!(
                    "The sequence length must be 64, 128 or 256; “{}” is not one of them.",
                    text(Self::Len)
                )),
            },
        );
        let seed = e.check(Self::Seed, parse_seed(text(Self::Seed)));
        let n_train = e.check(
            Self::Train,
            match text(Self::Train) {
                "all" | "" => Ok(None),
                t => match t.parse::<usize>() {
                    Ok(n) if n >= MIN_TRAIN => Ok(Some(n)),
                    _ => Err(format!(
                        "Training sentences: “all”, or a number of at least {MIN_TRAIN}; “{t}” is neither."
                    )),
                },
            },
        );
        let init = e.check(
            Self::Init,
            match text(Self::Init) {
                "new" | "" => Ok(BertInit::New),
                "current" => Ok(BertInit::Current),
                t => Err(format!(
                    "Start from: “new” (random weights from the seed) or “current” (the weights in use); “{t}” is neither."
                )),
            },
        );
        let objective = e.check(
            Self::Objective,
            match text(Self::Objective) {
                "sentiment" | "" => Ok(BertObjective::Sentiment),
                "mlm" => Ok(BertObjective::MaskedLm),
                t => Err(format!(
                    "Train: “sentiment” (the classifier) or “mlm” (masked LM on the corpus); “{t}” is neither."
                )),
            },
        );
        let settings = (|| {
            Some(BertRunConfig {
                batch_size: batch_size?,
                lr: lr?,
                n_epochs: n_epochs?,
                max_len: max_len?,
                seed: seed?,
                n_train: n_train?,
                init: init?,
                objective: objective?,
                mlm_timing: None,
            })
        })();
        e.finish(settings)
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
        let form = BertForm::with(&[
            (BertField::Train, "500"),
            (BertField::Len, "256"),
            (BertField::Lr, "0.0005"),
        ]);
        let href = form.href();
        assert_eq!(
            href,
            "#/labs/bert?batch=32&lr=0.0005&epochs=2&len=256&seed=1&train=500&init=new&objective=sentiment"
        );
        let query = crate::query::parse(href.split_once('?').unwrap().1);
        let back = BertForm::from_query(&query);
        assert_eq!(back, form);
        let config = back.parse().unwrap();
        assert_eq!(config.to_form().parse(), Ok(config.clone()));
        assert_eq!(config.n_train, Some(500));
        assert_eq!(
            config.summary(),
            "batch 32 · lr 0.0005 · 2 epochs · length 256 · seed 1 · 500 sentences"
        );
    }

    #[test]
    fn bad_values_get_a_sentence_beside_their_field() {
        let form = BertForm::with(&[
            (BertField::Batch, "0"),
            (BertField::Lr, "fast"),
            (BertField::Len, "100"),
            (BertField::Train, "10"),
            (BertField::Init, "pretrained"),
            (BertField::Objective, "nsp"),
        ]);
        let errors = form.parse().unwrap_err();
        let fields: Vec<BertField> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                BertField::Batch,
                BertField::Lr,
                BertField::Len,
                BertField::Train,
                BertField::Init,
                BertField::Objective
            ]
        );
        assert_eq!(
            errors[4].message,
            "Start from: “new” (random weights from the seed) or “current” (the weights in use); “pretrained” is neither."
        );
        assert_eq!(
            errors[2].message,
            "The sequence length must be 64, 128 or 256; “100” is not one of them."
        );
        let too_big = BertForm::with(&[(BertField::Batch, "4096")]);
        assert!(
            too_big.parse().unwrap_err()[0]
                .message
                .contains("at most 128")
        );
    }
}
