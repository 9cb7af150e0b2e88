//! `cargo xtask mnist`: trains a model from `crates/nn` on the bundled MNIST subset, natively,
//! and ends with one machine-readable `result …` line.
//!
//! The `xtask` alias builds in the dev profile; training re-executes itself in release mode
//! (`cargo run --release --locked --package xtask -- mnist …`) so the numbers are the engine's.

use std::time::Instant;

use nn::data::{Dataset, Normalization};
use nn::loss::LossKind;
use nn::model::{CnnConfig, MlpConfig, ModelConfig};
use nn::optim::OptimizerConfig;
use nn::train::{DEFAULT_DIVERGENCE_THRESHOLD, DivergenceKind, TrainConfig, TrainStatus, Trainer};

use crate::mnist_data::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS};
use crate::{Result, project_root};

/// Usage of the command, for the top-level USAGE text and errors.
pub const OPTIONS: &str = "\
  mnist [--model cnn|mlp] [--epochs N] [--batch B] [--lr X] [--seed S] [--optimizer sgd|adam]
        [--momentum M] [--loss ce|double-softmax] [--hidden W[,W…]]
                               train on public/data (release build) and end with one line
                               `result model=… epochs=… test_accuracy=… samples_per_s=…`;
                               defaults are the Graphcore example's: cnn, 10 epochs, batch 8,
                               SGD lr 0.05, seed 1 (`--loss double-softmax` adds its double softmax)
";

/// Parsed command line.
#[derive(Clone, Debug, PartialEq)]
struct Options {
    model: String,
    n_epochs: usize,
    batch_size: usize,
    lr: f32,
    seed: u64,
    optimizer: String,
    momentum: f32,
    loss: LossKind,
    hidden: Vec<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            model: "cnn".into(),
            n_epochs: 10,
            batch_size: 8,
            lr: 0.05,
            seed: 1,
            optimizer: "sgd".into(),
            momentum: 0.0,
            loss: LossKind::CrossEntropy,
            hidden: vec![128],
        }
    }
}

fn parse(args: &[String]) -> Result<Options> {
    fn value<T: std::str::FromStr>(flag: &str, raw: Option<&String>) -> Result<T> {
        let raw = raw.ok_or_else(|| format!("`{flag}` needs a value\n\n{OPTIONS}"))?;
        raw.parse()
            .map_err(|_| format!("`{flag} {raw}` is not a valid value\n\n{OPTIONS}"))
    }
    let mut options = Options::default();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        match flag.as_str() {
            "--model" => options.model = value(flag, iter.next())?,
            "--epochs" => options.n_epochs = value(flag, iter.next())?,
            "--batch" => options.batch_size = value(flag, iter.next())?,
            "--lr" => options.lr = value(flag, iter.next())?,
            "--seed" => options.seed = value(flag, iter.next())?,
            "--optimizer" => options.optimizer = value(flag, iter.next())?,
            "--momentum" => options.momentum = value(flag, iter.next())?,
            "--loss" => {
                options.loss = match value::<String>(flag, iter.next())?.as_str() {
                    "ce" => LossKind::CrossEntropy,
                    // `double-softmax` is the lab's name for it (`#/labs/mnist?loss=…`).
                    "double-softmax" | "softmax-ce" => LossKind::SoftmaxThenCrossEntropy,
                    other => {
                        return Err(format!("unknown loss `{other}` (ce or double-softmax)"));
                    }
                }
            }
            "--hidden" => {
                let raw: String = value(flag, iter.next())?;
                options.hidden = raw
                    .split(',')
                    .map(|w| {
                        w.trim()
                            .parse()
                            .map_err(|_| format!("`--hidden {raw}`: widths are integers"))
                    })
                    .collect::<Result<_>>()?;
            }
            other => return Err(format!("unknown option `{other}`\n\n{OPTIONS}")),
        }
    }
    Ok(options)
}

