//! The SambaNova section's data-parallel run across Web Workers, as plain data (natively
//! tested): its settings in the address (`sn-…` keys), the messages between the page and each
//! replica's worker, what a replica's worker does ([`ReplicaSession`]), and the page's
//! all-reduce and timing ([`Coordinator`]).
//!
//! One run = one worker count: N workers each hold an [`nn::parallel::Replica`] and the whole
//! dataset. For every step each worker computes the gradients of its shard and posts them as a
//! transferred buffer; the page averages them weighted by shard size (a reduce-to-one:
//! [`nn::parallel::ReduceSum`], each replica's part added as soon as the ones before it are in,
//! so only the slowest replica's share is left when it answers), and sends the same bytes back
//! to every worker (the broadcast), which applies them and computes the next step. No memory is shared
//! (static hosts cannot send the COOP/COEP headers `SharedArrayBuffer` needs).
//!
//! A sweep runs 1, 2, 4, … up to N workers in turn, so the page shows the rate and the scaling
//! efficiency as N grows.
//!
//! The model is the MNIST MLP or CNN, or BERT-tiny fine-tuned on the BERT lab's sentences
//! (length 64). BERT's gradients travel in `nn::parallel::bert`'s sparse form (dense weights,
//! then only the embedding rows the step touched), and the page's reduce is the sparse one
//! ([`Reducer`]); everything else is the same path.

use nn::bert::BertConfig;
use nn::bert::train::BertTrainConfig;
use nn::loss::LossKind;
use nn::model::{CnnConfig, MlpConfig, ModelConfig};
use nn::optim::OptimizerConfig;
use nn::parallel::bert::{BertDataParallelConfig, SparseReduceSum, WireLayout};
use nn::parallel::{DataParallelConfig, DataParallelError, ReduceSum, ShardResult, StepSummary};
use nn::train::TrainConfig;
use serde::{Deserialize, Serialize};

use crate::training::form::{Errors, FieldError, Form, LabFields, parse_choice, parse_seed};
use crate::training::text::{parse_count, parse_lr};

/// Most workers the form accepts; the page lowers it to the browser's core count.
pub const MAX_WORKERS: usize = 16;
/// Most steps in one run.
pub const MAX_STEPS: usize = 2_000;
/// Largest global batch.
pub const MAX_BATCH: usize = 1_024;
/// A replica that has not answered in this long is reported as stopped.
pub const REPLICA_TIMEOUT_MS: f64 = 60_000.0;
/// Test digits evaluated per chunk by replica 0 at the end.
const EVAL_CHUNK: usize = 250;
/// BERT-tiny's sentences are framed to this many tokens (the BERT lab's default).
pub const BERT_LEN: usize = 64;
/// Largest peak learning rate for BERT-tiny's AdamW (the CNN's SGD rates would wreck it).
pub const MAX_BERT_LR: f64 = 0.01;

/// The model a data-parallel run trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DpModel {
    Mlp,
    Cnn,
    /// BERT-tiny on the BERT lab's sentences, dropout 0, AdamW.
    BertTiny,
}

impl DpModel {
    /// The name in results.
    pub fn label(self) -> &'static str {
        match self {
            Self::Mlp => "MLP",
            Self::Cnn => "CNN",
            Self::BertTiny => "BERT-tiny",
        }
    }
}

/// The section's fields, in the address as `sn-…`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DpField {
    Workers,
    Model,
    Batch,
    Steps,
    Lr,
    Seed,
}

/// The section's form.
pub type DpForm = Form<DpField>;

