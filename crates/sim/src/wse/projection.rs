//! The WSE model's projection of a BERT training step: an arithmetic bound, not a simulation.
//!
//! The mesh simulator ([`super::layer`]) runs one layer's forward pass for one sequence with
//! every weight resident; a training step of BERT-large at batch 512 is far beyond what it can
//! run. What the model can say is how long the step's arithmetic takes if every PE of the
//! wafer does the model's multiply-adds every cycle: the step's multiply-adds ÷ (PEs ×
//! [`WseConfig::fmacs_per_cycle`] × [`WseConfig::clock_hz`]). That is a cost per sample and no
//! fixed cost, a lower bound in the model's own terms. What it leaves out is the point of the
//! comparison: the weights streamed in from MemoryX and the gradients streamed out each step
//! (weight-streaming mode), the update done there, the real PEs' arithmetic (bf16, not one FP32
//! multiply-add a cycle) and any PE left idle.

use super::config::WseConfig;

/// Processing elements of a WSE-2, 850,000 \[P\] ALCF user guide, Cerebras system overview.
pub const WSE2_PES: u64 = 850_000;

/// A BERT encoder's sizes as one training step sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BertShape {
    pub layers: u64,
    pub hidden: u64,
    pub intermediate: u64,
    /// Tokens per sequence.
    pub seq: u64,
    pub vocab: u64,
    /// Masked positions predicted per sequence.
    pub predictions: u64,
}

impl BertShape {
    /// BERT-large at sequence length 128 as the homework ran it: 24 layers, width 1,024, FFN
    /// 4,096, vocabulary 30,522, 20 masked predictions a sequence \[P\] Cerebras ModelZoo
    /// `bert_large_MSL128.yaml` (course facts §2.3).
    #[must_use]
    pub fn bert_large_msl128() -> Self {
        Self {
            layers: 24,
            hidden: 1_024,
            intermediate: 4_096,
            seq: 128,
            vocab: 30_522,
            predictions: 20,
        }
    }

    /// Multiply-adds of one sequence's forward pass: per layer and token the four `d × d`
    /// projections (query, key, value, output), the two FFN matrices and attention's two
    /// products of `seq × d` (scores and the weighted sum); then the masked-LM head at each
    /// prediction (its `d × d` transform and the `d × V` decoder). Embeddings, LayerNorm,
    /// softmax and the next-sentence head are left out (no or few multiply-adds).
    #[must_use]
    pub fn forward_macs(&self) -> u64 {
        let (d, f) = (self.hidden, self.intermediate);
        let per_token_layer = 4 * d * d + 2 * d * f + 2 * self.seq * d;
        let head = self.predictions * (d * d + d * self.vocab);
        self.layers * self.seq * per_token_layer + head
    }

    /// A training step's multiply-adds per sequence: the forward pass and a backward pass of
    /// twice its work (each product's input and weight gradients).
    #[must_use]
    pub fn training_macs(&self) -> u64 {
        3 * self.forward_macs()
    }
}

/// The model's bound on a training step: a cost per sample, no fixed cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainingBound {
    /// Multiply-adds per sample.
    pub macs_per_sample: u64,
    /// Multiply-adds the whole wafer does per second in the model.
    pub macs_per_s: f64,
    /// Seconds per sample.
    pub per_sample_s: f64,
}

impl TrainingBound {
    /// `shape` trained on `n_pes` PEs of `config` (its multiply-adds per cycle and clock).
    #[must_use]
    pub fn new(shape: &BertShape, config: &WseConfig, n_pes: u64) -> Self {
        let macs_per_sample = shape.training_macs();
        let macs_per_s = n_pes as f64 * f64::from(config.fmacs_per_cycle) * config.clock_hz;
        Self {
            macs_per_sample,
            macs_per_s,
            per_sample_s: if macs_per_s > 0.0 {
                macs_per_sample as f64 / macs_per_s
            } else {
                f64::INFINITY
            },
        }
    }

    /// BERT-large at 128 on a whole WSE-2 with the model's PE.
    #[must_use]
    pub fn bert_large_on_wse2() -> Self {
        Self::new(
            &BertShape::bert_large_msl128(),
            &WseConfig::wse2(1, 1),
            WSE2_PES,
        )
    }

    /// Seconds per step at `batch`.
    #[must_use]
    pub fn step_s(&self, batch: f64) -> f64 {
        batch * self.per_sample_s
    }

    /// Samples per second the bound allows.
    #[must_use]
    pub fn samples_per_s(&self) -> f64 {
        1.0 / self.per_sample_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multiply_adds_are_counted_by_hand() {
        // One layer, d 2, FFN 4, 3 tokens, vocabulary 5, 1 prediction:
        // per token 4·4 + 2·8 + 2·3·2 = 44; × 3 tokens = 132; head 1·(4 + 10) = 14.
        let tiny = BertShape {
            layers: 1,
            hidden: 2,
            intermediate: 4,
            seq: 3,
            vocab: 5,
            predictions: 1,
        };
        assert_eq!(tiny.forward_macs(), 146);
        assert_eq!(tiny.training_macs(), 438);
        let large = BertShape::bert_large_msl128();
        // 24 · 128 · 12,845,056 + 20 · 32,303,104.
        assert_eq!(large.forward_macs(), 40_106_074_112);
    }

    #[test]
    fn bert_large_on_the_model_wafer_costs_about_129_us_a_sample() {
        let bound = TrainingBound::bert_large_on_wse2();
        assert_eq!(bound.macs_per_sample, 120_318_222_336);
        assert!((bound.macs_per_s - 9.35e14).abs() < 1.0);
        assert!(
            (bound.per_sample_s - 1.286_826e-4).abs() < 1e-9,
            "{}",
            bound.per_sample_s
        );
        assert!((bound.step_s(512.0) - 0.065_89).abs() < 1e-4);
        assert!((bound.samples_per_s() - 7_771.0).abs() < 1.0);
        let idle = TrainingBound::new(
            &BertShape::bert_large_msl128(),
            &WseConfig {
                fmacs_per_cycle: 0,
                ..WseConfig::wse2(1, 1)
            },
            WSE2_PES,
        );
        assert!(idle.per_sample_s.is_infinite());
    }
}
