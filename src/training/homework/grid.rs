//! The Graphcore section's grid: the MNIST example (CNN, plain SGD, its double softmax) at every
//! learning rate × batch size × number of epochs the learner lists, queued in the MNIST lab's
//! worker. Its settings in the address (`ipu-lr=0.0005,0.05&ipu-batch=8,32&ipu-epochs=1,2…`),
//! the runs it queues, the time it will take here before it starts, its cap, and its results.
//!
//! Epochs are read off the longest run, not run again: a run's first epochs do not depend on
//! how many follow (one seeded generator shuffles and drops out, epoch after epoch), so a grid
//! over 1, 2 and 5 epochs queues one 5-epoch run per learning rate and batch size.

use crate::training::form::{Errors, FieldError, Form, LabFields, parse_choice, parse_seed};
use crate::training::mnist::config::{MAX_BATCH, MAX_EPOCHS, MAX_LR, RunConfig, format_lr};
use crate::training::state::RunRecord;
use crate::training::text::{format_duration, parse_count, parse_lr};

/// Training digits per epoch on the IPU (MNIST's training set).
pub const IPU_DIGITS_PER_EPOCH: usize = 60_000;
/// The bundled training digits.
pub const BUNDLED_TRAIN: usize = 8_000;
/// The bundled test digits (every run is tested on all of them after each epoch).
pub const BUNDLED_TEST: usize = 2_000;
/// At most this many values in one list.
pub const MAX_VALUES: usize = 6;
/// Longest grid the page starts at once, in estimated seconds.
pub const MAX_GRID_S: f64 = 60.0 * 60.0;

/// This site's CNN speed in a browser tab, measured in Chromium 156 on a shared 2-core Linux
/// machine (the grid journey's 2×2 grid: 594 training digits/s at batch 8 and 845 at batch
/// 16, and about 0.9 s per 2,000-digit test pass): seconds per training step beyond its digits,
/// seconds per training digit, and seconds per test digit.
pub const STEP_OVERHEAD_S: f64 = 0.008;
/// See [`STEP_OVERHEAD_S`].
pub const TRAIN_S_PER_DIGIT: f64 = 0.000_7;
/// See [`STEP_OVERHEAD_S`].
pub const TEST_S_PER_DIGIT: f64 = 0.000_45;

/// A field of the grid's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GridField {
    Lr,
    Batch,
    Epochs,
    Steps,
    Digits,
    Seed,
}

/// The grid as typed.
pub type GridForm = Form<GridField>;

/// How many updates a run gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Steps {
    /// An epoch is one pass over the digits trained on here.
    Here,
    /// An epoch is as many digits as the IPU's (60,000), so the same number of SGD steps.
    Ipu,
}

/// A checked grid.
#[derive(Clone, Debug, PartialEq)]
pub struct GridConfig {
    pub lrs: Vec<f64>,
    pub batches: Vec<usize>,
    /// The epochs to report, in the IPU's sense when `steps` is [`Steps::Ipu`].
    pub epochs: Vec<usize>,
    pub steps: Steps,
    /// Training digits used (the first this many of the bundled 8,000).
    pub n_digits: usize,
    pub seed: u64,
}

/// A comma-separated list of values, each parsed by `one`, at most [`MAX_VALUES`], no repeats.
fn parse_list<T: PartialEq + Copy>(
    text: &str,
    what: &str,
    one: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let mut values = Vec::new();
    for part in text.split(',').map(str::trim) {
        if part.is_empty() && text.trim().is_empty() {
            return Err(format!("Give at least one {what}."));
        }
        let value = one(part)?;
        if !values.contains(&value) {
            values.push(value);
        }
    }
    if values.len() > MAX_VALUES {
        return Err(format!(
            "List at most {MAX_VALUES} {what}s; {} make too big a grid for a browser tab.",
            values.len()
        ));
    }
    Ok(values)
}

