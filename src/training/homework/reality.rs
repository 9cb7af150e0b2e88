//! What the homework's real runs reported, and one row per figure beside the simulator's or the
//! browser's figure for the same setting (course_facts §3; the student's logs, April 2024).

use sim::groq::latency::{REAL_SEQ128_US, REAL_SEQ256_US};
use sim::ipu::epoch::REAL_EPOCH_S_CACHED;
use sim::rdu::scaling::REAL_RUNS;

use crate::training::mnist::config::IPU_SWEEP;

/// Which section a row belongs to (its `at=` value on the homework page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Graphcore,
    Cerebras,
    Sambanova,
    Groq,
}

impl Section {
    pub const ALL: [Section; 4] = [
        Section::Graphcore,
        Section::Cerebras,
        Section::Sambanova,
        Section::Groq,
    ];

    /// The section's anchor and `at=` value.
    #[must_use]
    pub fn at(self) -> &'static str {
        match self {
            Section::Graphcore => "graphcore",
            Section::Cerebras => "cerebras",
            Section::Sambanova => "sambanova",
            Section::Groq => "groq",
        }
    }
}

/// Where the real figures come from, one sentence per machine.
#[must_use]
pub fn source(section: Section) -> &'static str {
    match section {
        Section::Graphcore => sim::ipu::epoch::REAL_SOURCE,
        Section::Cerebras => {
            "the student's Cerebras log (AK 07_AITestbeds/Cerebras.txt): BERT-large, 1,000 steps, MSL 128, one CS-2, ModelZoo 2.1.1, April 2024"
        }
        Section::Sambanova => sim::rdu::scaling::REAL_SOURCE,
        Section::Groq => sim::groq::latency::REAL_SOURCE,
    }
}

/// One real Cerebras CS-2 run of the batch sweep (1,000 steps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CerebrasRun {
    pub batch: u32,
    /// "Processed … in" seconds for 1,000 steps.
    pub seconds: f64,
    /// GlobalRate at step 1,000, samples per second.
    pub samples_per_s: f64,
}

/// The three real runs.
pub const CEREBRAS_RUNS: [CerebrasRun; 3] = [
    CerebrasRun {
        batch: 512,
        seconds: 176.28,
        samples_per_s: 2_904.48,
    },
    CerebrasRun {
        batch: 1_024,
        seconds: 211.42,
        samples_per_s: 4_843.42,
    },
    CerebrasRun {
        batch: 2_048,
        seconds: 304.99,
        samples_per_s: 6_714.95,
    },
];

