//! What a replica's worker holds and does ([`ReplicaSession`]): its model (an MNIST
//! [`Replica`] or a [`BertReplica`]) with its test set, one answer per page message. Plain
//! data, natively tested; the worker glue is `training::worker`.

use nn::bert::train::EncodedExample;
use nn::data::Dataset;
use nn::parallel::bert::BertReplica;
use nn::parallel::{DataParallelError, Replica, ShardResult};
use nn::train::Evaluator;

use super::{BERT_LEN, DpModel, DpSettings, EVAL_CHUNK, FromReplica, ToReplica};
use crate::training::mnist::task::load_data;

/// A replica's model with its test set.
#[derive(Debug)]
enum ReplicaRun {
    Mnist {
        replica: Box<Replica>,
        test: Dataset,
    },
    Bert {
        replica: Box<BertReplica>,
        test: Vec<EncodedExample>,
    },
}

impl ReplicaRun {
    /// Replica `worker_idx` of `n_workers` for `settings`, from the files the page sent (the
    /// four MNIST files, or the BERT lab's vocabulary and two sentence files).
    fn new(
        settings: &DpSettings,
        worker_idx: usize,
        n_workers: usize,
        files: &[Vec<u8>],
    ) -> Result<Self, String> {
        if settings.model == DpModel::BertTiny {
            let data = crate::training::bert::task::load_data(files).map_err(|(_, e)| e)?;
            let train = data.train.examples(&data.tokenizer, BERT_LEN, None);
            let test = data.test.examples(&data.tokenizer, BERT_LEN, None);
            let replica = BertReplica::new(&settings.bert_config(n_workers), worker_idx, train)
                .map_err(|e| format!("{e}."))?;
            return Ok(Self::Bert {
                replica: Box::new(replica),
                test,
            });
        }
        let data = load_data(files).map_err(|rejection| rejection.message)?;
        let replica = Replica::new(&settings.config(n_workers), worker_idx, data.train)
            .map_err(|e| format!("{e}."))?;
        Ok(Self::Mnist {
            replica: Box::new(replica),
            test: data.test,
        })
    }

    fn compute_gradients_le_bytes(
        &mut self,
        out: &mut Vec<u8>,
    ) -> Result<ShardResult, DataParallelError> {
        match self {
            Self::Mnist { replica, .. } => replica.compute_gradients_le_bytes(out),
            Self::Bert { replica, .. } => replica.compute_gradients_le_bytes(out),
        }
    }

    fn apply_gradients_le_bytes(
        &mut self,
        step_idx: usize,
        bytes: &[u8],
    ) -> Result<(), DataParallelError> {
        match self {
            Self::Mnist { replica, .. } => replica.apply_gradients_le_bytes(step_idx, bytes),
            Self::Bert { replica, .. } => replica.apply_gradients_le_bytes(step_idx, bytes),
        }
    }

    fn is_finished(&self) -> bool {
        match self {
            Self::Mnist { replica, .. } => replica.is_finished(),
            Self::Bert { replica, .. } => replica.is_finished(),
        }
    }

    /// Test accuracy and the number of test items.
    fn evaluate(&self) -> Result<(f32, usize), String> {
        let evaluation = match self {
            Self::Mnist { replica, test } => {
                let mut evaluator = Evaluator::new(test.len(), 10);
                while replica
                    .evaluate_chunk(test, &mut evaluator, EVAL_CHUNK)
                    .map_err(|e| format!("{e}."))?
                {}
                evaluator.finish()
            }
            Self::Bert { replica, test } => {
                nn::bert::train::evaluate(replica.model(), test).map_err(|e| format!("{e}."))?
            }
        };
        Ok((evaluation.accuracy, evaluation.n_samples))
    }
}

/// What a replica's worker holds and does: plain data, its clock handed in.
#[derive(Debug, Default)]
pub struct ReplicaSession {
    run: Option<(u32, usize, ReplicaRun)>,
}

/// A message for the page and the buffer to transfer beside it.
pub type Outgoing = (FromReplica, Option<Vec<u8>>);

impl ReplicaSession {
    /// Answers one message of the page.
    pub fn handle(
        &mut self,
        message: ToReplica,
        buffers: Vec<Vec<u8>>,
        clock: &mut dyn FnMut() -> f64,
    ) -> Outgoing {
        let started = clock();
        let error = |run_id, message| (FromReplica::Error { run_id, message }, None);
        match message {
            ToReplica::Start {
                run_id,
                worker_idx,
                n_workers,
                settings,
            } => {
                let run = match ReplicaRun::new(&settings, worker_idx, n_workers, &buffers) {
                    Ok(run) => run,
                    Err(message) => return error(Some(run_id), message),
                };
                self.run = Some((run_id, worker_idx, run));
                let now = clock();
                self.compute(run_id, now, clock)
            }
            ToReplica::Apply { run_id, step_idx } => {
                let Some((current, worker_idx, replica)) = self.run.as_mut() else {
                    return error(Some(run_id), "This replica has no run to apply to.".into());
                };
                if *current != run_id {
                    return error(Some(run_id), format!("This replica is in run {current}."));
                }
                let Some(averaged) = buffers.first() else {
                    return error(
                        Some(run_id),
                        "The averaged gradients did not arrive.".into(),
                    );
                };
                if let Err(e) = replica.apply_gradients_le_bytes(step_idx, averaged) {
                    return error(Some(run_id), format!("{e}."));
                }
                if replica.is_finished() {
                    let worker_idx = *worker_idx;
                    return (
                        FromReplica::Finished {
                            run_id,
                            worker_idx,
                            compute_ms: clock() - started,
                        },
                        None,
                    );
                }
                self.compute(run_id, started, clock)
            }
            ToReplica::Evaluate { run_id } => {
                let Some((current, _, replica)) = self.run.as_ref() else {
                    return error(
                        Some(run_id),
                        "This replica has no model to evaluate.".into(),
                    );
                };
                if *current != run_id {
                    return error(Some(run_id), format!("This replica is in run {current}."));
                }
                match replica.evaluate() {
                    Ok((accuracy, n_test)) => (
                        FromReplica::Evaluated {
                            run_id,
                            accuracy,
                            n_test,
                        },
                        None,
                    ),
                    Err(message) => error(Some(run_id), message),
                }
            }
        }
    }

    /// Computes the next step's gradients; `compute_ms` counts from `started`.
    fn compute(&mut self, run_id: u32, started: f64, clock: &mut dyn FnMut() -> f64) -> Outgoing {
        let Some((_, worker_idx, replica)) = self.run.as_mut() else {
            return (
                FromReplica::Error {
                    run_id: Some(run_id),
                    message: "This replica has no run.".into(),
                },
                None,
            );
        };
        let worker_idx = *worker_idx;
        let mut bytes = Vec::new();
        match replica.compute_gradients_le_bytes(&mut bytes) {
            Ok(shard) => (
                FromReplica::Gradients {
                    run_id,
                    worker_idx,
                    shard: shard.into(),
                    compute_ms: (clock() - started).max(0.0),
                },
                Some(bytes),
            ),
            Err(e) => (
                FromReplica::Error {
                    run_id: Some(run_id),
                    message: format!("{e}."),
                },
                None,
            ),
        }
    }
}