impl LabFields for GridField {
    type Settings = GridConfig;
    const ALL: &'static [Self] = &[
        Self::Lr,
        Self::Batch,
        Self::Epochs,
        Self::Steps,
        Self::Digits,
        Self::Seed,
    ];
    const LAB: &'static str = "homework";

    fn key(self) -> &'static str {
        match self {
            Self::Lr => "ipu-lr",
            Self::Batch => "ipu-batch",
            Self::Epochs => "ipu-epochs",
            Self::Steps => "ipu-steps",
            Self::Digits => "ipu-digits",
            Self::Seed => "ipu-seed",
        }
    }

    /// The IPU's four learning rates at its batch, one epoch of the bundled digits.
    fn default_text(self) -> &'static str {
        match self {
            Self::Lr => "0.0005, 0.005, 0.05, 0.5",
            Self::Batch => "8",
            Self::Epochs => "1",
            Self::Steps => "here",
            Self::Digits => "8000",
            Self::Seed => "1",
        }
    }

    fn parse(form: &GridForm) -> Result<GridConfig, Vec<FieldError<Self>>> {
        let mut e = Errors::default();
        let text = |f| form.field(f);
        let lrs = e.check(
            Self::Lr,
            parse_list(text(Self::Lr), "learning rate", |t| parse_lr(t, MAX_LR)),
        );
        let batches = e.check(
            Self::Batch,
            parse_list(text(Self::Batch), "batch size", |t| {
                parse_count(t, "A batch size", MAX_BATCH)
            }),
        );
        let epochs = e.check(
            Self::Epochs,
            parse_list(text(Self::Epochs), "number of epochs", |t| {
                parse_count(t, "A number of epochs", MAX_EPOCHS)
            }),
        );
        let steps = e.check(
            Self::Steps,
            parse_choice(
                text(Self::Steps),
                "a number of steps",
                &[("here", Steps::Here), ("ipu", Steps::Ipu)],
            ),
        );
        let n_digits = e.check(
            Self::Digits,
            parse_count(
                text(Self::Digits),
                "The number of training digits",
                BUNDLED_TRAIN,
            ),
        );
        let seed = e.check(Self::Seed, parse_seed(text(Self::Seed)));
        // The IPU's steps on few digits can mean more epochs than a run may have.
        if let (Some(epochs), Some(Steps::Ipu), Some(n)) = (&epochs, steps, n_digits) {
            let most = epochs.iter().copied().max().unwrap_or(1);
            let here = epochs_here(most, Steps::Ipu, n);
            if here > MAX_EPOCHS {
                let _ = e.check::<()>(
                    Self::Steps,
                    Err(format!(
                        "The IPU's steps for {most} epoch{} on {n} digits are {here} passes over them; a run here has at most {MAX_EPOCHS}: train on more digits or fewer epochs.",
                        plural(most)
                    )),
                );
            }
        }
        let settings = (|| {
            Some(GridConfig {
                lrs: lrs?,
                batches: batches?,
                epochs: epochs?,
                steps: steps?,
                n_digits: n_digits?,
                seed: seed?,
            })
        })();
        e.finish(settings)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Passes over `n_digits` that make `epochs` epochs: the same number, or, with the IPU's steps,
/// as many as 60,000 digits an epoch take (rounded up).
#[must_use]
pub fn epochs_here(epochs: usize, steps: Steps, n_digits: usize) -> usize {
    match steps {
        Steps::Here => epochs,
        Steps::Ipu => (epochs * IPU_DIGITS_PER_EPOCH).div_ceil(n_digits.max(1)),
    }
}

/// The estimated seconds of one run here: its steps, its digits and a test pass per epoch.
#[must_use]
pub fn run_seconds(run: &RunConfig) -> f64 {
    let n = run.n_train.unwrap_or(BUNDLED_TRAIN);
    let steps = n.div_ceil(run.batch_size.max(1));
    let epoch = steps as f64 * STEP_OVERHEAD_S
        + n as f64 * TRAIN_S_PER_DIGIT
        + BUNDLED_TEST as f64 * TEST_S_PER_DIGIT;
    epoch * run.n_epochs as f64
}

/// What the start button will do: the runs it queues and how long they should take.
#[derive(Clone, Debug, PartialEq)]
pub struct GridPlan {
    /// Every run of the grid, learning rate first, then batch size, in the order typed.
    pub runs: Vec<RunConfig>,
    /// How many of them fit in [`MAX_GRID_S`] (the first ones).
    pub n_started: usize,
    /// Estimated seconds of all runs, and of the ones that fit.
    pub total_s: f64,
    pub started_s: f64,
}

impl GridConfig {
    /// The runs: one per learning rate × batch size, each as long as the most epochs asked.
    #[must_use]
    pub fn runs(&self) -> Vec<RunConfig> {
        let most = self.epochs.iter().copied().max().unwrap_or(1);
        let n_epochs = epochs_here(most, self.steps, self.n_digits);
        let mut runs = Vec::new();
        for &lr in &self.lrs {
            for &batch_size in &self.batches {
                runs.push(RunConfig {
                    lr,
                    batch_size,
                    n_epochs,
                    seed: self.seed,
                    n_train: (self.n_digits < BUNDLED_TRAIN).then_some(self.n_digits),
                    ..RunConfig::graphcore_example()
                });
            }
        }
        runs
    }

    /// The runs, their estimate, and how many fit in the cap.
    #[must_use]
    pub fn plan(&self) -> GridPlan {
        let runs = self.runs();
        let mut started_s = 0.0;
        let mut n_started = 0;
        for run in &runs {
            let s = run_seconds(run);
            if started_s + s > MAX_GRID_S {
                break;
            }
            started_s += s;
            n_started += 1;
        }
        let total_s = runs.iter().map(run_seconds).sum();
        GridPlan {
            runs,
            n_started,
            total_s,
            started_s,
        }
    }

    /// The epoch row (from 1) of a run that is `epochs` epochs in this grid's sense.
    #[must_use]
    pub fn row_of(&self, epochs: usize) -> usize {
        epochs_here(epochs, self.steps, self.n_digits)
    }
}

impl GridPlan {
    /// The sentence beside the start button.
    #[must_use]
    pub fn sentence(&self) -> String {
        let n = self.runs.len();
        if self.n_started == n {
            format!(
                "{n} run{} of the CNN, about {} here (an estimate from this site's speed in Chromium on a 2-core machine; yours may differ).",
                plural(n),
                format_duration(self.total_s)
            )
        } else if self.n_started == 0 {
            format!(
                "One run alone would take about {} here, more than the {} a grid may take in a browser tab: train on fewer digits, or fewer epochs.",
                format_duration(self.runs.first().map_or(0.0, run_seconds)),
                format_duration(MAX_GRID_S)
            )
        } else {
            format!(
                "The whole grid would take about {} here; a grid may take at most {} in a browser tab, so the button runs the first {} of its {n} runs (about {}). Start the rest afterwards with fewer learning rates, or train on fewer digits.",
                format_duration(self.total_s),
                format_duration(MAX_GRID_S),
                self.n_started,
                format_duration(self.started_s)
            )
        }
    }
}

/// One cell of the results: a learning rate, a batch size and a number of epochs, and the test
/// accuracy the grid's run reached there (when it got that far).
#[derive(Clone, Debug, PartialEq)]
pub struct GridCell {
    pub lr: f64,
    pub batch: usize,
    pub epochs: usize,
    /// Test accuracy, 0–1.
    pub accuracy: Option<f32>,
    /// Training digits per second of the run, as measured in this browser.
    pub digits_per_s: Option<f64>,
    /// The run's outcome word ("finished", "running", "queued"…).
    pub state: &'static str,
}

/// Every cell of `grid`, from the records of this visit (the latest run of each setting).
#[must_use]
pub fn cells(grid: &GridConfig, records: &[RunRecord<RunConfig>]) -> Vec<GridCell> {
    let runs = grid.runs();
    let mut out = Vec::new();
    for run in &runs {
        let record = records.iter().rev().find(|r| r.config == *run);
        for &epochs in &grid.epochs {
            let row = record.and_then(|r| r.rows.get(grid.row_of(epochs) - 1));
            out.push(GridCell {
                lr: run.lr,
                batch: run.batch_size,
                epochs,
                accuracy: row.map(|r| r.test_accuracy),
                digits_per_s: row.map(|r| r.samples_per_s),
                state: record.map_or("not run", |r| r.outcome_word()),
            });
        }
    }
    out
}

/// Mean test accuracy (0–1) of the finished cells at each value of one setting, for the plot:
/// `(value as text, x position, mean accuracy)`.
#[must_use]
pub fn by_setting(cells: &[GridCell], setting: GridField) -> Vec<(String, f64, f32)> {
    let mut keys: Vec<(String, f64)> = Vec::new();
    let key = |c: &GridCell| match setting {
        GridField::Batch => (c.batch.to_string(), c.batch as f64),
        GridField::Epochs => (c.epochs.to_string(), c.epochs as f64),
        _ => (format_lr(c.lr), c.lr),
    };
    for cell in cells {
        let k = key(cell);
        if !keys.iter().any(|(t, _)| *t == k.0) {
            keys.push(k);
        }
    }
    keys.sort_by(|a, b| a.1.total_cmp(&b.1));
    keys.into_iter()
        .filter_map(|(text, x)| {
            let accs: Vec<f32> = cells
                .iter()
                .filter(|c| key(c).0 == text)
                .filter_map(|c| c.accuracy)
                .collect();
            (!accs.is_empty()).then(|| (text, x, accs.iter().sum::<f32>() / accs.len() as f32))
        })
        .collect()
}

/// The test accuracy this browser reached with the IPU's setting (batch 8, all 8,000 digits,
/// 10 epochs) at `lr`, from any run of this visit: with the IPU's 75,000 steps when there is
/// such a run, else with 10 passes (10,000 steps). `(accuracy 0–1, with the IPU's steps)`.
#[must_use]
pub fn ipu_setting_result(records: &[RunRecord<RunConfig>], lr: f64) -> Option<(f32, bool)> {
    let reached = |steps: Steps| {
        let row = epochs_here(10, steps, BUNDLED_TRAIN);
        records
            .iter()
            .rev()
            .filter(|r| {
                r.config.is_graphcore_sweep_setting()
                    && r.config.lr == lr
                    && r.config.n_train.is_none()
            })
            .find_map(|r| r.rows.get(row - 1).map(|row| row.test_accuracy))
    };
    reached(Steps::Ipu)
        .map(|a| (a, true))
        .or_else(|| reached(Steps::Here).map(|a| (a, false)))
}

/// The grid as CSV: one line per cell.
#[must_use]
pub fn cells_csv(grid: &GridConfig, cells: &[GridCell]) -> String {
    let steps = match grid.steps {
        Steps::Here => "here",
        Steps::Ipu => "ipu",
    };
    let mut out = String::from(
        "lr,batch,epochs,steps,training_digits,seed,test_accuracy,digits_per_s,state\n",
    );
    for c in cells {
        out.push_str(&format!(
            "{},{},{},{steps},{},{},{},{},{}\n",
            format_lr(c.lr),
            c.batch,
            c.epochs,
            grid.n_digits,
            grid.seed,
            c.accuracy.map_or(String::new(), |a| format!("{a:.4}")),
            c.digits_per_s.map_or(String::new(), |s| format!("{s:.1}")),
            c.state
        ));
    }
    out
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::route::Location;
    use crate::training::protocol::{EpochRow, RunOutcome};

    fn form(query: &str) -> GridForm {
        GridForm::from_query(&Location::parse(&format!("#/labs/homework?{query}")).query)
    }

    fn grid(query: &str) -> GridConfig {
        form(query).parse().unwrap()
    }

    #[test]
    fn the_default_grid_is_the_ipu_sweep_for_one_epoch() {
        let g = grid("");
        assert_eq!(g.lrs, vec![0.0005, 0.005, 0.05, 0.5]);
        let runs = g.runs();
        assert_eq!(runs.len(), 4);
        assert!(
            runs.iter()
                .all(|r| r.is_graphcore_sweep_setting() && r.n_epochs == 1 && r.n_train.is_none())
        );
    }

    #[test]
    fn a_grid_queues_one_run_per_rate_and_batch_as_long_as_its_most_epochs() {
        let g = grid("ipu-lr=0.05,0.5&ipu-batch=8,16&ipu-epochs=2,1&ipu-digits=400&ipu-seed=3");
        let runs = g.runs();
        assert_eq!(
            runs.iter()
                .map(|r| (r.lr, r.batch_size, r.n_epochs, r.n_train, r.seed))
                .collect::<Vec<_>>(),
            vec![
                (0.05, 8, 2, Some(400), 3),
                (0.05, 16, 2, Some(400), 3),
                (0.5, 8, 2, Some(400), 3),
                (0.5, 16, 2, Some(400), 3),
            ]
        );
        // A setting typed twice is one value.
        assert_eq!(grid("ipu-batch=8, 8,16").batches, vec![8, 16]);
    }

    #[test]
    fn the_ipus_steps_make_an_epoch_60000_digits() {
        // 60,000 / 8,000 = 7.5 passes per epoch: 10 epochs are 75 passes, 75,000 steps at batch 8.
        let g = grid("ipu-lr=0.0005&ipu-epochs=10&ipu-steps=ipu");
        let runs = g.runs();
        assert_eq!(runs[0].n_epochs, 75);
        assert_eq!(runs[0].n_epochs * 8_000 / 8, 75_000);
        assert_eq!(g.row_of(10), 75);
        assert_eq!(g.row_of(1), 8);
    }

    #[test]
    fn the_estimate_adds_steps_digits_and_test_passes() {
        // One epoch of 400 digits at batch 8: 50 steps × 8 ms + 400 × 0.7 ms + 2,000 × 0.45 ms
        // = 0.4 + 0.28 + 0.9 = 1.58 s; the two runs 3.16 s.
        let g = grid("ipu-lr=0.05,0.5&ipu-batch=8&ipu-epochs=1&ipu-digits=400");
        let plan = g.plan();
        assert!((run_seconds(&plan.runs[0]) - 1.58).abs() < 1e-9);
        assert!((plan.total_s - 3.16).abs() < 1e-9);
        assert_eq!(plan.n_started, 2);
        assert!(
            plan.sentence()
                .starts_with("2 runs of the CNN, about 3 s here")
        );
    }

    #[test]
    fn a_grid_too_long_for_a_tab_runs_its_first_runs_and_says_so() {
        // 75 passes over 8,000 digits at batch 8: 75 × (1,000 × 8 ms + 5.6 s + 0.9 s) = 1,087.5 s
        // a run, so three fit in an hour (3,262.5 s) and the fourth does not.
        let g = grid("ipu-lr=0.0005,0.005,0.05,0.5&ipu-epochs=10&ipu-steps=ipu");
        let plan = g.plan();
        assert!((run_seconds(&plan.runs[0]) - 1_087.5).abs() < 1e-6);
        assert_eq!((plan.runs.len(), plan.n_started), (4, 3));
        assert_eq!(
            plan.sentence(),
            "The whole grid would take about 1 h 12 min here; a grid may take at most 1 h 00 min in a browser tab, so the button runs the first 3 of its 4 runs (about 54 min 23 s). Start the rest afterwards with fewer learning rates, or train on fewer digits."
        );
    }

    #[test]
    fn bad_values_get_a_sentence_beside_their_field() {
        let check = |query: &str, field: GridField, message: &str| {
            let errors = form(query).parse().unwrap_err();
            assert_eq!(
                errors
                    .iter()
                    .map(|e| (e.field, e.message.as_str()))
                    .collect::<Vec<_>>(),
                vec![(field, message)],
                "{query}"
            );
        };
        check(
            "ipu-lr=0.05,fast",
            GridField::Lr,
            "The learning rate must be a number such as 0.05; “fast” is not.",
        );
        check("ipu-lr=", GridField::Lr, "Give at least one learning rate.");
        check(
            "ipu-batch=8,0",
            GridField::Batch,
            "A batch size must be at least 1, not 0.",
        );
        check(
            "ipu-batch=1,2,3,4,5,6,7",
            GridField::Batch,
            "List at most 6 batch sizes; 7 make too big a grid for a browser tab.",
        );
        check(
            "ipu-epochs=1,200",
            GridField::Epochs,
            "A number of epochs must be at most 100 in the browser; 200 is too many.",
        );
        check(
            "ipu-steps=gpu",
            GridField::Steps,
            "“gpu” is not a number of steps here: choose here or ipu.",
        );
        check(
            "ipu-digits=9000",
            GridField::Digits,
            "The number of training digits must be at most 8000 in the browser; 9000 is too many.",
        );
        check(
            "ipu-steps=ipu&ipu-epochs=10&ipu-digits=400",
            GridField::Steps,
            "The IPU's steps for 10 epochs on 400 digits are 1500 passes over them; a run here has at most 100: train on more digits or fewer epochs.",
        );
        // The bad text stays in the link.
        assert!(form("ipu-batch=0").href().contains("ipu-batch=0"));
    }

    fn row(epoch: usize, accuracy: f32) -> EpochRow {
        EpochRow {
            epoch,
            train_loss: 2.0,
            train_accuracy: 0.5,
            test_loss: Some(2.0),
            test_accuracy: accuracy,
            mean_grad_norm: 1.0,
            dominant_class: 0,
            dominant_share: 0.1,
            samples_per_s: 250.0,
            confusion: Vec::new(),
        }
    }

    #[test]
    fn cells_read_each_epoch_off_the_longest_run_and_the_plot_averages_them() {
        let g = grid("ipu-lr=0.05,0.5&ipu-batch=8&ipu-epochs=1,2&ipu-digits=400");
        let runs = g.runs();
        let records = vec![
            RunRecord {
                run_id: 1,
                config: runs[0],
                data: "bundled 8000/2000".into(),
                rows: vec![row(1, 0.8), row(2, 0.9)],
                outcome: Some(RunOutcome::Finished),
            },
            RunRecord {
                run_id: 2,
                config: runs[1],
                data: "bundled 8000/2000".into(),
                rows: vec![row(1, 0.1)],
                outcome: None,
            },
        ];
        let cells = cells(&g, &records);
        assert_eq!(
            cells
                .iter()
                .map(|c| (c.lr, c.epochs, c.accuracy, c.state))
                .collect::<Vec<_>>(),
            vec![
                (0.05, 1, Some(0.8), "finished"),
                (0.05, 2, Some(0.9), "finished"),
                (0.5, 1, Some(0.1), "running"),
                (0.5, 2, None, "running"),
            ]
        );
        let by_lr = by_setting(&cells, GridField::Lr);
        assert_eq!(by_lr.len(), 2);
        assert!((by_lr[0].2 - 0.85).abs() < 1e-6);
        let by_epochs = by_setting(&cells, GridField::Epochs);
        assert!((by_epochs[0].2 - 0.45).abs() < 1e-6);
        assert!((by_epochs[1].2 - 0.9).abs() < 1e-6);
        let csv = cells_csv(&g, &cells);
        assert!(csv.contains("\n0.05,8,2,here,400,1,0.9000,250.0,finished\n"));
        assert!(csv.ends_with("0.5,8,2,here,400,1,,,running\n"));
    }
}
