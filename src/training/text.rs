//! Words and figures every lab shows the same way: time left, durations, CSV fields.

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