impl LabFields for DpField {
    type Settings = DpSettings;
    const ALL: &'static [Self] = &[
        Self::Workers,
        Self::Model,
        Self::Batch,
        Self::Steps,
        Self::Lr,
        Self::Seed,
    ];
    const LAB: &'static str = "homework";

    fn key(self) -> &'static str {
        match self {
            Self::Workers => "sn-workers",
            Self::Model => "sn-model",
            Self::Batch => "sn-batch",
            Self::Steps => "sn-steps",
            Self::Lr => "sn-lr",
            Self::Seed => "sn-seed",
        }
    }

    /// The setting: the CNN at a global batch of 64, 2 workers, 60 steps.
    fn default_text(self) -> &'static str {
        match self {
            Self::Workers => "2",
            Self::Model => "cnn",
            Self::Batch => "64",
            Self::Steps => "60",
            Self::Lr => "0.05",
            Self::Seed => "1",
        }
    }

    fn parse(form: &DpForm) -> Result<DpSettings, Vec<FieldError<Self>>> {
        let mut e = Errors::default();
        let text = |f| form.field(f);
        let n_workers = e.check(
            Self::Workers,
            parse_count(text(Self::Workers), "The number of workers", MAX_WORKERS),
        );
        let model = e.check(
            Self::Model,
            parse_choice(
                text(Self::Model),
                "a model",
                &[
                    ("mlp", DpModel::Mlp),
                    ("cnn", DpModel::Cnn),
                    ("bert", DpModel::BertTiny),
                ],
            ),
        );
        let global_batch = e.check(
            Self::Batch,
            parse_count(text(Self::Batch), "The global batch size", MAX_BATCH),
        );
        let n_steps = e.check(
            Self::Steps,
            parse_count(text(Self::Steps), "The number of steps", MAX_STEPS),
        );
        let lr = e.check(
            Self::Lr,
            parse_lr(text(Self::Lr), 10.0).and_then(|lr| {
                if model == Some(DpModel::BertTiny) && lr > MAX_BERT_LR {
                    Err(format!(
                        "BERT-tiny trains with AdamW: its peak learning rate must be at most {MAX_BERT_LR} (try 0.001); {lr} suits the MNIST models' SGD."
                    ))
                } else {
                    Ok(lr)
                }
            }),
        );
        let seed = e.check(Self::Seed, parse_seed(text(Self::Seed)));
        let settings = (|| {
            Some(DpSettings {
                n_workers: n_workers?,
                model: model?,
                global_batch: global_batch?,
                n_steps: n_steps?,
                lr: lr?,
                seed: seed?,
            })
        })();
        e.finish(settings)
    }
}

/// A data-parallel run's checked settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DpSettings {
    /// The largest worker count of the sweep.
    pub n_workers: usize,
    pub model: DpModel,
    /// Samples per step over all workers (each gets a shard).
    pub global_batch: usize,
    pub n_steps: usize,
    pub lr: f64,
    pub seed: u64,
}

impl DpSettings {
    /// The engine's configuration for an MNIST run of `n_workers`: plain SGD, cross-entropy,
    /// and the CNN without dropout (each shard would draw its own masks). (BERT-tiny's is
    /// [`Self::bert_config`]; asked of a BERT run, this gives the CNN's.)
    pub fn config(&self, n_workers: usize) -> DataParallelConfig {
        let model = match self.model {
            DpModel::Mlp => ModelConfig::Mlp(MlpConfig::default()),
            DpModel::Cnn | DpModel::BertTiny => ModelConfig::Cnn(CnnConfig {
                dropout: 0.0,
                ..CnnConfig::default()
            }),
        };
        DataParallelConfig {
            train: TrainConfig {
                model,
                optimizer: OptimizerConfig::sgd(self.lr as f32),
                loss: LossKind::CrossEntropy,
                batch_size: self.global_batch,
                n_epochs: 1,
                seed: self.seed,
                ..TrainConfig::graphcore_example()
            },
            n_workers,
            n_steps: self.n_steps,
        }
    }

    /// BERT-tiny's configuration for a run of `n_workers`: the BERT lab's AdamW (10 % warm-up,
    /// linear decay over the run's steps) at the form's rate, with both dropouts at 0.
    pub fn bert_config(&self, n_workers: usize) -> BertDataParallelConfig {
        BertDataParallelConfig {
            train: BertTrainConfig {
                model: bert_model(),
                batch_size: self.global_batch,
                seed: self.seed,
                ..BertTrainConfig::bert_tiny(self.lr as f32)
            },
            n_workers,
            n_steps: self.n_steps,
        }
    }

    /// The page's reduce for a run of `n_workers`.
    pub fn reducer(&self, n_workers: usize) -> Reducer {
        match self.model {
            DpModel::Mlp | DpModel::Cnn => Reducer::Dense(ReduceSum::default()),
            DpModel::BertTiny => Reducer::Sparse(SparseReduceSum::new(
                WireLayout::of_bert(&bert_model()),
                n_workers,
            )),
        }
    }