/// One real figure of the homework, and what this site says for the same setting.
#[derive(Debug, Clone, PartialEq)]
pub struct RealityRow {
    pub section: Section,
    /// The setting ("lr 0.0005, batch 8, 10 epochs").
    pub setting: String,
    /// What is measured ("test accuracy").
    pub quantity: &'static str,
    /// The real figure with its unit ("93.08 %").
    pub real: String,
    /// The real value, for the ratio.
    pub real_value: f64,
    /// This site's figure for the same setting, once there is one, and where it comes from
    /// ("IPU model", "this browser").
    pub ours: Option<(f64, String, &'static str)>,
    /// What the model or the in-page run leaves out.
    pub leaves_out: &'static str,
}

impl RealityRow {
    /// Ours over real (1.0 is exact), once there is a figure of ours.
    #[must_use]
    pub fn ratio(&self) -> Option<f64> {
        self.ours
            .as_ref()
            .filter(|_| self.real_value > 0.0)
            .map(|(value, _, _)| value / self.real_value)
    }
}

/// Every real figure of the homework, in section order, with nothing of ours yet: each section
/// fills in its own with [`RealityRow::ours`].
#[must_use]
pub fn real_rows() -> Vec<RealityRow> {
    let mut rows = Vec::new();
    for (lr, accuracy) in IPU_SWEEP {
        rows.push(RealityRow {
            section: Section::Graphcore,
            setting: format!("lr {lr}, batch 8, 10 epochs"),
            quantity: "test accuracy",
            real: format!("{accuracy:.2} %"),
            real_value: accuracy,
            ours: None,
            leaves_out: "",
        });
    }
    rows.push(RealityRow {
        section: Section::Graphcore,
        setting: "batch 8, cached executables".into(),
        quantity: "time per epoch",
        real: format!("{REAL_EPOCH_S_CACHED} s"),
        real_value: REAL_EPOCH_S_CACHED,
        ours: None,
        leaves_out: "",
    });
    let wse_bound = sim::wse::projection::TrainingBound::bert_large_on_wse2();
    for run in CEREBRAS_RUNS {
        let model_s = wse_bound.step_s(f64::from(run.batch));
        rows.push(RealityRow {
            section: Section::Cerebras,
            setting: format!("batch {}", run.batch),
            quantity: "time per step",
            real: format!("{:.3} s", run.seconds / 1_000.0),
            real_value: run.seconds / 1_000.0,
            ours: Some((model_s, format!("{model_s:.3} s"), "WSE model (bound)")),
            leaves_out: "a bound, not a simulation: the step's multiply-adds on 850,000 PEs doing the model's one FP32 multiply-add a cycle; no fixed cost, where the real step pays about 0.133 s whatever the batch (weights streamed in from MemoryX, gradients out, the update there)",
        });
    }
    let rdu_model = sim::rdu::ntasks_comparison(&sim::rdu::RduConfig::sn10_tile());
    for run in REAL_RUNS {
        let ours = rdu_model
            .rows
            .iter()
            .find(|row| row.ntasks == run.ntasks)
            .map(|row| {
                let rate = row.model_samples_per_s;
                (rate, format!("{rate:.0} samples/s"), "RDU model")
            });
        rows.push(RealityRow {
            section: Section::Sambanova,
            setting: format!("--ntasks {}", run.ntasks),
            quantity: "samples per second",
            real: format!("{:.0} samples/s", run.samples_per_s),
            real_value: run.samples_per_s,
            ours,
            leaves_out: "the real step took about 0.89 s; the model uses the compiler's projected 0.61 s, so it is too fast by the same factor at every task count (compare the scaling, not the level)",
        });
    }
    for (seq, micros) in [(128, REAL_SEQ128_US), (256, REAL_SEQ256_US)] {
        rows.push(RealityRow {
            section: Section::Groq,
            setting: format!("sequence length {seq}, batch 1"),
            quantity: "on-chip latency",
            real: format!("{micros} µs"),
            real_value: micros,
            ours: None,
            leaves_out: "",
        });
    }
    // The same runs' CPU (PyTorch) baseline, end to end (course_facts §3.4).
    for (seq, millis) in [(128, REAL_CPU_SEQ128_MS), (256, REAL_CPU_SEQ256_MS)] {
        rows.push(RealityRow {
            section: Section::Groq,
            setting: format!("sequence length {seq}, batch 1"),
            quantity: "CPU latency per sentence",
            real: format!("{millis} ms"),
            real_value: millis,
            ours: None,
            leaves_out: "",
        });
    }
    rows.push(RealityRow {
        section: Section::Groq,
        setting: "SST test sentences, any input given to the compiler".into(),
        quantity: "test accuracy",
        real: format!("{REAL_GROQ_ACCURACY} %"),
        real_value: REAL_GROQ_ACCURACY,
        ours: None,
        leaves_out: "",
    });
    rows
}

/// The Groq runs' CPU (PyTorch) end-to-end latency per sentence, ms \[P\] (course_facts §3.4).
pub const REAL_CPU_SEQ128_MS: f64 = 2.19;
/// See [`REAL_CPU_SEQ128_MS`].
pub const REAL_CPU_SEQ256_MS: f64 = 4.13;
/// The Groq runs' test accuracy on SST's 2,210 test sentences, % \[P\], the same at every
/// input and length (course_facts §3.4).
pub const REAL_GROQ_ACCURACY: f64 = 77.47;

/// What the Groq section puts beside the real figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroqOurs {
    /// The Groq model's latency (µs) at each length.
    pub model_us: Vec<(usize, f64)>,
    /// This browser's latest milliseconds per sentence at each length.
    pub browser_ms: Vec<(usize, f64)>,
    /// This browser's latest test accuracy (0–1) and on how many sentences.
    pub accuracy: Option<(f64, usize)>,
}

