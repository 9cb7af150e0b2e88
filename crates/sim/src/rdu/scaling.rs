//! Data parallel (`--ntasks`): the model's samples per second as the number of replicas
//! grows, beside what the student's BERT-large runs on the ALCF SN30 reported, and the
//! throughput window that "failed" at 8 and 32 tasks.
//!
//! # The model
//! Each of `N` replicas runs the same compiled program on its own shard of the batch (a fixed
//! batch per replica, as in the homework: global batch = 256 · N), then the replicas
//! all-reduce their gradients ([`super::program::allreduce_seconds`]: a ring, over the
//! in-node link up to 16 replicas, over the across-node link beyond). A step takes
//! `compute + all-reduce(N)`, so `samples/s = N · batch / step`.
//!
//! For BERT-large the compute time per step is the SambaNova compiler's own projection in the
//! student's compile log, 0.6079 s \[P\]; the gradients are 340 M parameters \[S\] (Devlin et
//! al., 2019) all-reduced in BF16 (2 bytes each: a **modelling choice**). The real step took
//! about 0.89 s \[D\], so the model is too fast in absolute terms; what it shows is the shape
//! of the scaling.

use super::config::RduConfig;
use super::program::allreduce_seconds;
use crate::units::Bytes;

/// The compiler's projected time per BERT-large step, seconds \[P\] (AK `BertLarge_Compile.out`).
pub const BERT_LARGE_PROJECTED_STEP_S: f64 = 0.6079;
/// Samples per replica per step \[P\] (`--per_device_train_batch_size 256`).
pub const BERT_LARGE_BATCH_PER_TASK: u32 = 256;
/// Sequence length \[P\] (`--max_seq_length 128`); the log's "sequences/s" is samples/s × 128.
pub const BERT_LARGE_SEQ_LEN: u32 = 128;
/// BERT-large parameters: 340 million \[S\] (Devlin et al., 2019).
pub const BERT_LARGE_PARAMETERS: u64 = 340_000_000;
/// Bytes per gradient value all-reduced: 2 (BF16). **Modelling choice.**
pub const GRADIENT_BYTES_PER_PARAMETER: u64 = 2;
/// The run script's throughput window on the log's "sequences/s", low end \[P\]
/// (`--min_throughput 560000`).
pub const WINDOW_MIN: f64 = 560_000.0;
/// The window's high end \[P\] (`--max_throughput 620000`).
pub const WINDOW_MAX: f64 = 620_000.0;
/// Where the real figures come from.
pub const REAL_SOURCE: &str = "the student's SambaNova logs BertLarge_Run_ntasks08/16/32.out (akozlov0/ai-science-training-series, 07_AITestbeds), April 2024";

/// One real run of the `--ntasks` sweep \[P\].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RealRun {
    /// Tasks (replicas).
    pub ntasks: u32,
    /// Nodes used.
    pub nodes: u32,
    /// End-to-end training time of 505 steps, seconds.
    pub e2e_s: f64,
    /// Reported samples per second.
    pub samples_per_s: f64,
}

/// The three runs the homework compares (the first 32-task run; a second one reported
/// 8,628.04 samples/s).
pub const REAL_RUNS: [RealRun; 3] = [
    RealRun {
        ntasks: 8,
        nodes: 1,
        e2e_s: 450.99,
        samples_per_s: 2_293.25,
    },
    RealRun {
        ntasks: 16,
        nodes: 1,
        e2e_s: 448.93,
        samples_per_s: 4_607.54,
    },
    RealRun {
        ntasks: 32,
        nodes: 2,
        e2e_s: 465.82,
        samples_per_s: 8_880.98,
    },
];

/// Where a throughput falls against a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowCheck {
    /// Below the window: the check "fails" (too slow).
    Below,
    /// Inside: the check passes.
    Inside,
    /// Above the window: the check "fails" (too fast).
    Above,
}

impl WindowCheck {
    /// Where `value` falls in `[lo, hi]`.
    #[must_use]
    pub fn of(value: f64, lo: f64, hi: f64) -> Self {
        if value < lo {
            Self::Below
        } else if value > hi {
            Self::Above
        } else {
            Self::Inside
        }
    }

