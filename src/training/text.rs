//! Words and figures every lab shows or reads the same way: time left, durations, CSV fields,
//! and the settings every lab parses (counts, learning rates).

/// Seconds left in a run, from its training rate so far and its mean evaluation time per
/// epoch; `None` before there is a rate to go by.
pub fn seconds_left(
    n_samples_done: usize,
    n_samples_total: usize,
    train_ms: f64,
    eval_ms: f64,
    n_epochs_done: usize,
    n_epochs: usize,
) -> Option<f64> {
    if n_samples_done == 0 || train_ms <= 0.0 {
        return None;
    }
    let rate = n_samples_done as f64 / (train_ms / 1000.0);
    let training = n_samples_total.saturating_sub(n_samples_done) as f64 / rate;
    let eval_per_epoch = if n_epochs_done > 0 {
        eval_ms / 1000.0 / n_epochs_done as f64
    } else {
        0.0
    };
    Some(training + eval_per_epoch * n_epochs.saturating_sub(n_epochs_done) as f64)
}

/// "45 s", "3 min 05 s", "1 h 02 min".
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A whole number from 1 to `max` (`what` names it in the sentence).
///
/// # Errors
/// A sentence for a missing, zero, too large or non-numeric value.
pub fn parse_count(text: &str, what: &str, max: usize) -> Result<usize, String> {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(0) => Err(format!("{what} must be at least 1, not 0.")),
        Ok(n) if n > max as u64 => Err(format!(
            "{what} must be at most {max} in the browser; {n} is too many."
        )),
        Ok(n) => usize::try_from(n).map_err(|_| format!("{what} is too large.")),
        Err(_) if text.is_empty() => Err(format!("{what} is missing.")),
        Err(_) => Err(format!("{what} must be a whole number; “{text}” is not.")),
    }
}

/// A learning rate above 0 and at most `max`.
///
/// # Errors
/// A sentence for a missing, non-numeric, non-finite, non-positive, too large or (in f32)
/// vanishing rate.
pub fn parse_lr(text: &str, max: f64) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("The learning rate is missing.".into());
    }
    let Ok(lr) = text.parse::<f64>() else {
        return Err(format!(
            "The learning rate must be a number such as 0.05; “{text}” is not."
        ));
    };
    if !lr.is_finite() {
        return Err(format!(
            "The learning rate must be a finite number, not {text}."
        ));
    }
    if lr <= 0.0 {
        return Err(format!(
            "The learning rate must be above 0; {text} would not learn."
        ));
    }
    if lr > max {
        return Err(format!(
            "The learning rate must be at most {max}; {text} only ever diverges."
        ));
    }
    // The engine computes in f32: a rate below its smallest normal number is zero in effect.
    if (lr as f32) < f32::MIN_POSITIVE {
        return Err(format!(
            "The learning rate {text} is too small to change any weight."
        ));
    }
    Ok(lr)
}

/// The epoch columns every lab's CSV ends with.
const EPOCH_COLUMNS: &str = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,mean_grad_norm,dominant_class,dominant_share,samples_per_s";

/// Every epoch of every run, one CSV line each: `run`, the lab's settings columns (named in
/// `settings_header`, written by `settings`), `data`, `outcome`, then the epoch's figures. A run
/// with no finished epoch gets one line with empty figures, so its outcome is still there.
pub fn runs_csv<C>(
    records: &[crate::training::state::RunRecord<C>],
    settings_header: &str,
    settings: impl Fn(&C) -> String,
) -> String {
    let mut out = format!("run,{settings_header},data,outcome,{EPOCH_COLUMNS}\n");
    let empty = ",".repeat(EPOCH_COLUMNS.split(',').count() - 1);
    for record in records {
        let prefix = format!(
            "{},{},{},{}",
            record.run_id,
            settings(&record.config),
            csv_field(&record.data),
            record.outcome_word(),
        );
        if record.rows.is_empty() {
            out.push_str(&format!("{prefix},{empty}\n"));
        }
        for row in &record.rows {
            out.push_str(&format!(
                "{prefix},{},{:.6},{:.6},{},{:.6},{:.6},{},{:.6},{:.1}\n",
                row.epoch,
                row.train_loss,
                row.train_accuracy,
                row.test_loss.map_or(String::new(), |l| format!("{l:.6}")),
                row.test_accuracy,
                row.mean_grad_norm,
                row.dominant_class,
                row.dominant_share,
                row.samples_per_s,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_counts_training_at_the_rate_so_far_and_the_evaluations_to_come() {
        assert_eq!(seconds_left(0, 100, 0.0, 0.0, 0, 1), None);
        // 1,000 samples in 2 s: 500/s, 3,000 to go = 6 s, plus 2 evaluations of 0.5 s.
        assert_eq!(seconds_left(1000, 4000, 2000.0, 500.0, 1, 3), Some(7.0));
        assert_eq!(format_duration(7.4), "7 s");
        assert_eq!(format_duration(185.0), "3 min 05 s");
        assert_eq!(format_duration(3720.0), "1 h 02 min");
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("bundled 8000/2000"), "bundled 8000/2000");
        assert_eq!(csv_field("mine, \"v2\""), "\"mine, \"\"v2\"\"\"");
    }
}