/// Fills the Groq rows of `rows` with `ours`.
pub fn fill_groq(rows: &mut [RealityRow], ours: &GroqOurs) {
    let at = |pairs: &[(usize, f64)], setting: &str| {
        pairs
            .iter()
            .find(|(len, _)| setting == format!("sequence length {len}, batch 1"))
            .map(|&(_, v)| v)
    };
    for row in rows.iter_mut().filter(|r| r.section == Section::Groq) {
        match row.quantity {
            "on-chip latency" => {
                row.ours = at(&ours.model_us, &row.setting)
                    .map(|us| (us, format!("{us:.1} µs"), "Groq model"));
                row.leaves_out = sim::groq::latency::LEAVES_OUT;
            }
            "CPU latency per sentence" => {
                row.ours = at(&ours.browser_ms, &row.setting)
                    .map(|ms| (ms, format!("{ms:.2} ms"), "this browser (wasm, one thread)"));
                row.leaves_out = "PyTorch's kernels and threads on a server CPU; here BERT-tiny runs in wasm in a worker";
            }
            _ => {
                row.ours = ours.accuracy.map(|(a, n)| {
                    let percent = a * 100.0;
                    (
                        percent,
                        format!("{percent:.2} % on {n}"),
                        "this browser, bundled test sentences",
                    )
                });
                row.leaves_out = "SST's labels and sentences: the bundled set is VADER's ratings of the review sentences SST was built from, and the model was trained here";
            }
        }
    }
}

/// What the Graphcore section puts beside the real figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphcoreOurs {
    /// Per learning rate: this browser's test accuracy (0–1) with the IPU's setting, and
    /// whether the run had the IPU's 75,000 steps (else 10,000).
    pub accuracy: Vec<(f64, f32, bool)>,
    /// The IPU model's seconds per epoch at batch 8.
    pub model_epoch_s: Option<f64>,
}

/// Fills the Graphcore rows of `rows` with `ours`.
pub fn fill_graphcore(rows: &mut [RealityRow], ours: &GraphcoreOurs) {
    for row in rows.iter_mut().filter(|r| r.section == Section::Graphcore) {
        if row.quantity == "time per epoch" {
            row.ours = ours
                .model_epoch_s
                .map(|s| (s, format!("{s:.2} s"), "IPU model"));
            row.leaves_out = "host work, data loading, the test pass, attach and compile";
            continue;
        }
        let found = ours
            .accuracy
            .iter()
            .find(|(lr, _, _)| row.setting == format!("lr {lr}, batch 8, 10 epochs"));
        row.ours = found.map(|&(_, accuracy, ipu_steps)| {
            let percent = f64::from(accuracy) * 100.0;
            let from = if ipu_steps {
                "this browser, 75,000 steps on 8,000 digits"
            } else {
                "this browser, 10,000 steps on 8,000 digits"
            };
            (percent, format!("{percent:.2} %"), from)
        });
        if row.ours.is_some() {
            row.leaves_out = "52,000 of the training digits and 8,000 of the test digits";
        }
    }
}