    /// The worker counts of the sweep: 1, 2, 4, … and `n_workers` itself.
    pub fn sweep(&self) -> Vec<usize> {
        let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |n| Some(n * 2))
            .take_while(|&n| n < self.n_workers)
            .collect();
        counts.push(self.n_workers);
        counts
    }

    /// One line for the results ("CNN · global batch 64 · 60 steps · SGD lr 0.05 · seed 1").
    pub fn summary(&self) -> String {
        format!(
            "{} · global batch {} · {} steps · {} lr {} · seed {}",
            self.model.label(),
            self.global_batch,
            self.n_steps,
            if self.model == DpModel::BertTiny {
                "AdamW"
            } else {
                "SGD"
            },
            self.lr,
            self.seed
        )
    }
}

/// BERT-tiny without dropout (each shard would draw its own masks).
fn bert_model() -> BertConfig {
    BertConfig {
        hidden_dropout: 0.0,
        attention_dropout: 0.0,
        ..BertConfig::bert_tiny()
    }
}

/// The page's side of the all-reduce: the MNIST models' dense sum, or BERT's over dense
/// weights and embedding rows.
#[derive(Debug)]
pub enum Reducer {
    Dense(ReduceSum),
    Sparse(SparseReduceSum),
}

impl Reducer {
    fn add_le_bytes(&mut self, bytes: &[u8], n_samples: usize) -> Result<(), DataParallelError> {
        match self {
            Self::Dense(sum) => sum.add_le_bytes(bytes, n_samples),
            Self::Sparse(sum) => sum.add_le_bytes(bytes, n_samples),
        }
    }

    fn finish_le_bytes(&mut self, out: &mut Vec<u8>) -> Result<usize, DataParallelError> {
        match self {
            Self::Dense(sum) => sum.finish_le_bytes(out),
            Self::Sparse(sum) => sum.finish_le_bytes(out),
        }
    }
}

/// The most workers this browser should run: one per logical core it reports, at least 1.
pub fn worker_cap(hardware_concurrency: f64) -> usize {
    if hardware_concurrency.is_finite() && hardware_concurrency >= 1.0 {
        (hardware_concurrency as usize).min(MAX_WORKERS)
    } else {
        1
    }
}

/// The sentence for a worker count above the cap, if it is.
pub fn check_cap(settings: &DpSettings, cap: usize) -> Result<(), String> {
    if settings.n_workers > cap {
        Err(format!(
            "This browser reports {cap} logical core{}, so at most {cap} worker{} can each have one; {} would share cores and measure nothing useful.",
            if cap == 1 { "" } else { "s" },
            if cap == 1 { "" } else { "s" },
            settings.n_workers
        ))
    } else {
        Ok(())
    }
}

/// One shard's result, as it crosses the worker boundary.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shard {
    pub step_idx: usize,
    pub n_samples: usize,
    pub loss: f32,
    pub n_correct: usize,
}

impl From<ShardResult> for Shard {
    fn from(s: ShardResult) -> Self {
        Self {
            step_idx: s.step_idx,
            n_samples: s.n_samples,
            loss: s.loss,
            n_correct: s.n_correct,
        }
    }
}

impl From<Shard> for ShardResult {
    fn from(s: Shard) -> Self {
        Self {
            step_idx: s.step_idx,
            n_samples: s.n_samples,
            loss: s.loss,
            n_correct: s.n_correct,
        }
    }
}

/// Page → replica worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToReplica {
    /// Be replica `worker_idx` of `n_workers` in run `run_id`; the four MNIST files travel
    /// beside. The worker answers with step 0's gradients.
    Start {
        run_id: u32,
        worker_idx: usize,
        n_workers: usize,
        settings: DpSettings,
    },
    /// Apply step `step_idx`'s all-reduced gradients (one buffer of little-endian f32 beside),
    /// then compute the next step's, or say it has finished.
    Apply { run_id: u32, step_idx: usize },
    /// Evaluate the test set with the trained replica.
    Evaluate { run_id: u32 },
}

