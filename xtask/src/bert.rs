//! `cargo xtask bert`: fine-tunes a from-scratch BERT-tiny from `crates/nn` on the bundled
//! sentiment split, natively, prints a Naive Bayes baseline on the same split, and ends with one
//! machine-readable `result …` line. Re-executes itself in release mode like `cargo xtask mnist`.

use std::time::Instant;

use nn::bert::corpus::{MlmCorpus, held_out_evaluation};
use nn::bert::naive_bayes::NaiveBayes;
use nn::bert::pretrain::{MlmTokens, MlmTrainConfig, MlmTrainer};
use nn::bert::train::{BertTrainConfig, BertTrainer, EncodedExample, frame_examples, unigrams};
use nn::text_data::read_labelled_tsv;
use nn::tokenizer::WordPiece;
use nn::train::{BatchOutcome, DivergenceKind, TrainStatus};

use crate::bert_data::{BROWN, SENTIMENT_TEST, SENTIMENT_TRAIN, VOCAB};
use crate::{Result, project_root};

/// Usage of the command.
pub const OPTIONS: &str = "\
  bert [--epochs N] [--batch B] [--lr X] [--max-len L] [--seed S]
                               fine-tune BERT-tiny from scratch on public/data's sentences (release
                               build); prints `baseline model=naive-bayes …` and ends with one line
                               `result model=bert-tiny epochs=… test_accuracy=… sequences_per_s=…`;
                               defaults: 2 epochs, batch 32, lr 1e-3, max-len 64, seed 1
  bert --objective mlm [--steps N] [--batch B] [--lr X] [--max-len L] [--seed S]
                               masked-LM pre-training on the Brown subset (15% masked, 80/10/10);
                               ends with `result model=bert-tiny objective=mlm steps=… loss_before=…
                               loss_after=… sequences_per_s=…` (held-out loss, the last 256 lines);
                               defaults: 200 steps, batch 32, lr 1e-3, max-len 64, seed 1
";

/// What `cargo xtask bert` trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Objective {
    /// Sentiment classification (fine-tuning).
    Classify,
    /// Masked-LM pre-training.
    Mlm,
}

/// Parsed command line.
#[derive(Clone, Debug, PartialEq)]
struct Options {
    objective: Objective,
    n_steps: usize,
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
        objective: Objective::Classify,
        n_steps: 200,
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
            "--steps" => options.n_steps = value(flag, iter.next())?,
            "--objective" => {
                options.objective = match value::<String>(flag, iter.next())?.as_str() {
                    "classify" => Objective::Classify,
                    "mlm" => Objective::Mlm,
                    other => {
                        return Err(format!(
                            "`--objective {other}`: classify or mlm\n\n{OPTIONS}"
                        ));
                    }
                }
            }
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
    let ids: Vec<(Vec<u32>, u8)> = rows
        .iter()
        .map(|row| (tokenizer.token_ids(&row.sentence), row.label))
        .collect();
    Ok(frame_examples(
        ids.iter().map(|(ids, label)| (ids.as_slice(), *label)),
        tokenizer.cls_id,
        tokenizer.sep_id,
        max_len,
    ))
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
    if options.objective == Objective::Mlm {
        return run_mlm(&options, &tokenizer);
    }
    let train = encode(&tokenizer, SENTIMENT_TRAIN, options.max_len)?;
    let test = encode(&tokenizer, SENTIMENT_TEST, options.max_len)?;

