//! The BERT lab's runs as a CSV (one line per epoch). For a masked-LM run (`objective` mlm)
//! the test columns are the held-out text's masked positions, as in the page.

use super::config::BertRunConfig;
use crate::training::mnist::config::format_lr;
use crate::training::state::RunRecord;
use crate::training::text::runs_csv;

/// The BERT lab's settings columns.
const SETTINGS_HEADER: &str = "objective,init,batch,lr,epochs,max_len,seed,train_sentences";

/// Every epoch of every run, one CSV line each.
pub fn to_csv(records: &[RunRecord<BertRunConfig>]) -> String {
    runs_csv(records, SETTINGS_HEADER, |c| {
        format!(
            "{},{},{},{},{},{},{},{}",
            c.objective.key(),
            c.init.key(),
            c.batch_size,
            format_lr(c.lr),
            c.n_epochs,
            c.max_len,
            c.seed,
            c.n_train.map_or("all".into(), |n| n.to_string()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::bert::config::BertForm;
    use crate::training::protocol::{EpochRow, RunOutcome};

    #[test]
    fn one_line_per_epoch_and_every_line_as_wide_as_the_header() {
        let config = BertForm::default().parse().unwrap();
        let row = EpochRow {
            epoch: 1,
            train_loss: 0.5,
            train_accuracy: 0.75,
            test_loss: None,
            test_accuracy: 0.78,
            mean_grad_norm: 1.5,
            dominant_class: 1,
            dominant_share: 0.5,
            samples_per_s: 120.25,
            confusion: vec![],
        };
        let records = vec![
            RunRecord {
                run_id: 1,
                config: config.clone(),
                data: "bundled 8056/2014".into(),
                rows: vec![row],
                outcome: Some(RunOutcome::Finished),
            },
            RunRecord {
                run_id: 2,
                config: BertRunConfig {
                    objective: crate::training::bert::config::BertObjective::MaskedLm,
                    ..config
                },
                data: "yours, \"v2\"".into(),
                rows: vec![],
                outcome: None,
            },
        ];
        let csv = to_csv(&records);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[1],
            "1,sentiment,new,32,0.001,2,64,1,all,bundled 8056/2014,finished,1,0.500000,0.750000,,0.780000,1.500000,1,0.500000,120.2"
        );
        assert_eq!(
            lines[2],
            "2,mlm,new,32,0.001,2,64,1,all,\"yours, \"\"v2\"\"\",running,,,,,,,,,"
        );
        let width = lines[0].split(',').count();
        assert_eq!(lines[1].split(',').count(), width);
    }
}