/// Replica worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromReplica {
    Ready,
    /// A shard's gradients (one buffer of little-endian f32 beside); `compute_ms` is the
    /// worker's own time since the message that asked for them (apply plus forward and backward).
    Gradients {
        run_id: u32,
        worker_idx: usize,
        shard: Shard,
        compute_ms: f64,
    },
    /// The last step is applied.
    Finished {
        run_id: u32,
        worker_idx: usize,
        compute_ms: f64,
    },
    /// Test accuracy of the trained replica.
    Evaluated {
        run_id: u32,
        accuracy: f32,
        n_test: usize,
    },
    /// Something the replica could not do.
    Error {
        run_id: Option<u32>,
        message: String,
    },
}

/// The replica worker's protocol (`worker_loader.js?lab=dp`).
#[derive(Debug)]
pub struct DpWorker;

impl crate::training::client::WorkerProtocol for DpWorker {
    const NAME: &'static str = "dp";
    const WHAT: &'static str = "replica worker";
    type In = ToReplica;
    type Out = Received;
    fn is_ready(received: &Received) -> bool {
        matches!(received.message, FromReplica::Ready)
    }
    fn attach_bytes(received: &mut Received, buffers: Vec<Vec<u8>>) {
        received.bytes = buffers.into_iter().next();
    }
}

/// A replica's message as the page receives it: the JSON, and the buffer beside it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Received {
    #[serde(flatten)]
    pub message: FromReplica,
    #[serde(skip)]
    pub bytes: Option<Vec<u8>>,
}

/// A finished run of one worker count.
#[derive(Clone, Debug, PartialEq)]
pub struct DpResult {
    pub n_workers: usize,
    /// Samples per second over the timed steps (all but the first).
    pub samples_per_s: f64,
    /// Mean milliseconds per timed step.
    pub step_ms: f64,
    /// Of which the slowest replica was computing (its apply, forward and backward).
    pub compute_ms: f64,
    /// The rest: transfers, the page's all-reduce, waiting.
    pub comm_ms: f64,
    /// Loss of every step (over the global batch).
    pub losses: Vec<f32>,
    /// Test accuracy of replica 0 after the run.
    pub test_accuracy: f32,
    pub n_test: usize,
}

/// What the page must do after a replica's message.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Nothing yet (waiting for the other replicas).
    Wait,
    /// Send these averaged gradients (little-endian f32) to every replica for `step_idx`.
    Broadcast { step_idx: usize, bytes: Vec<u8> },
    /// Ask replica 0 to evaluate the test set.
    Evaluate,
    /// The run is over.
    Done(DpResult),
}

/// The page's side of one run: collects every replica's gradients for a step, all-reduces
/// them, and keeps the time split. Time is the page's clock, handed in.
///
/// Each replica's gradients are added to the running sum ([`ReduceSum`]) as soon as every
/// replica before it has been added: replica 0's while replica 1 still computes, so when the
/// slowest answers only its own share is left. The sums run in replica order whatever the
/// order of arrival, so the same shards always give the same bytes.
#[derive(Debug)]
pub struct Coordinator {
    run_id: u32,
    n_workers: usize,
    step_idx: usize,
    /// This step's shards (with each replica's compute time) as they come in.
    pending: Vec<Option<(Shard, f64)>>,
    /// Gradients that arrived before an earlier replica's, waiting for their turn.
    waiting: Vec<Option<Vec<u8>>>,
    /// Replicas whose gradients are in the sum.
    n_added: usize,
    sum: Reducer,
    n_finished: usize,
    finish_compute_ms: f64,
    /// When step 0's gradients were all in (the timed part starts then).
    timed_from_ms: Option<f64>,
    timed_compute_ms: f64,
    timed_samples: usize,
    timed_steps: usize,
    losses: Vec<f32>,
    timed_until_ms: f64,
}

impl Coordinator {
    /// Run `run_id` over `n_workers` replicas, all-reduced by `sum`
    /// ([`DpSettings::reducer`]).
    pub fn new(run_id: u32, n_workers: usize, sum: Reducer) -> Self {
        Self {
            run_id,
            n_workers,
            step_idx: 0,
            pending: vec![None; n_workers],
            waiting: vec![None; n_workers],
            n_added: 0,
            sum,
            n_finished: 0,
            finish_compute_ms: 0.0,
            timed_from_ms: None,
            timed_compute_ms: 0.0,
            timed_samples: 0,
            timed_steps: 0,
            losses: Vec::new(),
            timed_until_ms: 0.0,
        }
    }