    /// In words.
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            Self::Below => "fails: below the window (slower, not broken)",
            Self::Inside => "passes",
            Self::Above => "fails: above the window (faster, not broken)",
        }
    }
}

/// One task count: the model beside the real run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NtasksRow {
    /// Tasks.
    pub ntasks: u32,
    /// The model's step time, seconds.
    pub model_step_s: f64,
    /// The model's samples per second.
    pub model_samples_per_s: f64,
    /// The real samples per second.
    pub real_samples_per_s: f64,
    /// Model ÷ real − 1.
    pub model_error: f64,
    /// The model's per-replica rate over the previous row's (`None` for the first row).
    pub model_efficiency: Option<f64>,
    /// The same for the real runs.
    pub real_efficiency: Option<f64>,
    /// The real "sequences/s" (samples/s × 128) against the real window.
    pub real_window: WindowCheck,
    /// The model's "sequences/s" against the window re-centred on the model's own 16-task
    /// figure (same relative width).
    pub model_window: WindowCheck,
}

/// The `--ntasks` sweep, model beside real.
#[derive(Debug, Clone, PartialEq)]
pub struct NtasksComparison {
    /// One row per real run.
    pub rows: Vec<NtasksRow>,
    /// Gradient bytes all-reduced per replica.
    pub gradient_bytes: Bytes,
    /// The window the model's figures are checked against (the real one scaled by model ÷
    /// real at 16 tasks).
    pub model_window: (f64, f64),
}

/// The model's step time for BERT-large with `ntasks` replicas, seconds.
#[must_use]
pub fn bert_large_step_s(config: &RduConfig, ntasks: u32) -> f64 {
    let grads = Bytes(BERT_LARGE_PARAMETERS * GRADIENT_BYTES_PER_PARAMETER);
    BERT_LARGE_PROJECTED_STEP_S + allreduce_seconds(config, ntasks, grads)
}

/// The model's samples per second beside the student's 8-, 16- and 32-task runs.
#[must_use]
pub fn ntasks_comparison(config: &RduConfig) -> NtasksComparison {
    let batch = f64::from(BERT_LARGE_BATCH_PER_TASK);
    let seq = f64::from(BERT_LARGE_SEQ_LEN);
    let model = |n: u32| f64::from(n) * batch / bert_large_step_s(config, n);
    // Re-centre the window on the model's 16-task figure.
    let scale = model(16) / REAL_RUNS[1].samples_per_s;
    let model_window = (WINDOW_MIN * scale, WINDOW_MAX * scale);
    let mut rows: Vec<NtasksRow> = Vec::new();
    for (i, real) in REAL_RUNS.iter().enumerate() {
        let n = real.ntasks;
        let m = model(n);
        let per = |rate: f64, tasks: u32| rate / f64::from(tasks);
        let prev = i.checked_sub(1).map(|j| REAL_RUNS[j]);
        rows.push(NtasksRow {
            ntasks: n,
            model_step_s: bert_large_step_s(config, n),
            model_samples_per_s: m,
            real_samples_per_s: real.samples_per_s,
            model_error: m / real.samples_per_s - 1.0,
            model_efficiency: prev.map(|p| per(m, n) / per(model(p.ntasks), p.ntasks)),
            real_efficiency: prev
                .map(|p| per(real.samples_per_s, n) / per(p.samples_per_s, p.ntasks)),
            real_window: WindowCheck::of(real.samples_per_s * seq, WINDOW_MIN, WINDOW_MAX),
            model_window: WindowCheck::of(m * seq, model_window.0, model_window.1),
        });
    }
    NtasksComparison {
        rows,
        gradient_bytes: Bytes(BERT_LARGE_PARAMETERS * GRADIENT_BYTES_PER_PARAMETER),
        model_window,
    }
}