/// The reality table as CSV: one line per row, ours empty until there is a figure.
#[must_use]
pub fn to_csv(rows: &[RealityRow]) -> String {
    use crate::training::text::csv_field;
    let mut out = String::from(
        "machine,setting,quantity,real,real_value,here,here_value,from,here_over_real,leaves_out\n",
    );
    for row in rows {
        let (text, value, from) = row
            .ours
            .as_ref()
            .map_or((String::new(), String::new(), ""), |(v, t, f)| {
                (t.clone(), format!("{v}"), *f)
            });
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            row.section.at(),
            csv_field(&row.setting),
            csv_field(row.quantity),
            csv_field(&row.real),
            row.real_value,
            csv_field(&text),
            value,
            csv_field(from),
            row.ratio().map_or(String::new(), |r| format!("{r:.4}")),
            csv_field(row.leaves_out)
        ));
    }
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn the_graphcore_rows_take_the_browsers_accuracy_and_the_models_epoch_time() {
        let mut rows = real_rows();
        fill_graphcore(
            &mut rows,
            &GraphcoreOurs {
                accuracy: vec![(0.0005, 0.9375, true), (0.05, 0.97, false)],
                model_epoch_s: Some(4.325),
            },
        );
        let ours = |setting: &str| {
            rows.iter()
                .find(|r| r.setting == setting)
                .and_then(|r| r.ours.clone())
        };
        assert_eq!(
            ours("lr 0.0005, batch 8, 10 epochs"),
            Some((
                93.75,
                "93.75 %".into(),
                "this browser, 75,000 steps on 8,000 digits"
            ))
        );
        assert_eq!(
            ours("lr 0.05, batch 8, 10 epochs").map(|o| o.2),
            Some("this browser, 10,000 steps on 8,000 digits")
        );
        assert_eq!(ours("lr 0.5, batch 8, 10 epochs"), None);
        let epoch = rows
            .iter()
            .find(|r| r.quantity == "time per epoch")
            .unwrap();
        // 4.325 s modelled against 8.65 s measured: half.
        assert!((epoch.ratio().unwrap() - 0.5).abs() < 1e-12);
        let csv = to_csv(&rows);
        assert!(csv.starts_with("machine,setting,"));
        assert!(csv.contains("\ngraphcore,\"lr 0.0005, batch 8, 10 epochs\",test accuracy,93.08 %,93.08,93.75 %,93.75,\"this browser, 75,000 steps on 8,000 digits\",1.0072,"));
        assert_eq!(csv.lines().count(), rows.len() + 1);
    }

    #[test]
    fn the_groq_rows_take_the_models_latency_and_the_browsers_time_and_accuracy() {
        let mut rows = real_rows();
        fill_groq(
            &mut rows,
            &GroqOurs {
                model_us: vec![(128, 13.3), (256, 21.4)],
                browser_ms: vec![(128, 4.38)],
                accuracy: Some((0.7747, 200)),
            },
        );
        let groq: Vec<&RealityRow> = rows.iter().filter(|r| r.section == Section::Groq).collect();
        assert_eq!(groq.len(), 5);
        // 13.3 µs modelled against 26.6 µs measured: half.
        assert!((groq[0].ratio().unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(groq[1].ours.as_ref().unwrap().1, "21.4 µs");
        // 4.38 ms here against PyTorch's 2.19 ms: twice as slow.
        assert!((groq[2].ratio().unwrap() - 2.0).abs() < 1e-12);
        assert_eq!(groq[3].ours, None);
        assert!((groq[4].ratio().unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(groq[4].ours.as_ref().unwrap().1, "77.47 % on 200");
    }

    #[test]
    fn every_section_has_real_figures_and_the_cerebras_rates_follow_from_the_times() {
        let rows = real_rows();
        for section in Section::ALL {
            assert!(rows.iter().any(|r| r.section == section), "{section:?}");
        }
        // samples/s = batch × 1,000 steps / seconds, as the log's GlobalRate reports.
        for run in CEREBRAS_RUNS {
            let derived = f64::from(run.batch) * 1_000.0 / run.seconds;
            assert!((derived / run.samples_per_s - 1.0).abs() < 0.005, "{run:?}");
        }
        // The SambaNova rows carry the RDU model's figure: too fast by the same factor at
        // every task count (the compiler's projected step against the real one).
        let sambanova: Vec<f64> = rows
            .iter()
            .filter(|r| r.section == Section::Sambanova)
            .filter_map(RealityRow::ratio)
            .collect();
        assert_eq!(sambanova.len(), 3);
        assert!(
            sambanova.iter().all(|r| (1.3..1.5).contains(r)),
            "{sambanova:?}"
        );
    }
}