    pub fn run_id(&self) -> u32 {
        self.run_id
    }

    pub fn n_workers(&self) -> usize {
        self.n_workers
    }

    /// Steps whose gradients have been all-reduced.
    pub fn n_steps_done(&self) -> usize {
        self.losses.len()
    }

    /// The losses so far.
    pub fn losses(&self) -> &[f32] {
        &self.losses
    }

    /// Takes one replica message (with its buffer) received at `now_ms`.
    ///
    /// # Errors
    /// A replica's error, a message out of order or of another shape: the sentence for the page.
    pub fn on_message(
        &mut self,
        message: FromReplica,
        bytes: Option<Vec<u8>>,
        now_ms: f64,
    ) -> Result<Action, String> {
        match message {
            FromReplica::Ready => Ok(Action::Wait),
            FromReplica::Error { run_id, message } => {
                if run_id.is_some_and(|id| id != self.run_id) {
                    Ok(Action::Wait)
                } else {
                    Err(message)
                }
            }
            FromReplica::Gradients { run_id, .. }
            | FromReplica::Finished { run_id, .. }
            | FromReplica::Evaluated { run_id, .. }
                if run_id != self.run_id =>
            {
                Ok(Action::Wait)
            }
            FromReplica::Gradients {
                worker_idx,
                shard,
                compute_ms,
                ..
            } => {
                if worker_idx >= self.n_workers || shard.step_idx != self.step_idx {
                    return Err(format!(
                        "Replica {worker_idx} sent step {} while the run is at step {}.",
                        shard.step_idx, self.step_idx
                    ));
                }
                if self.pending[worker_idx].is_some() {
                    return Err(format!(
                        "Replica {worker_idx} sent step {} twice.",
                        shard.step_idx
                    ));
                }
                self.pending[worker_idx] = Some((shard, compute_ms));
                self.waiting[worker_idx] = Some(bytes.unwrap_or_default());
                self.add_in_order()?;
                if self.n_added < self.n_workers {
                    return Ok(Action::Wait);
                }
                self.reduce(now_ms)
            }
            FromReplica::Finished {
                worker_idx,
                compute_ms,
                ..
            } => {
                if worker_idx >= self.n_workers {
                    return Err(format!("Replica {worker_idx} is not part of this run."));
                }
                self.n_finished += 1;
                self.finish_compute_ms = self.finish_compute_ms.max(compute_ms);
                if self.n_finished < self.n_workers {
                    return Ok(Action::Wait);
                }
                self.timed_compute_ms += self.finish_compute_ms;
                self.timed_until_ms = now_ms;
                Ok(Action::Evaluate)
            }
            FromReplica::Evaluated {
                accuracy, n_test, ..
            } => Ok(Action::Done(self.result(accuracy, n_test))),
        }
    }

    /// Adds the waiting gradients of the next replicas in order, as far as they have arrived.
    fn add_in_order(&mut self) -> Result<(), String> {
        while self.n_added < self.n_workers {
            let Some(bytes) = self.waiting[self.n_added].take() else {
                break;
            };
            let n_samples = self.pending[self.n_added].map_or(0, |(shard, _)| shard.n_samples);
            self.sum
                .add_le_bytes(&bytes, n_samples)
                .map_err(|e| format!("The all-reduce failed: {e}."))?;
            self.n_added += 1;
        }
        Ok(())
    }

