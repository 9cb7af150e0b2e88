//! Where a run stands in its epochs, kept one way for every trainer: the shuffled order, the
//! epoch and batch counters, the sums behind an epoch's summary, the history, the status, and
//! the batch held between the two halves of a step. A trainer adds only what its model needs:
//! how a batch is built from the indices, the forward and backward pass, the optimizer step.

use super::{
    BatchMetrics, Divergence, EpochSummary, PendingBatch, TrainStatus, divergence_kind, ratio,
};
use crate::rng::{Rng, shuffle};

/// The bookkeeping of a run of `n_epochs` passes over `n_items` in batches of `batch_size`.
#[derive(Clone, Debug)]
pub(crate) struct EpochLedger {
    batch_size: usize,
    n_epochs: usize,
    order: Vec<usize>,
    epoch_idx: usize,
    batch_idx: usize,
    loss_sum: f64,
    correct: usize,
    seen: usize,
    grad_norm_sum: f64,
    history: Vec<EpochSummary>,
    status: TrainStatus,
    pending: Option<PendingBatch>,
}

impl EpochLedger {
    /// A run that has not started. The callers have checked that every count is positive.
    pub(crate) fn new(n_items: usize, batch_size: usize, n_epochs: usize) -> Self {
        Self {
            batch_size,
            n_epochs,
            order: (0..n_items).collect(),
            epoch_idx: 0,
            batch_idx: 0,
            loss_sum: 0.0,
            correct: 0,
            seen: 0,
            grad_norm_sum: 0.0,
            history: Vec::new(),
            status: TrainStatus::Training,
            pending: None,
        }
    }

    pub(crate) fn status(&self) -> TrainStatus {
        self.status
    }

    pub(crate) fn history(&self) -> &[EpochSummary] {
        &self.history
    }

    /// Batches per epoch (the last may be partial).
    pub(crate) fn n_batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// The items of the next batch, or the status when the run is over. The order is shuffled
    /// with `rng` as an epoch starts (not again when a pending batch is recomputed).
    pub(crate) fn next_batch(&mut self, rng: &mut Rng) -> Result<&[usize], TrainStatus> {
        if self.status != TrainStatus::Training {
            return Err(self.status);
        }
        if self.batch_idx == 0 && self.pending.is_none() {
            shuffle(&mut self.order, rng);
        }
        let start = self.batch_idx * self.batch_size;
        let end = (start + self.batch_size).min(self.order.len());
        Ok(&self.order[start..end])
    }

    /// Stops the run when the batch's `loss` diverged (dropping any pending batch) and says where.
    pub(crate) fn check_divergence(&mut self, loss: f32, threshold: f32) -> Option<Divergence> {
        let kind = divergence_kind(loss, threshold)?;
        let divergence = Divergence {
            epoch_idx: self.epoch_idx,
            batch_idx: self.batch_idx,
            kind,
        };
        self.pending = None;
        self.status = TrainStatus::Diverged(divergence);
        Some(divergence)
    }

    /// Holds a batch whose gradients are computed, until [`Self::take_pending`].
    pub(crate) fn hold(&mut self, pending: PendingBatch) {
        self.pending = Some(pending);
    }

    pub(crate) fn take_pending(&mut self) -> Option<PendingBatch> {
        self.pending.take()
    }

    /// Counts an applied batch, whose gradient had norm `grad_norm`, and moves to the next;
    /// after an epoch's last batch, its summary joins the history (and after the last epoch
    /// the run is finished).
    pub(crate) fn record(&mut self, pending: PendingBatch, grad_norm: f32) -> BatchMetrics {
        let PendingBatch {
            n_samples,
            n_correct,
            loss,
        } = pending;
        let metrics = BatchMetrics {
            epoch_idx: self.epoch_idx,
            batch_idx: self.batch_idx,
            n_samples,
            loss,
            accuracy: ratio(n_correct as u64, n_samples as u64),
            grad_norm,
        };
        self.loss_sum += f64::from(loss) * n_samples as f64;
        self.correct += n_correct;
        self.seen += n_samples;
        self.grad_norm_sum += f64::from(grad_norm);
        self.batch_idx += 1;
        if self.batch_idx == self.n_batches_per_epoch() {
            self.finish_epoch();
        }
        metrics
    }

    fn finish_epoch(&mut self) {
        self.history.push(EpochSummary {
            epoch_idx: self.epoch_idx,
            mean_loss: (self.loss_sum / self.seen.max(1) as f64) as f32,
            train_accuracy: ratio(self.correct as u64, self.seen as u64),
            mean_grad_norm: (self.grad_norm_sum / self.batch_idx.max(1) as f64) as f32,
        });
        self.epoch_idx += 1;
        self.batch_idx = 0;
        self.loss_sum = 0.0;
        self.correct = 0;
        self.seen = 0;
        self.grad_norm_sum = 0.0;
        if self.epoch_idx == self.n_epochs {
            self.status = TrainStatus::Finished;
        }
    }

    pub(crate) fn epoch_idx(&self) -> usize {
        self.epoch_idx
    }

    pub(crate) fn batch_idx(&self) -> usize {
        self.batch_idx
    }
}