fn train_config(options: &Options) -> Result<TrainConfig> {
    let model = match options.model.as_str() {
        "cnn" => ModelConfig::Cnn(CnnConfig::default()),
        "mlp" => ModelConfig::Mlp(MlpConfig {
            hidden: options.hidden.clone(),
            ..MlpConfig::default()
        }),
        other => return Err(format!("unknown model `{other}` (cnn or mlp)")),
    };
    let optimizer = match options.optimizer.as_str() {
        "sgd" => OptimizerConfig::Sgd {
            lr: options.lr,
            momentum: options.momentum,
        },
        "adam" => OptimizerConfig::adam(options.lr),
        other => return Err(format!("unknown optimizer `{other}` (sgd or adam)")),
    };
    let config = TrainConfig {
        model,
        optimizer,
        loss: options.loss,
        batch_size: options.batch_size,
        n_epochs: options.n_epochs,
        seed: options.seed,
        normalization: Normalization::MNIST,
        divergence_threshold: DEFAULT_DIVERGENCE_THRESHOLD,
    };
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

fn load(images: &str, labels: &str) -> Result<Dataset> {
    let read = |path: &str| {
        std::fs::read(project_root().join(path)).map_err(|e| {
            format!("cannot read {path}: {e} (run `cargo xtask mnist-data` to rebuild it)")
        })
    };
    Dataset::from_idx(&read(images)?, &read(labels)?, 10).map_err(|e| format!("{images}: {e}"))
}

/// Entry point: re-executes in release mode if built without optimisation, then trains.
pub fn run(args: &[String]) -> Result<()> {
    // Bad options fail here, before a release build is started for them.
    let config = train_config(&parse(args)?)?;
    if cfg!(debug_assertions) {
        return crate::proc::rerun_in_release("mnist", args);
    }
    let train = load(TRAIN_IMAGES, TRAIN_LABELS)?;
    let test = load(TEST_IMAGES, TEST_LABELS)?;
    println!(
        "training {} on {} digits, testing on {}: {:?}, loss {:?}, batch {}, seed {}",
        config.model.name(),
        train.len(),
        test.len(),
        config.optimizer,
        config.loss,
        config.batch_size,
        config.seed
    );
    let mut trainer = Trainer::new(config.clone(), train).map_err(|e| e.to_string())?;
    let mut n_samples_trained = 0_usize;
    let mut train_seconds = 0.0_f64;
    while trainer.status() == TrainStatus::Training {
        let started = Instant::now();
        let progress = trainer.run_epoch_slice(trainer.n_batches_per_epoch());
        train_seconds += started.elapsed().as_secs_f64();
        n_samples_trained += progress.n_samples_run;
        let eval = trainer.evaluate(&test).map_err(|e| e.to_string())?;
        for epoch in &progress.completed_epochs {
            println!(
                "epoch {:>2}/{} train_loss={:.4} train_accuracy={:.4} grad_norm={:.3e} test_accuracy={:.4} elapsed={:.1}s",
                epoch.epoch_idx + 1,
                config.n_epochs,
                epoch.mean_loss,
                epoch.train_accuracy,
                epoch.mean_grad_norm,
                eval.accuracy,
                train_seconds
            );
        }
        if let TrainStatus::Diverged(divergence) = progress.status {
            let what = match divergence.kind {
                DivergenceKind::NonFiniteLoss => "the loss is not a finite number".to_string(),
                DivergenceKind::ExplodingLoss { loss } => {
                    format!("the loss exploded to {loss:.3e}")
                }
            };
            println!(
                "status=diverged at epoch {} batch {}: {what}; stopped, weights from the step before",
                divergence.epoch_idx + 1,
                divergence.batch_idx
            );
        }
    }
    let eval = trainer.evaluate(&test).map_err(|e| e.to_string())?;
    let (class, share) = eval.confusion.dominant_prediction();
    if share > 0.5 {
        println!(
            "note: the model predicts digit {class} for {:.1}% of the test set: it has collapsed to one class",
            100.0 * share
        );
    }
    let samples_per_s = if train_seconds > 0.0 {
        n_samples_trained as f64 / train_seconds
    } else {
        0.0
    };
    println!(
        "result model={} epochs={} test_accuracy={:.4} samples_per_s={:.0}",
        config.model.name(),
        trainer.history().len(),
        eval.accuracy,
        samples_per_s
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn defaults_are_the_graphcore_examples() {
        let config = train_config(&parse(&[]).unwrap()).unwrap();
        let example = TrainConfig {
            loss: LossKind::CrossEntropy,
            ..TrainConfig::graphcore_example()
        };
        assert_eq!(config, example);
    }

    #[test]
    fn options_are_parsed_and_checked() {
        let options = parse(&args(
            "--model mlp --epochs 3 --batch 32 --lr 0.05 --seed 1 --optimizer adam --hidden 64,32",
        ))
        .unwrap();
        assert_eq!(
            (options.model.as_str(), options.n_epochs, options.batch_size),
            ("mlp", 3, 32)
        );
        assert_eq!(options.hidden, vec![64, 32]);
        let config = train_config(&options).unwrap();
        assert_eq!(config.optimizer, OptimizerConfig::adam(0.05));
        assert!(parse(&args("--lr fast")).is_err());
        assert!(parse(&args("--epochs")).is_err());
        assert!(parse(&args("--frobnicate 1")).is_err());
        assert!(train_config(&parse(&args("--model rnn")).unwrap()).is_err());
        assert!(train_config(&parse(&args("--batch 0")).unwrap()).is_err());
    }

    #[test]
    fn the_double_softmax_has_the_labs_name_and_its_old_one() {
        for name in ["double-softmax", "softmax-ce"] {
            let options = parse(&args(&format!("--loss {name}"))).unwrap();
            assert_eq!(options.loss, LossKind::SoftmaxThenCrossEntropy);
        }
        assert_eq!(
            parse(&args("--loss ce")).unwrap().loss,
            LossKind::CrossEntropy
        );
        let error = parse(&args("--loss mse")).unwrap_err();
        assert!(error.contains("ce or double-softmax"), "{error}");
    }
}
