//! The MNIST lab's settings: what the learner typed ([`LabForm`], kept as text so nothing is
//! lost), the checked run ([`RunConfig`]), and the URL query that carries them
//! (`#/labs/mnist?model=mlp&batch=32&lr=0.05&epochs=3&opt=sgd&seed=1&loss=ce`).
//!
//! Parsing refuses, with a sentence per field, what the engine would refuse (batch 0, a learning
//! rate that is not a positive number) and what is absurd for a browser tab (a batch above
//! [`MAX_BATCH`], more than [`MAX_EPOCHS`] epochs, a learning rate above [`MAX_LR`]).

use nn::data::Normalization;
use nn::loss::LossKind;
use nn::model::{CnnConfig, MlpConfig, ModelConfig};
use nn::optim::OptimizerConfig;
use nn::train::{DEFAULT_DIVERGENCE_THRESHOLD, TrainConfig};
use serde::{Deserialize, Serialize};

use crate::training::form::{Errors, FieldError, Form, LabFields, parse_choice, parse_seed};
use crate::training::text::{parse_count, parse_lr};

/// Largest batch the lab accepts.
pub const MAX_BATCH: usize = 1024;
/// Most epochs the lab accepts in one run.
pub const MAX_EPOCHS: usize = 100;
/// Largest learning rate the lab accepts (the Graphcore sweep's largest is 0.5).
pub const MAX_LR: f64 = 10.0;
/// Momentum of the "SGD with momentum" choice.
pub const MOMENTUM: f32 = 0.9;

/// Which network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// 784 → 128 → 10.
    Mlp,
    /// The Graphcore example's CNN.
    Cnn,
}

impl ModelKind {
    pub const ALL: [ModelKind; 2] = [Self::Mlp, Self::Cnn];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mlp => "mlp",
            Self::Cnn => "cnn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Mlp => "MLP (784 → 128 → 10)",
            Self::Cnn => "CNN of the Graphcore example",
        }
    }
}

/// Which optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Plain SGD (the Graphcore example's).
    Sgd,
    /// SGD with momentum [`MOMENTUM`].
    Momentum,
    /// Adam with the usual β and ε.
    Adam,
}

impl OptimizerKind {
    pub const ALL: [OptimizerKind; 3] = [Self::Sgd, Self::Momentum, Self::Adam];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sgd => "sgd",
            Self::Momentum => "momentum",
            Self::Adam => "adam",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Sgd => "SGD",
            Self::Momentum => "SGD with momentum 0.9",
            Self::Adam => "Adam",
        }
    }
}

/// A checked run: everything the worker needs to reproduce it exactly.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub model: ModelKind,
    pub batch_size: usize,
    pub lr: f64,
    pub n_epochs: usize,
    pub optimizer: OptimizerKind,
    pub seed: u64,
    /// The Graphcore example's loss: a softmax, then a cross-entropy that applies log-softmax
    /// again ([`LossKind::SoftmaxThenCrossEntropy`]).
    pub double_softmax: bool,
    /// Train on the first this many training digits only (the homework grid's quick runs);
    /// `None`: all of them. The test set is always whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_train: Option<usize>,
}

impl RunConfig {
    /// The Graphcore example's defaults: CNN, batch 8, SGD, lr 0.05, 10 epochs, its double
    /// softmax.
    pub fn graphcore_example() -> Self {
        Self {
            model: ModelKind::Cnn,
            batch_size: 8,
            lr: 0.05,
            n_epochs: 10,
            optimizer: OptimizerKind::Sgd,
            seed: 1,
            double_softmax: true,
            n_train: None,
        }
    }

