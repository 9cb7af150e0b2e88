//! `cargo xtask bert`: fine-tunes a from-scratch BERT-tiny from `crates/nn` on the bundled
//! sentiment split, natively, prints a Naive Bayes baseline on the same split, and ends with one
//! machine-readable `result …` line. Re-executes itself in release mode like `cargo xtask mnist`.

use std::time::Instant;

use nn::bert::naive_bayes::NaiveBayes;
use nn::bert::train::{BertTrainConfig, BertTrainer, EncodedExample};
use nn::text_data::read_labelled_tsv;
use nn::tokenizer::WordPiece;
use nn::train::{BatchOutcome, DivergenceKind, TrainStatus};

use crate::bert_data::{SENTIMENT_TEST, SENTIMENT_TRAIN, VOCAB};
use crate::{Result, project_root};

/// Usage of the command.
pub const OPTIONS: &str = "\
  bert [--epochs N] [--batch B] [--lr X] [--max-len L] [--seed S]
                               fine-tune BERT-tiny from scratch on public/data's sentences (release
                               build); prints `baseline model=naive-bayes …` and ends with one line
                               `result model=bert-tiny epochs=… test_accuracy=… sequences_per_s=…`;
                               defaults: 2 epochs, batch 32, lr 1e-3, max-len 64, seed 1
";

/// Parsed command line.
#[derive(Clone, Debug, PartialEq)]
struct Options {
    n_epochs: usize,
    batch_size: usize,
    lr: f32,
    max_len: usize,
    seed: u64,
}

fn parse(args: &[String]) -> Result<Options> {
    fn value<T: std::str::FromStr>(flag: &str, raw: Option<&String>) -> Result<T> {
        let raw = raw.ok_or_else(|| format!("`{flag}` needs a value\n\n{OPTIONS}"))?;
        raw.parse()
            .map_err(|_| format!("`{flag} {raw}` is not a valid value\n\n{OPTIONS}"))
    }
    let mut options = Options {
        n_epochs: 2,
        batch_size: 32,
        lr: 1e-3,
        max_len: 64,
        seed: 1,
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        match flag.as_str() {
            "--epochs" => options.n_epochs = value(flag, iter.next())?,
            "--batch" => options.batch_size = value(flag, iter.next())?,
            "--lr" => options.lr = value(flag, iter.next())?,
            "--max-len" => options.max_len = value(flag, iter.next())?,
            "--seed" => options.seed = value(flag, iter.next())?,
            other => return Err(format!("unknown option `{other}`\n\n{OPTIONS}")),
        }
    }
    if !(2..=512).contains(&options.max_len) {
        return Err(format!(
            "`--max-len {}` must be from 2 to 512",
            options.max_len
        ));
    }
    Ok(options)
}

fn read(path: &str) -> Result<Vec<u8>> {
    std::fs::read(project_root().join(path))
        .map_err(|e| format!("cannot read {path}: {e} (run `cargo xtask bert-data` to rebuild it)"))
}

fn encode(tokenizer: &WordPiece, path: &str, max_len: usize) -> Result<Vec<EncodedExample>> {
    let rows = read_labelled_tsv(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
    Ok(rows
        .iter()
        .map(|row| EncodedExample {
            ids: tokenizer.encode_unpadded(&row.sentence, max_len),
            label: row.label,
        })
        .collect())
}

/// The tokens of an example without its `[CLS]` and `[SEP]`.
fn strip(e: &EncodedExample) -> (&[u32], u8) {
    (&e.ids[1..e.ids.len().saturating_sub(1).max(1)], e.label)
}

/// Entry point.
pub fn run(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    let config = BertTrainConfig {
        batch_size: options.batch_size,
        n_epochs: options.n_epochs,
        seed: options.seed,
        ..BertTrainConfig::bert_tiny(options.lr)
    };
    if cfg!(debug_assertions) {
        return crate::proc::rerun_in_release("bert", args);
    }
    let vocab = String::from_utf8(read(VOCAB)?).map_err(|e| format!("{VOCAB}: {e}"))?;
    let tokenizer = WordPiece::from_vocab_txt(&vocab).map_err(|e| format!("{VOCAB}: {e}"))?;
    let train = encode(&tokenizer, SENTIMENT_TRAIN, options.max_len)?;
    let test = encode(&tokenizer, SENTIMENT_TEST, options.max_len)?;

    // The baseline: unigram counts of the same WordPiece tokens ([CLS]/[SEP] left out).
    let nb = NaiveBayes::fit(train.iter().map(strip), tokenizer.vocab_size(), 2, 1.0);
    println!(
        "baseline model=naive-bayes features=wordpiece-unigrams alpha=1 test_accuracy={:.4}",
        nb.accuracy(test.iter().map(strip))
    );

    println!(
        "training bert-tiny on {} sentences, testing on {}: AdamW lr {} (10% warm-up, linear decay), batch {}, max-len {}, seed {}",
        train.len(),
        test.len(),
        options.lr,
        options.batch_size,
        options.max_len,
        options.seed
    );
    let mut trainer = BertTrainer::new(config, train).map_err(|e| e.to_string())?;
    let mut n_trained = 0_usize;
    let mut train_seconds = 0.0_f64;
    while trainer.status() == TrainStatus::Training {
        let started = Instant::now();
        let outcome = trainer.train_batch();
        train_seconds += started.elapsed().as_secs_f64();
        match outcome {
            BatchOutcome::Trained(metrics) => {
                n_trained += metrics.n_samples;
                if metrics.batch_idx + 1 == trainer.n_batches_per_epoch() {
                    let eval = trainer.evaluate(&test).map_err(|e| e.to_string())?;
                    if let Some(epoch) = trainer.history().last() {
                        println!(
                            "epoch {}/{} train_loss={:.4} train_accuracy={:.4} test_accuracy={:.4} elapsed={:.1}s",
                            epoch.epoch_idx + 1,
                            options.n_epochs,
                            epoch.mean_loss,
                            epoch.train_accuracy,
                            eval.accuracy,
                            train_seconds
                        );
                    }
                }
            }
            BatchOutcome::Diverged(divergence) => {
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
            BatchOutcome::Stopped(_) => break,
        }
    }
    let eval = trainer.evaluate(&test).map_err(|e| e.to_string())?;
    let sequences_per_s = if train_seconds > 0.0 {
        n_trained as f64 / train_seconds
    } else {
        0.0
    };
    println!(
        "result model=bert-tiny epochs={} test_accuracy={:.4} sequences_per_s={:.0}",
        trainer.history().len(),
        eval.accuracy,
        sequences_per_s
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
    fn options_are_parsed_and_checked() {
        let options = parse(&args(
            "--epochs 2 --batch 32 --lr 1e-3 --max-len 64 --seed 1",
        ))
        .unwrap();
        assert_eq!(
            options,
            Options {
                n_epochs: 2,
                batch_size: 32,
                lr: 1e-3,
                max_len: 64,
                seed: 1
            }
        );
        assert!(parse(&args("--max-len 1000")).is_err());
        assert!(parse(&args("--lr fast")).is_err());
        assert!(parse(&args("--frobnicate 1")).is_err());
    }
}
