//! The Cerebras section's pure parts: its settings in the address (`cs-batches=2,4,8,16&cs-seq=32
//! &cs-warmup=2&cs-steps=5`), the least-squares fit of time per step against batch (a fixed
//! cost per step plus a cost per sample), and the rows that compare how time and batch grow.

use crate::training::bert::config::BertRunConfig;
use crate::training::bert::timing::MlmTimingConfig;
use crate::training::form::{Errors, FieldError, Form, LabFields, parse_seed};
use crate::training::text::parse_count;

use sim::wse::projection::TrainingBound;

use super::reality::CEREBRAS_RUNS;

/// Most batch sizes in one sweep.
pub const MAX_SWEEP_BATCHES: usize = 6;
/// Most warm-up steps per batch size.
pub const MAX_WARMUP: usize = 10;
/// Most timed steps per batch size.
pub const MAX_TIMED: usize = 50;
/// The packed lengths offered (the real run used 128).
pub const SEQ_LENGTHS: [usize; 4] = [16, 32, 64, 128];
/// Steps of the real runs.
pub const REAL_STEPS: f64 = 1_000.0;

/// A field of the Cerebras section's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CerebrasField {
    Batches,
    Seq,
    Warmup,
    Steps,
    Seed,
}

/// The Cerebras section's settings as typed (or read from the address).
pub type CerebrasForm = Form<CerebrasField>;

/// A checked sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CerebrasSweep {
    pub timing: MlmTimingConfig,
    pub seq: usize,
    pub seed: u64,
}

impl CerebrasSweep {
    /// The BERT worker's run for this sweep.
    #[must_use]
    pub fn run_config(&self) -> BertRunConfig {
        BertRunConfig {
            batch_size: self.timing.batches.first().copied().unwrap_or(1),
            lr: f64::from(crate::training::bert::timing::TIMING_LR),
            n_epochs: 1,
            max_len: self.seq,
            seed: self.seed,
            n_train: None,
            init: Default::default(),
            objective: Default::default(),
            mlm_timing: Some(self.timing.clone()),
        }
    }
}

impl LabFields for CerebrasField {
    type Settings = CerebrasSweep;
    const ALL: &'static [Self] = &[
        Self::Batches,
        Self::Seq,
        Self::Warmup,
        Self::Steps,
        Self::Seed,
    ];
    const LAB: &'static str = "homework";

    fn key(self) -> &'static str {
        match self {
            Self::Batches => "cs-batches",
            Self::Seq => "cs-seq",
            Self::Warmup => "cs-warmup",
            Self::Steps => "cs-steps",
            Self::Seed => "cs-seed",
        }
    }

    /// Small batches at a short length, a sweep of seconds: at these sizes the step's fixed
    /// part (AdamW over every weight) is still a large share of it, so the shape shows.
    fn default_text(self) -> &'static str {
        match self {
            Self::Batches => "2,4,8,16",
            Self::Seq => "32",
            Self::Warmup => "2",
            Self::Steps => "5",
            Self::Seed => "1",
        }
    }

    fn parse(form: &CerebrasForm) -> Result<CerebrasSweep, Vec<FieldError<Self>>> {
        let mut e = Errors::default();
        let text = |f| form.field(f).trim();
        let seq = e.check(
            Self::Seq,
            match text(Self::Seq).parse::<usize>() {
                Ok(n) if SEQ_LENGTHS.contains(&n) => Ok(n),
                _ => Err(format!(
                    "The sequence length must be 16, 32, 64 or 128; “{}” is not one of them.",
                    text(Self::Seq)
                )),
            },
        );
        let batches = e.check(Self::Batches, parse_batches(text(Self::Batches)));
        let n_warmup = e.check(
            Self::Warmup,
            parse_count(
                text(Self::Warmup),
                "The number of warm-up steps",
                MAX_WARMUP,
            ),
        );
        let n_timed = e.check(
            Self::Steps,
            parse_count(text(Self::Steps), "The number of timed steps", MAX_TIMED),
        );
        let seed = e.check(Self::Seed, parse_seed(text(Self::Seed)));
        // The memory check needs both the batches and the length.
        if let (Some(batches), Some(seq)) = (&batches, seq) {
            let probe = MlmTimingConfig {
                batches: batches.clone(),
                n_warmup: 1,
                n_timed: 1,
            };
            if let Err(message) = probe.check_memory(seq) {
                e.check::<()>(Self::Batches, Err(format!("{message}.")));
            }
        }
        let settings = (|| {
            Some(CerebrasSweep {
                timing: MlmTimingConfig {
                    batches: batches?,
                    n_warmup: n_warmup?,
                    n_timed: n_timed?,
                },
                seq: seq?,
                seed: seed?,
            })
        })();
        e.finish(settings)
    }
}