    /// The engine's configuration for this run.
    pub fn train_config(&self) -> TrainConfig {
        let lr = self.lr as f32;
        TrainConfig {
            model: match self.model {
                ModelKind::Mlp => ModelConfig::Mlp(MlpConfig::default()),
                ModelKind::Cnn => ModelConfig::Cnn(CnnConfig::default()),
            },
            optimizer: match self.optimizer {
                OptimizerKind::Sgd => OptimizerConfig::sgd(lr),
                OptimizerKind::Momentum => OptimizerConfig::Sgd {
                    lr,
                    momentum: MOMENTUM,
                },
                OptimizerKind::Adam => OptimizerConfig::adam(lr),
            },
            loss: if self.double_softmax {
                LossKind::SoftmaxThenCrossEntropy
            } else {
                LossKind::CrossEntropy
            },
            batch_size: self.batch_size,
            n_epochs: self.n_epochs,
            seed: self.seed,
            normalization: Normalization::MNIST,
            divergence_threshold: DEFAULT_DIVERGENCE_THRESHOLD,
        }
    }

    /// Whether this run is one of the Graphcore lr sweep's (CNN, batch 8, plain SGD, double
    /// softmax), whatever its learning rate and epochs.
    pub fn is_graphcore_sweep_setting(&self) -> bool {
        self.model == ModelKind::Cnn
            && self.batch_size == 8
            && self.optimizer == OptimizerKind::Sgd
            && self.double_softmax
    }

    /// The form that shows this run.
    pub fn to_form(&self) -> LabForm {
        LabForm::with(&[
            (LabField::Model, self.model.as_str()),
            (LabField::Batch, &self.batch_size.to_string()),
            (LabField::Lr, &format_lr(self.lr)),
            (LabField::Epochs, &self.n_epochs.to_string()),
            (LabField::Optimizer, self.optimizer.as_str()),
            (LabField::Seed, &self.seed.to_string()),
            (
                LabField::Loss,
                if self.double_softmax {
                    "double-softmax"
                } else {
                    "ce"
                },
            ),
        ])
    }

    /// One line for tables: "CNN · batch 8 · SGD · lr 0.05 · 10 epochs · seed 1".
    pub fn summary(&self) -> String {
        format!(
            "{} · batch {} · {} · lr {} · {} epoch{} · seed {}{}",
            self.model.as_str().to_uppercase(),
            self.batch_size,
            self.optimizer.label(),
            format_lr(self.lr),
            self.n_epochs,
            if self.n_epochs == 1 { "" } else { "s" },
            self.seed,
            if self.double_softmax {
                " · double softmax"
            } else {
                ""
            }
        ) + &self
            .n_train
            .map_or_else(String::new, |n| format!(" · first {n} digits"))
    }
}

/// A learning rate as people write it (0.05, 0.0005, 1e-7).
pub fn format_lr(lr: f64) -> String {
    if lr != 0.0 && lr.abs() < 1e-4 {
        format!("{lr:e}")
    } else {
        // Shortest text that reads back as the same f64.
        format!("{lr}")
    }
}

/// A field of the MNIST lab's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabField {
    Model,
    Batch,
    Lr,
    Epochs,
    Optimizer,
    Seed,
    Loss,
}

/// The MNIST lab's settings as typed (or as read from the URL).
pub type LabForm = Form<LabField>;