    fn reduce(&mut self, now_ms: f64) -> Result<Action, String> {
        let entries: Vec<(Shard, f64)> = self.pending.iter_mut().filter_map(Option::take).collect();
        self.n_added = 0;
        let mut bytes = Vec::new();
        self.sum
            .finish_le_bytes(&mut bytes)
            .map_err(|e| format!("The all-reduce failed: {e}."))?;
        let shards: Vec<ShardResult> = entries.iter().map(|(s, _)| (*s).into()).collect();
        let summary = StepSummary::from_shards(&shards);
        if !summary.loss.is_finite() {
            return Err(format!(
                "The loss stopped being a number at step {}: lower the learning rate.",
                summary.step_idx + 1
            ));
        }
        self.losses.push(summary.loss);
        let slowest = entries.iter().map(|(_, ms)| *ms).fold(0.0, f64::max);
        if self.timed_from_ms.is_none() {
            // Step 0 includes reading the data and building the model: a warm-up, as the real
            // run's first step (about 8.4 s against 0.89 s), so the timing starts after it.
            self.timed_from_ms = Some(now_ms);
        } else {
            self.timed_compute_ms += slowest;
            self.timed_samples += summary.n_samples;
            self.timed_steps += 1;
        }
        let step_idx = self.step_idx;
        self.step_idx += 1;
        Ok(Action::Broadcast { step_idx, bytes })
    }

    fn result(&self, test_accuracy: f32, n_test: usize) -> DpResult {
        let wall_ms =
            (self.timed_until_ms - self.timed_from_ms.unwrap_or(self.timed_until_ms)).max(0.0);
        // The timed part covers the applies of steps 0..n and the gradients of steps 1..n.
        let n_timed = self.timed_steps.max(1) as f64;
        let step_ms = wall_ms / n_timed;
        let compute_ms = (self.timed_compute_ms / n_timed).min(step_ms);
        DpResult {
            n_workers: self.n_workers,
            samples_per_s: if wall_ms > 0.0 {
                self.timed_samples as f64 * 1_000.0 / wall_ms
            } else {
                0.0
            },
            step_ms,
            compute_ms,
            comm_ms: step_ms - compute_ms,
            losses: self.losses.clone(),
            test_accuracy,
            n_test,
        }
    }
}

/// The results table: workers, samples/s, efficiency against one worker, step, compute,
/// communication, final loss, test accuracy.
pub fn result_rows(results: &[DpResult]) -> Vec<Vec<String>> {
    let one = results
        .iter()
        .find(|r| r.n_workers == 1)
        .map(|r| r.samples_per_s);
    results
        .iter()
        .map(|r| {
            vec![
                r.n_workers.to_string(),
                format!("{:.0}", r.samples_per_s),
                efficiency(one, r).map_or_else(|| "—".into(), |e| format!("{:.0}%", 100.0 * e)),
                format!("{:.1} ms", r.step_ms),
                format!(
                    "{:.1} ms ({:.0}%)",
                    r.compute_ms,
                    100.0 * r.compute_ms / r.step_ms.max(1e-9)
                ),
                format!(
                    "{:.1} ms ({:.0}%)",
                    r.comm_ms,
                    100.0 * r.comm_ms / r.step_ms.max(1e-9)
                ),
                r.losses
                    .last()
                    .map_or_else(String::new, |l| format!("{l:.4}")),
                format!("{:.2}%", 100.0 * r.test_accuracy),
            ]
        })
        .collect()
}

/// Per-worker rate over one worker's: `rate(N) / (N · rate(1))`.
pub fn efficiency(one_worker_rate: Option<f64>, result: &DpResult) -> Option<f64> {
    one_worker_rate
        .filter(|&r| r > 0.0)
        .map(|r| result.samples_per_s / (result.n_workers as f64 * r))
}

/// The sentence under the results, in this browser's words.
pub fn results_sentence(results: &[DpResult]) -> Option<String> {
    let one = results.iter().find(|r| r.n_workers == 1)?;
    let most = results.iter().max_by_key(|r| r.n_workers)?;
    if most.n_workers == 1 {
        return None;
    }
    Some(format!(
        "In this browser, {} workers trained {:.2}× as many samples per second as one ({:.0}% efficiency); the test accuracy differs by {:.2} percentage points, because the replicas compute the same step as one worker.",
        most.n_workers,
        most.samples_per_s / one.samples_per_s.max(1e-9),
        100.0 * efficiency(Some(one.samples_per_s), most).unwrap_or(0.0),
        100.0 * (most.test_accuracy - one.test_accuracy).abs()
    ))
}

mod replica;
pub use replica::{Outgoing, ReplicaSession};

#[cfg(test)]
mod tests;