/// One point of the simulated workload's data-parallel scaling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalingPoint {
    /// Replicas.
    pub tasks: u32,
    /// Seconds per step: one replica's run plus the all-reduce.
    pub step_s: f64,
    /// Samples per second over all replicas.
    pub samples_per_s: f64,
    /// Per-replica rate over one replica's.
    pub efficiency: f64,
}

/// Samples per second of the simulated workload as replicas are added: each replica runs
/// `replica_cycles` (one replica's run without the all-reduce) on its `samples_per_replica`,
/// then they all-reduce `gradient_bytes`.
#[must_use]
pub fn scaling_curve(
    config: &RduConfig,
    replica_cycles: u64,
    samples_per_replica: u64,
    gradient_bytes: Bytes,
    tasks: &[u32],
) -> Vec<ScalingPoint> {
    let compute_s = replica_cycles as f64 / config.clock_hz;
    let one = samples_per_replica as f64 / compute_s.max(f64::MIN_POSITIVE);
    tasks
        .iter()
        .map(|&n| {
            let step_s = compute_s + allreduce_seconds(config, n, gradient_bytes);
            let rate = f64::from(n) * samples_per_replica as f64 / step_s.max(f64::MIN_POSITIVE);
            ScalingPoint {
                tasks: n,
                step_s,
                samples_per_s: rate,
                efficiency: rate / f64::from(n.max(1)) / one,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_runs_reproduce_from_steps_and_time() {
        // samples/s = 505 steps × 256 × ntasks / e2e time (the time is rounded to 0.01 s).
        for r in REAL_RUNS {
            let derived = 505.0 * 256.0 * f64::from(r.ntasks) / r.e2e_s;
            assert!((derived - r.samples_per_s).abs() < 0.05, "{r:?} {derived}");
        }
    }

    #[test]
    fn the_model_scales_like_the_real_runs_and_the_window_fails_both_ways() {
        let c = ntasks_comparison(&RduConfig::sn10_tile());
        let [r8, r16, r32] = [c.rows[0], c.rows[1], c.rows[2]];
        // Real efficiency: 8→16 ≈ 100%, 16→32 ≈ 96%.
        assert!((r16.real_efficiency.unwrap() - 1.005).abs() < 0.01);
        assert!((r32.real_efficiency.unwrap() - 0.964).abs() < 0.01);
        // The model: ring all-reduce of 680 MB; 16 tasks: 2·15/16·0.68e9/50e9 s + 30·10 µs
        // = 25.8 ms; 32 tasks across nodes: 2·31/32·0.68e9/25e9 + 62·10 µs = 53.3 ms.
        // 16→32 efficiency = (0.6079 + 0.0258) / (0.6079 + 0.0533) ≈ 0.958.
        assert!(
            (r32.model_efficiency.unwrap() - 0.958).abs() < 0.005,
            "{r32:?}"
        );
        assert!(r16.model_efficiency.unwrap() > 0.99);
        // The model is too fast in absolute terms (the compiler's projection is optimistic).
        assert!(r16.model_error > 0.3 && r16.model_error < 0.5, "{r16:?}");
        // The window: 8 fails low, 16 passes, 32 fails high, for the real runs and the model.
        assert_eq!(
            [r8.real_window, r16.real_window, r32.real_window],
            [WindowCheck::Below, WindowCheck::Inside, WindowCheck::Above]
        );
        assert_eq!(
            [r8.model_window, r16.model_window, r32.model_window],
            [WindowCheck::Below, WindowCheck::Inside, WindowCheck::Above]
        );
    }

    #[test]
    fn one_replica_has_no_all_reduce() {
        let c = RduConfig::small(2, 2);
        let pts = scaling_curve(&c, 1_950_000, 10, Bytes(1 << 20), &[1, 2, 4]);
        // 1.95e6 cycles at 1.95 GHz = 1 ms: 10 samples per ms = 10,000 samples/s.
        assert!((pts[0].samples_per_s - 10_000.0).abs() < 1e-6);
        assert!((pts[0].efficiency - 1.0).abs() < 1e-12);
        assert!(pts[2].efficiency < pts[1].efficiency && pts[1].efficiency < 1.0);
    }
}