impl LabFields for LabField {
    type Settings = RunConfig;
    const ALL: &'static [Self] = &[
        Self::Model,
        Self::Batch,
        Self::Lr,
        Self::Epochs,
        Self::Optimizer,
        Self::Seed,
        Self::Loss,
    ];
    const LAB: &'static str = "mnist";

    fn key(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Batch => "batch",
            Self::Lr => "lr",
            Self::Epochs => "epochs",
            Self::Optimizer => "opt",
            Self::Seed => "seed",
            Self::Loss => "loss",
        }
    }

    /// A quick first run: the MLP, batch 32, SGD at 0.05, 3 epochs, seed 1.
    fn default_text(self) -> &'static str {
        match self {
            Self::Model => "mlp",
            Self::Batch => "32",
            Self::Lr => "0.05",
            Self::Epochs => "3",
            Self::Optimizer => "sgd",
            Self::Seed => "1",
            Self::Loss => "ce",
        }
    }

    fn parse(form: &LabForm) -> Result<RunConfig, Vec<FieldError<Self>>> {
        let mut e = Errors::default();
        let text = |f| form.field(f);
        let model = e.check(
            Self::Model,
            parse_choice(
                text(Self::Model),
                "a model",
                &[("mlp", ModelKind::Mlp), ("cnn", ModelKind::Cnn)],
            ),
        );
        let batch_size = e.check(
            Self::Batch,
            parse_count(text(Self::Batch), "The batch size", MAX_BATCH),
        );
        let lr = e.check(Self::Lr, parse_lr(text(Self::Lr), MAX_LR));
        let n_epochs = e.check(
            Self::Epochs,
            parse_count(text(Self::Epochs), "The number of epochs", MAX_EPOCHS),
        );
        let optimizer = e.check(
            Self::Optimizer,
            parse_choice(
                text(Self::Optimizer),
                "an optimizer",
                &[
                    ("sgd", OptimizerKind::Sgd),
                    ("momentum", OptimizerKind::Momentum),
                    ("adam", OptimizerKind::Adam),
                ],
            ),
        );
        let seed = e.check(Self::Seed, parse_seed(text(Self::Seed)));
        let double_softmax = e.check(
            Self::Loss,
            parse_choice(
                text(Self::Loss),
                "a loss",
                &[("ce", false), ("double-softmax", true)],
            ),
        );
        let settings = (|| {
            Some(RunConfig {
                model: model?,
                batch_size: batch_size?,
                lr: lr?,
                n_epochs: n_epochs?,
                optimizer: optimizer?,
                seed: seed?,
                double_softmax: double_softmax?,
                n_train: None,
            })
        })();
        e.finish(settings)
    }
}

/// The Graphcore lr sweep's learning rates, with what the real IPU reported for each
/// (test accuracy %, Bow IPU, 10 epochs of 60,000 digits, batch 8; course_facts §3.2, from
/// the student log `Graphcore.txt` in akozlov0/ai-science-training-series).
pub const IPU_SWEEP: [(f64, f64); 4] =
    [(0.0005, 93.08), (0.005, 98.44), (0.05, 98.58), (0.5, 9.58)];