/// Batch sizes separated by commas: 1 to [`MAX_SWEEP_BATCHES`] of them, each a whole number
/// of at least 1, in increasing order.
///
/// # Errors
/// A sentence naming the value at fault.
pub fn parse_batches(text: &str) -> Result<Vec<usize>, String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if text.trim().is_empty() {
        return Err(
            "The batch sizes are missing: type them separated by commas, like 4,8,16.".into(),
        );
    }
    if parts.len() > MAX_SWEEP_BATCHES {
        return Err(format!(
            "A sweep takes at most {MAX_SWEEP_BATCHES} batch sizes; {} were given.",
            parts.len()
        ));
    }
    let mut batches = Vec::with_capacity(parts.len());
    for part in parts {
        match part.parse::<usize>() {
            Ok(n) if n >= 1 => {
                if batches.last().is_some_and(|&last| n <= last) {
                    return Err(format!(
                        "The batch sizes must grow from left to right; {n} comes after {}.",
                        batches.last().copied().unwrap_or(0)
                    ));
                }
                batches.push(n);
            }
            _ => {
                return Err(format!(
                    "Each batch size must be a whole number of at least 1; “{part}” is not."
                ));
            }
        }
    }
    Ok(batches)
}

/// Time per step as a fixed cost plus a cost per sample: `t(b) = fixed_s + b · per_sample_s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepTimeFit {
    pub fixed_s: f64,
    pub per_sample_s: f64,
}

impl StepTimeFit {
    /// The least-squares line through `(batch, seconds per step)` points; `None` with fewer
    /// than two distinct batch sizes.
    #[must_use]
    pub fn least_squares(points: &[(f64, f64)]) -> Option<Self> {
        let n = points.len() as f64;
        let mean_b = points.iter().map(|p| p.0).sum::<f64>() / n;
        let mean_t = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sbb: f64 = points.iter().map(|p| (p.0 - mean_b).powi(2)).sum();
        let sbt: f64 = points.iter().map(|p| (p.0 - mean_b) * (p.1 - mean_t)).sum();
        if points.len() < 2 || sbb <= 0.0 {
            return None;
        }
        let per_sample_s = sbt / sbb;
        Some(Self {
            fixed_s: mean_t - per_sample_s * mean_b,
            per_sample_s,
        })
    }

    /// Seconds per step at `batch`.
    #[must_use]
    pub fn at(&self, batch: f64) -> f64 {
        self.fixed_s + batch * self.per_sample_s
    }

    /// The rate the per-sample cost allows alone (samples/s).
    #[must_use]
    pub fn streaming_rate(&self) -> f64 {
        1.0 / self.per_sample_s
    }

    /// "0.1334 s + b / 11,934 per s" in the unit `unit` (seconds scaled by `scale`: 1 for s,
    /// 1,000 for ms).
    #[must_use]
    pub fn describe(&self, unit: &str, scale: f64) -> String {
        let fixed = self.fixed_s * scale;
        let digits = if fixed.abs() >= 10.0 { 1 } else { 4 };
        if self.per_sample_s > 0.0 {
            format!(
                "{fixed:.digits$} {unit} + b / {} samples/s",
                sim::units::thousands(self.streaming_rate().round() as u64)
            )
        } else {
            format!(
                "{fixed:.digits$} {unit} {} {:.4} {unit} per sample",
                if self.per_sample_s < 0.0 { "−" } else { "+" },
                self.per_sample_s.abs() * scale
            )
        }
    }
}

/// The real runs' fit, from the 512 and 2,048 runs (course_facts §3.3: 0.1334 s + b/11,934).
#[must_use]
pub fn real_fit() -> Option<StepTimeFit> {
    let points: Vec<(f64, f64)> = [CEREBRAS_RUNS[0], CEREBRAS_RUNS[2]]
        .iter()
        .map(|r| (f64::from(r.batch), r.seconds / REAL_STEPS))
        .collect();
    StepTimeFit::least_squares(&points)
}

/// The WSE model's bound beside each real run: `(batch, model s/step, real s/step)`.
#[must_use]
pub fn wse_bound_rows(bound: &TrainingBound) -> Vec<(u32, f64, f64)> {
    CEREBRAS_RUNS
        .iter()
        .map(|run| {
            (
                run.batch,
                bound.step_s(f64::from(run.batch)),
                run.seconds / REAL_STEPS,
            )
        })
        .collect()
}