    // The baseline: unigram counts of the same WordPiece tokens ([CLS]/[SEP] left out).
    let nb = NaiveBayes::fit(train.iter().map(unigrams), tokenizer.vocab_size(), 2, 1.0);
    println!(
        "baseline model=naive-bayes features=wordpiece-unigrams alpha=1 test_accuracy={:.4}",
        nb.accuracy(test.iter().map(unigrams))
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

/// `--objective mlm`: masked-LM steps on the Brown subset, prepared as the BERT lab's
/// masked-LM run prepares it (`nn::bert::corpus`: every 10th line held out, both parts packed
/// into sequences of `--max-len`), with the held-out loss before and after, scored as the lab
/// scores it after each epoch; so `--steps` = the lab's epochs × ⌊sequences / batch⌋ gives the
/// lab's figure.
fn run_mlm(options: &Options, tokenizer: &WordPiece) -> Result<()> {
    let text = String::from_utf8(read(BROWN)?).map_err(|e| format!("{BROWN}: {e}"))?;
    let corpus = MlmCorpus::split(text.lines().map(|line| tokenizer.token_ids(line)));
    let (cls, sep) = (tokenizer.cls_id, tokenizer.sep_id);
    let sequences = corpus.train_sequences(None, cls, sep, options.max_len);
    let held_out = corpus.held_out_sequences(cls, sep, options.max_len);
    if sequences.len() < options.batch_size || held_out.is_empty() {
        return Err(format!(
            "{BROWN}: too little text for a batch of {} sequences of {} tokens",
            options.batch_size, options.max_len
        ));
    }
    let n_steps = options.n_steps.max(1);
    let config = MlmTrainConfig {
        seed: options.seed,
        ..MlmTrainConfig::bert_tiny(options.lr, n_steps as u64, options.batch_size)
    };
    println!(
        "masked-LM pre-training of bert-tiny on {} Brown sentences packed into {} sequences ({} held-out sentences, {} sequences scored; an epoch is {} steps): {} steps, batch {}, AdamW lr {} (10% warm-up, linear decay), max-len {}, seed {}",
        corpus.train.len(),
        sequences.len(),
        corpus.held_out.len(),
        held_out.len(),
        sequences.len() / options.batch_size,
        n_steps,
        options.batch_size,
        options.lr,
        options.max_len,
        options.seed
    );
    let mut trainer = MlmTrainer::new(config, MlmTokens::bert_base_uncased(), sequences)
        .map_err(|e| e.to_string())?;
    let held_out_loss = |trainer: &MlmTrainer| {
        held_out_evaluation(trainer, &held_out)
            .mean_loss()
            .ok_or_else(|| "no held-out token was masked".to_string())
    };
    let loss_before = held_out_loss(&trainer)?;
    println!(
        "step 0 held_out_loss={loss_before:.4} (ln 30522 = {:.4})",
        30_522_f32.ln()
    );
    let report_every = n_steps.div_ceil(10);
    let (mut n_sequences, mut seconds) = (0_usize, 0.0_f64);
    let (mut loss_sum, mut loss_steps) = (0.0_f64, 0_usize);
    for step_idx in 1..=n_steps {
        let started = Instant::now();
        let step = trainer.step();
        seconds += started.elapsed().as_secs_f64();
        n_sequences += step.n_sequences;
        if step.n_targets > 0 {
            if !step.loss.is_finite() {
                println!("status=diverged at step {step_idx}: the loss is not a finite number");
                break;
            }
            loss_sum += f64::from(step.loss);
            loss_steps += 1;
        }
        if step_idx % report_every == 0 || step_idx == n_steps {
            println!(
                "step {step_idx} train_loss={:.4} (mean of the last {loss_steps} steps) lr={:.2e}",
                loss_sum / loss_steps.max(1) as f64,
                trainer.current_lr()
            );
            (loss_sum, loss_steps) = (0.0, 0);
        }
    }
    let loss_after = held_out_loss(&trainer)?;
    println!(
        "result model=bert-tiny objective=mlm steps={n_steps} batch={} loss_before={loss_before:.4} loss_after={loss_after:.4} sequences_per_s={:.0}",
        options.batch_size,
        if seconds > 0.0 {
            n_sequences as f64 / seconds
        } else {
            0.0
        }
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
                objective: Objective::Classify,
                n_steps: 200,
                n_epochs: 2,
                batch_size: 32,
                lr: 1e-3,
                max_len: 64,
                seed: 1
            }
        );
        let mlm = parse(&args("--objective mlm --steps 50 --batch 16")).unwrap();
        assert_eq!(
            (mlm.objective, mlm.n_steps, mlm.batch_size),
            (Objective::Mlm, 50, 16)
        );
        assert!(parse(&args("--objective translate")).is_err());
        assert!(parse(&args("--max-len 1000")).is_err());
        assert!(parse(&args("--lr fast")).is_err());
        assert!(parse(&args("--frobnicate 1")).is_err());
    }
}
