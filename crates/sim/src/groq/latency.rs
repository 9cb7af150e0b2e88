//! The course's Groq experiment: BERT-tiny compiled for sequence 128, then recompiled for
//! 256, and the model's latency ratio beside the one the real GroqChip reported.
//!
//! The real figures \[P\]/\[D\]: the student's log (AK `07_AITestbeds/Groq.txt`) printed
//! on-chip throughputs of 37,576.72 and 23,391.20 inferences per second for BERT-tiny at
//! input lengths 128 and 256, i.e. 26.6 µs and 42.8 µs on chip, a ratio of 1.61 for twice the
//! length. The model's absolute times are this simulator's, not Groq's: it leaves out the
//! embeddings, the pooler and classifier, the FP16 conversion and everything the real
//! compiler does better or worse than this one.

use super::compile::compile;
use super::config::GroqConfig;
use crate::error::SimError;
use crate::units::Cycle;
use crate::workload::presets::bert_tiny_encoder;

/// Real on-chip latency at sequence 128, µs \[D\] from 37,576.72 IPS \[P\].
pub const REAL_SEQ128_US: f64 = 26.6;
/// Real on-chip latency at sequence 256, µs \[D\] from 23,391.20 IPS \[P\].
pub const REAL_SEQ256_US: f64 = 42.8;
/// Where the real figures come from.
pub const REAL_SOURCE: &str = "the course student's GroqFlow log (AK 07_AITestbeds/Groq.txt, BERT-tiny on groq-r01-gn-08, on-chip latency from estimate_performance)";
/// Layers of BERT-tiny.
pub const BERT_TINY_LAYERS: u64 = 2;
/// What the model's figure leaves out, in one sentence.
pub const LEAVES_OUT: &str = "the embeddings, pooler and classifier, FP16 and the real compiler's fusions and placement; only the two encoder layers are compiled, on this simulator's latencies";

/// One compile of BERT-tiny's encoder at one sequence length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyPoint {
    /// Sequence length.
    pub seq: u64,
    /// The schedule's length.
    pub cycles: Cycle,
    /// At the config's clock, in µs (the model's, not Groq's).
    pub micros: f64,
}

/// The model's 256/128 ratio beside the real one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyComparison {
    /// Sequence 128.
    pub short: LatencyPoint,
    /// Sequence 256 (a new compile: the shape changed).
    pub long: LatencyPoint,
    /// The model's `long / short`.
    pub model_ratio: f64,
    /// The real `42.8 / 26.6`.
    pub real_ratio: f64,
}

impl LatencyComparison {
    /// The model's ratio relative to the real one, minus 1 (−0.1: 10% low).
    #[must_use]
    pub fn ratio_error(&self) -> f64 {
        self.model_ratio / self.real_ratio - 1.0
    }
}

/// Compiles BERT-tiny's encoder at `seq` on `config`.
///
/// # Errors
/// A bad config or a sequence the compiler refuses.
pub fn bert_latency(config: &GroqConfig, seq: u64) -> Result<LatencyPoint, SimError> {
    let workload = bert_tiny_encoder(seq, BERT_TINY_LAYERS)?;
    let program = compile(config, &workload)?;
    Ok(LatencyPoint {
        seq,
        cycles: program.length,
        micros: program.length.seconds_at(config.clock_hz) * 1e6,
    })
}

/// Compiles BERT-tiny at sequence 128 and at 256 and compares the ratio with the real run.
///
/// # Errors
/// As [`bert_latency`].
pub fn seq_latency_ratio(config: &GroqConfig) -> Result<LatencyComparison, SimError> {
    let short = bert_latency(config, 128)?;
    let long = bert_latency(config, 256)?;
    Ok(LatencyComparison {
        model_ratio: long.cycles.0 as f64 / short.cycles.0.max(1) as f64,
        real_ratio: REAL_SEQ256_US / REAL_SEQ128_US,
        short,
        long,
    })
}