/// How time grew against batch from the first point: `(batch ratio, time ratio)` per point.
#[must_use]
pub fn growth(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let Some(&(b0, t0)) = points.first() else {
        return Vec::new();
    };
    points
        .iter()
        .map(|&(b, t)| (b / b0, if t0 > 0.0 { t / t0 } else { 0.0 }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_fit_is_the_lessons() {
        let fit = real_fit().unwrap();
        // (0.30499 − 0.17628) / 1,536 = 8.3796e-5 s per sample = 1 / 11,934 per s;
        // 0.17628 − 512 × 8.3796e-5 = 0.13338 s.
        assert!((fit.fixed_s - 0.1334).abs() < 5e-5, "{fit:?}");
        assert!((fit.streaming_rate() - 11_934.0).abs() < 1.0, "{fit:?}");
        assert_eq!(fit.describe("s", 1.0), "0.1334 s + b / 11,934 samples/s");
        // It predicts 0.219 s at 1,024 against the 0.211 measured.
        assert!((fit.at(1_024.0) - 0.219).abs() < 5e-4);
    }

    #[test]
    fn the_wse_bound_falls_short_of_each_real_step_less_as_the_batch_grows() {
        let rows = wse_bound_rows(&TrainingBound::bert_large_on_wse2());
        let ratios: Vec<f64> = rows.iter().map(|&(_, model, real)| model / real).collect();
        assert_eq!(
            rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            [512, 1_024, 2_048]
        );
        // 0.0659 / 0.1763, 0.1318 / 0.2114, 0.2635 / 0.3050.
        for (ratio, want) in ratios.iter().zip([0.374, 0.623, 0.864]) {
            assert!((ratio - want).abs() < 1e-3, "{ratios:?}");
        }
        // Its per-sample cost is the real fit's × 1.54: the real PE does more arithmetic a cycle.
        let real = real_fit().unwrap();
        let bound = TrainingBound::bert_large_on_wse2();
        assert!((bound.per_sample_s / real.per_sample_s - 1.536).abs() < 1e-3);
    }

    #[test]
    fn least_squares_recovers_a_line_and_needs_two_batches() {
        let line: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0]
            .iter()
            .map(|&b| (b, 0.5 + 0.25 * b))
            .collect();
        let fit = StepTimeFit::least_squares(&line).unwrap();
        assert!((fit.fixed_s - 0.5).abs() < 1e-12 && (fit.per_sample_s - 0.25).abs() < 1e-12);
        // Noise around the line: the fit minimises the squared error, so any other line is
        // worse.
        let noisy = [(1.0, 0.8), (2.0, 0.9), (4.0, 1.6), (8.0, 2.4)];
        let fit = StepTimeFit::least_squares(&noisy).unwrap();
        let error =
            |f: &StepTimeFit| -> f64 { noisy.iter().map(|&(b, t)| (f.at(b) - t).powi(2)).sum() };
        for (df, ds) in [(0.01, 0.0), (-0.01, 0.0), (0.0, 0.001), (0.0, -0.001)] {
            let other = StepTimeFit {
                fixed_s: fit.fixed_s + df,
                per_sample_s: fit.per_sample_s + ds,
            };
            assert!(error(&other) > error(&fit));
        }
        assert_eq!(StepTimeFit::least_squares(&[(4.0, 1.0)]), None);
        assert_eq!(StepTimeFit::least_squares(&[(4.0, 1.0), (4.0, 2.0)]), None);
        assert_eq!(
            growth(&[(4.0, 10.0), (16.0, 25.0)]),
            vec![(1.0, 1.0), (4.0, 2.5)]
        );
    }

    #[test]
    fn settings_round_trip_and_bad_values_get_their_sentence() {
        let sweep = CerebrasForm::default().parse().unwrap();
        assert_eq!(sweep.timing.batches, vec![2, 4, 8, 16]);
        assert_eq!(
            (sweep.seq, sweep.timing.n_warmup, sweep.timing.n_timed),
            (32, 2, 5)
        );
        let config = sweep.run_config();
        assert_eq!(config.mlm_timing.as_ref(), Some(&sweep.timing));
        let query = vec![
            ("at".to_owned(), "cerebras".to_owned()),
            ("cs-seq".to_owned(), "64".to_owned()),
        ];
        let form = CerebrasForm::from_query(&query);
        assert_eq!(
            form.href_keeping(&query),
            "#/labs/homework?at=cerebras&cs-batches=2%2C4%2C8%2C16&cs-seq=64&cs-warmup=2&cs-steps=5&cs-seed=1"
        );
        let check = |field: CerebrasField, text: &str, message: &str| {
            let error = CerebrasForm::with(&[(field, text)]).error(field);
            assert_eq!(error.as_deref(), Some(message), "{field:?} = {text}");
        };
        check(
            CerebrasField::Batches,
            "4,x",
            "Each batch size must be a whole number of at least 1; “x” is not.",
        );
        check(
            CerebrasField::Batches,
            "8,4",
            "The batch sizes must grow from left to right; 4 comes after 8.",
        );
        check(
            CerebrasField::Seq,
            "100",
            "The sequence length must be 16, 32, 64 or 128; “100” is not one of them.",
        );
        check(
            CerebrasField::Steps,
            "0",
            "The number of timed steps must be at least 1, not 0.",
        );
        let big = CerebrasForm::with(&[(CerebrasField::Batches, "4,512")])
            .error(CerebrasField::Batches)
            .unwrap();
        assert!(
            big.starts_with("A masked-LM step at batch 512 and length 32 would hold about "),
            "{big}"
        );
    }
}