/// The four runs of the Graphcore sweep, with `n_epochs` each and the given seed.
pub fn graphcore_sweep(n_epochs: usize, seed: u64) -> Vec<RunConfig> {
    IPU_SWEEP
        .iter()
        .map(|&(lr, _)| RunConfig {
            lr,
            n_epochs,
            seed,
            ..RunConfig::graphcore_example()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::Location;

    fn form(query: &str) -> LabForm {
        LabForm::from_query(&Location::parse(&format!("#/labs/mnist?{query}")).query)
    }

    fn errors(query: &str) -> Vec<(LabField, String)> {
        form(query)
            .parse()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn the_defaults_are_a_quick_mlp_run() {
        let run = LabForm::default().parse().unwrap();
        assert_eq!(
            run,
            RunConfig {
                model: ModelKind::Mlp,
                batch_size: 32,
                lr: 0.05,
                n_epochs: 3,
                optimizer: OptimizerKind::Sgd,
                seed: 1,
                double_softmax: false,
                n_train: None,
            }
        );
        assert!(run.train_config().validate().is_ok());
    }

    #[test]
    fn a_link_reproduces_the_run() {
        let run = RunConfig {
            model: ModelKind::Cnn,
            batch_size: 8,
            lr: 0.0005,
            n_epochs: 10,
            optimizer: OptimizerKind::Adam,
            seed: 42,
            double_softmax: true,
            n_train: None,
        };
        let href = run.to_form().href();
        assert_eq!(
            href,
            "#/labs/mnist?model=cnn&batch=8&lr=0.0005&epochs=10&opt=adam&seed=42&loss=double-softmax"
        );
        let back = LabForm::from_query(&Location::parse(&href).query);
        assert_eq!(back.parse(), Ok(run));
    }

    #[test]
    fn the_graphcore_defaults_match_the_engines() {
        let ours = RunConfig::graphcore_example().train_config();
        assert_eq!(ours, nn::train::TrainConfig::graphcore_example());
        assert!(RunConfig::graphcore_example().is_graphcore_sweep_setting());
    }

    #[test]
    fn bad_values_get_a_sentence_beside_their_field() {
        let check = |query: &str, field: LabField, message: &str| {
            assert_eq!(errors(query), vec![(field, message.to_string())], "{query}");
        };
        check(
            "batch=0",
            LabField::Batch,
            "The batch size must be at least 1, not 0.",
        );
        check(
            "batch=abc",
            LabField::Batch,
            "The batch size must be a whole number; “abc” is not.",
        );
        check(
            "batch=5000",
            LabField::Batch,
            "The batch size must be at most 1024 in the browser; 5000 is too many.",
        );
        check(
            "lr=0",
            LabField::Lr,
            "The learning rate must be above 0; 0 would not learn.",
        );
        check(
            "lr=-1",
            LabField::Lr,
            "The learning rate must be above 0; -1 would not learn.",
        );
        check(
            "lr=NaN",
            LabField::Lr,
            "The learning rate must be a finite number, not NaN.",
        );
        check(
            "lr=inf",
            LabField::Lr,
            "The learning rate must be a finite number, not inf.",
        );
        check(
            "lr=fast",
            LabField::Lr,
            "The learning rate must be a number such as 0.05; “fast” is not.",
        );
        check("lr=", LabField::Lr, "The learning rate is missing.");
        check(
            "lr=1e-300",
            LabField::Lr,
            "The learning rate 1e-300 is too small to change any weight.",
        );
        check(
            "epochs=100000",
            LabField::Epochs,
            "The number of epochs must be at most 100 in the browser; 100000 is too many.",
        );
        check(
            "epochs=1.5",
            LabField::Epochs,
            "The number of epochs must be a whole number; “1.5” is not.",
        );
        check(
            "model=rnn",
            LabField::Model,
            "“rnn” is not a model here: choose mlp or cnn.",
        );
        check(
            "opt=lbfgs",
            LabField::Optimizer,
            "“lbfgs” is not an optimizer here: choose sgd, momentum or adam.",
        );
        check(
            "seed=-3",
            LabField::Seed,
            "The seed must be a whole number from 0 to 18446744073709551615; “-3” is not.",
        );
        check(
            "loss=mse",
            LabField::Loss,
            "“mse” is not a loss here: choose ce or double-softmax.",
        );
        // Several at once: each beside its own field, in form order.
        assert_eq!(
            errors("batch=0&lr=0")
                .iter()
                .map(|(f, _)| *f)
                .collect::<Vec<_>>(),
            vec![LabField::Batch, LabField::Lr]
        );
    }

    #[test]
    fn a_bad_value_stays_in_the_link() {
        let f = form("batch=0&lr=%3Cb%3E");
        assert_eq!(f.field(LabField::Batch), "0");
        assert_eq!(f.field(LabField::Lr), "<b>");
        assert!(f.href().contains("batch=0&lr=%3Cb%3E"));
    }

    #[test]
    fn the_sweep_is_the_four_ipu_rates() {
        let runs = graphcore_sweep(2, 7);
        assert_eq!(
            runs.iter().map(|r| r.lr).collect::<Vec<_>>(),
            vec![0.0005, 0.005, 0.05, 0.5]
        );
        assert!(
            runs.iter()
                .all(|r| r.is_graphcore_sweep_setting() && r.n_epochs == 2 && r.seed == 7)
        );
    }

    #[test]
    fn learning_rates_print_as_typed() {
        assert_eq!(format_lr(0.05), "0.05");
        assert_eq!(format_lr(0.0005), "0.0005");
        assert_eq!(format_lr(0.5), "0.5");
        assert_eq!(format_lr(1e-7), "1e-7");
    }
}
