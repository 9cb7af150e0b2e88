//! Runs the page has seen, as data: the CSV export and the comparison with the IPU's lr sweep.

use super::config::{IPU_SWEEP, RunConfig, format_lr};
use crate::training::text::runs_csv;

/// One run of this lab as the page recorded it.
pub type RunRecord = crate::training::state::RunRecord<RunConfig>;

/// The MNIST lab's settings columns.
const SETTINGS_HEADER: &str = "model,optimizer,lr,batch,epochs,seed,loss";

/// Every epoch of every run, one CSV line each.
pub fn to_csv(records: &[RunRecord]) -> String {
    runs_csv(records, SETTINGS_HEADER, |c| {
        format!(
            "{},{},{},{},{},{},{}",
            c.model.as_str(),
            c.optimizer.as_str(),
            format_lr(c.lr),
            c.batch_size,
            c.n_epochs,
            c.seed,
            if c.double_softmax {
                "double-softmax"
            } else {
                "ce"
            },
        )
    })
}

/// One learning rate of the Graphcore sweep: the IPU's figure and this browser's latest run.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    pub lr: f64,
    /// Test accuracy the Bow IPU reported, in percent.
    pub ipu_percent: f64,
    /// The latest run here with the sweep's settings at this rate.
    pub ours: Option<SweepResult>,
}

/// A run's result for the comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepResult {
    pub run_id: u32,
    pub n_epochs_done: usize,
    pub n_epochs: usize,
    /// Test accuracy after the last finished epoch, in percent.
    pub percent: Option<f64>,
    pub outcome: &'static str,
    /// The class predicted for most test digits and its share, when it is above 90 %:
    /// the model has collapsed to one digit.
    pub collapsed_to: Option<(usize, f32)>,
}

/// The sweep table: each IPU learning rate with the latest matching run.
pub fn sweep_rows(records: &[RunRecord]) -> Vec<SweepRow> {
    IPU_SWEEP
        .iter()
        .map(|&(lr, ipu_percent)| SweepRow {
            lr,
            ipu_percent,
            ours: records
                .iter()
                .rev()
                .find(|r| r.config.is_graphcore_sweep_setting() && r.config.lr == lr)
                .map(|r| SweepResult {
                    run_id: r.run_id,
                    n_epochs_done: r.rows.len(),
                    n_epochs: r.config.n_epochs,
                    percent: r.final_accuracy().map(|a| f64::from(a) * 100.0),
                    outcome: r.outcome_word(),
                    collapsed_to: r
                        .rows
                        .last()
                        .filter(|row| row.dominant_share > 0.9)
                        .map(|row| (row.dominant_class, row.dominant_share)),
                }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::mnist::config::graphcore_sweep;
    use crate::training::protocol::{EpochRow, RunOutcome};

    fn row(epoch: usize, test_accuracy: f32) -> EpochRow {
        EpochRow {
            epoch,
            train_loss: 0.5,
            train_accuracy: 0.75,
            test_loss: Some(0.25),
            test_accuracy,
            mean_grad_norm: 1.5,
            dominant_class: 1,
            dominant_share: 0.125,
            samples_per_s: 1234.4,
            confusion: vec![],
        }
    }

    #[test]
    fn csv_has_one_line_per_epoch_and_quotes_file_names() {
        let records = vec![
            RunRecord {
                run_id: 1,
                config: RunConfig::graphcore_example(),
                data: "mine, \"v2\"".into(),
                rows: vec![row(1, 0.5), row(2, 0.875)],
                outcome: Some(RunOutcome::Finished),
            },
            RunRecord {
                run_id: 2,
                config: RunConfig::graphcore_example(),
                data: "bundled".into(),
                rows: vec![],
                outcome: Some(RunOutcome::Cancelled),
            },
        ];
        let csv = to_csv(&records);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "run,model,optimizer,lr,batch,epochs,seed,loss,data,outcome,epoch,train_loss,train_accuracy,test_loss,test_accuracy,mean_grad_norm,dominant_class,dominant_share,samples_per_s"
        );
        assert_eq!(
            lines[2],
            "1,cnn,sgd,0.05,8,10,1,double-softmax,\"mine, \"\"v2\"\"\",finished,2,0.500000,0.750000,0.250000,0.875000,1.500000,1,0.125000,1234.4"
        );
        assert_eq!(
            lines[3],
            "2,cnn,sgd,0.05,8,10,1,double-softmax,bundled,cancelled,,,,,,,,,"
        );
        assert_eq!(lines.len(), 4);
        let n_columns = lines[0].split(',').count();
        assert_eq!(lines[3].split(',').count(), n_columns);
    }

    #[test]
    fn the_sweep_table_takes_the_latest_matching_run_per_rate() {
        let sweep = graphcore_sweep(1, 1);
        let mut other = RunConfig::graphcore_example();
        other.batch_size = 16; // not the sweep's setting
        let mut collapsed = row(1, 0.099);
        collapsed.dominant_class = 2;
        collapsed.dominant_share = 1.0;
        let records = vec![
            RunRecord {
                run_id: 1,
                config: sweep[2],
                data: String::new(),
                rows: vec![row(1, 0.5)],
                outcome: Some(RunOutcome::Finished),
            },
            RunRecord {
                run_id: 2,
                config: sweep[2],
                data: String::new(),
                rows: vec![row(1, 0.97)],
                outcome: Some(RunOutcome::Finished),
            },
            RunRecord {
                run_id: 3,
                config: other,
                data: String::new(),
                rows: vec![row(1, 0.1)],
                outcome: Some(RunOutcome::Finished),
            },
            RunRecord {
                run_id: 4,
                config: sweep[3],
                data: String::new(),
                rows: vec![collapsed],
                outcome: Some(RunOutcome::Finished),
            },
        ];
        let rows = sweep_rows(&records);
        assert_eq!(
            rows.iter().map(|r| r.ipu_percent).collect::<Vec<_>>(),
            vec![93.08, 98.44, 98.58, 9.58]
        );
        assert_eq!(rows[0].ours, None);
        let at_005 = rows[2].ours.as_ref().unwrap();
        assert_eq!(at_005.run_id, 2);
        assert!((at_005.percent.unwrap() - 97.0).abs() < 1e-4);
        assert_eq!(rows[3].ours.as_ref().unwrap().collapsed_to, Some((2, 1.0)));
    }
}
