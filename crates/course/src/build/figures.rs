//! The sourced-figure check: every measured or vendor figure in a lesson (a number with a unit, a
//! percentage, a rate, a ratio) sits on a line that cites a source (`[^id]`) or says what it is
//! `derived from`, or says its numbers are `illustrative` (made up for an example).
//!
//! Lessons keep one sentence per line, so a line is a sentence (or a table row), and the check
//! works on the Markdown source line by line. It skips what cannot hold a claim: code fences
//! (widgets included), inline code, link targets, headings, HTML comments and quiz directives.
//! A table is covered as a whole when its header row, or the first line after it (a note such as
//! "All values are from the log[^log]."), is sourced; otherwise each row needs its own.

/// A figure on a line with no citation and no `derived from` or `illustrative` note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsourcedFigure {
    /// 0-based index of the line in the text that was checked.
    pub line_idx: usize,
    /// The figure as written, e.g. `48 KB` or `93.08%`.
    pub figure: String,
}

/// The phrase that marks a figure as the lesson's own arithmetic (case-insensitive).
pub const DERIVED_NOTE: &str = "derived from";

/// The word that marks round numbers made up for an example (case-insensitive).
pub const ILLUSTRATIVE_NOTE: &str = "illustrative";

/// Units that make a number a figure when they follow it (after at most one space or hyphen).
/// Case-sensitive: `MB` is a unit, `Mb` is not listed, `s` needs a space or a decimal point (so
/// `1990s` is a decade, not seconds).
const UNITS: &[&str] = &[
    // sizes
    "B",
    "KB",
    "kB",
    "MB",
    "GB",
    "TB",
    "PB",
    "KiB",
    "MiB",
    "GiB",
    "TiB",
    "bytes",
    "byte",
    "bits",
    "bit", // rates of data
    "Gb/s",
    "Tb/s",
    "Pb/s",
    "GB/s",
    "TB/s",
    "PB/s",
    "MB/s", // power, clock, length, area
    "W",
    "kW",
    "mW",
    "MW",
    "pJ",
    "nJ",
    "fJ",
    "mV",
    "Hz",
    "kHz",
    "MHz",
    "GHz",
    "nm",
    "mm",
    "mm²",
    "µm²",
    "cm",
    // time
    "ps",
    "ns",
    "µs",
    "us",
    "ms",
    "s",
    "sec",
    "seconds",
    "second",
    "minutes",
    "minute",
    "min",
    "hours",
    "hour",
    "days",
    "day", // arithmetic rates
    "FLOPS",
    "FLOP/s",
    "GFLOPS",
    "TFLOPS",
    "PFLOPS",
    "EFLOPS",
    "TOPS",
    "MACs", // hardware counts
    "cores",
    "tiles",
    "PEs",
    "PCUs",
    "PMUs",
    "transistors",
    "threads",
    "lanes",
    "superlanes",
    // magnitudes (a count this large is always a figure)
    "thousand",
    "million",
    "billion",
    "trillion", // ratios
    "times",
    "percent",
    "%",
];

/// Every figure in `text` (a lesson body) that is not sourced on its line.
pub fn unsourced_figures(text: &str) -> Vec<UnsourcedFigure> {
    let prose = prose_lines(text);
    let is_row = |line: &Option<String>| {
        line.as_deref()
            .is_some_and(|l| l.trim_start().starts_with('|'))
    };
    let mut found = Vec::new();
    let mut line_idx = 0;
    while line_idx < prose.len() {
        let Some(line) = &prose[line_idx] else {
            line_idx += 1;
            continue;
        };
        if !is_row(&prose[line_idx]) {
            if !is_sourced(line) {
                found.extend(unsourced_on(line, line_idx));
            }
            line_idx += 1;
            continue;
        }
        // A table: its header row, or the first line after it (a note such as "All values are
        // from the log[^log]."), covers every row when it is sourced.
        let table_start = line_idx;
        while line_idx < prose.len() && is_row(&prose[line_idx]) {
            line_idx += 1;
        }
        let note = text
            .lines()
            .skip(line_idx)
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let header_sourced = prose[table_start].as_deref().is_some_and(is_sourced);
        if header_sourced || is_sourced(note) {
            continue;
        }
        for (row_idx, row) in prose
            .iter()
            .enumerate()
            .take(line_idx)
            .skip(table_start + 1)
        {
            if let Some(row) = row
                && !is_sourced(row)
            {
                found.extend(unsourced_on(row, row_idx));
            }
        }
    }
    found
}

fn unsourced_on(line: &str, line_idx: usize) -> impl Iterator<Item = UnsourcedFigure> {
    figures_in(&strip_non_prose(line))
        .into_iter()
        .map(move |figure| UnsourcedFigure { line_idx, figure })
}

/// Each line of `text` without HTML comments, or `None` for a line that holds no prose: in a
/// code fence, a fence line, a heading, a quiz directive, or only a comment.
fn prose_lines(text: &str) -> Vec<Option<String>> {
    let mut lines = Vec::new();
    let mut fence: Option<&str> = None;
    let mut in_comment = false;
    for raw_line in text.lines() {
        let trimmed = raw_line.trim_start();
        if let Some(marker) = fence {
            if trimmed.starts_with(marker) {
                fence = None;
            }
            lines.push(None);
            continue;
        }
        if let Some(marker) = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m)) {
            fence = Some(marker);
            lines.push(None);
            continue;
        }
        let mut line = raw_line.to_owned();
        if in_comment {
            if let Some(end) = line.find("-->") {
                line.replace_range(..end + 3, "");
                in_comment = false;
            } else {
                lines.push(None);
                continue;
            }
        }
        while let Some(start) = line.find("<!--") {
            if let Some(len) = line[start..].find("-->") {
                line.replace_range(start..start + len + 3, "");
            } else {
                line.truncate(start);
                in_comment = true;
            }
        }
        let trimmed = line.trim_start();
        let no_prose = trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("{{#");
        lines.push(if no_prose { None } else { Some(line) });
    }
    lines
}

/// A citation or a `derived from` note on the line.
fn is_sourced(line: &str) -> bool {
    let lower = line.to_lowercase();
    line.contains("[^") || lower.contains(DERIVED_NOTE) || lower.contains(ILLUSTRATIVE_NOTE)
}

/// The line without inline code, link and image targets, or citations.
fn strip_non_prose(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(idx) = rest.find(['`', ']']) {
        let (before, from) = rest.split_at(idx);
        out.push_str(before);
        if let Some(after_tick) = from.strip_prefix('`') {
            match after_tick.find('`') {
                Some(end) => {
                    out.push(' ');
                    rest = &after_tick[end + 1..];
                }
                None => {
                    rest = "";
                }
            }
        } else if let Some(target) = from.strip_prefix("](") {
            out.push(' ');
            rest = target.find(')').map_or("", |end| &target[end + 1..]);
        } else {
            out.push(']');
            rest = &from[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Figures (number + unit) in prose.
fn figures_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut figures = Vec::new();
    let mut idx = 0;
    while idx < chars.len() {
        let starts_number = chars[idx].is_ascii_digit()
            && idx
                .checked_sub(1)
                .and_then(|prev| chars.get(prev))
                .is_none_or(|&c| {
                    !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ','))
                });
        if !starts_number {
            idx += 1;
            continue;
        }
        let start = idx;
        while idx < chars.len()
            && (chars[idx].is_ascii_digit()
                || (matches!(chars[idx], ',' | '.')
                    && chars.get(idx + 1).is_some_and(char::is_ascii_digit)))
        {
            idx += 1;
        }
        let number: String = chars[start..idx].iter().collect();
        let mut unit_start = idx;
        let gap = chars.get(idx).copied();
        let spaced = matches!(gap, Some(' ' | '\u{a0}' | '\u{202f}' | '-'));
        if spaced {
            unit_start += 1;
        }
        let mut unit_end = unit_start;
        while unit_end < chars.len()
            && (chars[unit_end].is_alphabetic()
                || matches!(chars[unit_end], '/' | '²' | '%' | '×' | 'µ'))
        {
            // `%` and `×` stand alone: "93.08%," or "40×".
            if matches!(chars[unit_end], '%' | '×') {
                if unit_end == unit_start {
                    unit_end += 1;
                }
                break;
            }
            unit_end += 1;
        }
        let unit: String = chars[unit_start..unit_end].iter().collect();
        let unit = unit.trim_end_matches('/');
        let rest: String = chars[unit_end..].iter().take(5).collect();
        let per_rate = spaced && !unit.is_empty() && rest.starts_with(" per ");
        if per_rate || is_unit(unit, spaced, gap == Some('-'), &number) {
            let figure: String = chars[start..unit_start + unit.chars().count()]
                .iter()
                .collect();
            figures.push(figure);
        }
        idx = unit_end.max(idx + 1);
    }
    figures
}

fn is_unit(unit: &str, spaced: bool, hyphenated: bool, number: &str) -> bool {
    match unit {
        "" => false,
        // Attached only: "40×" is a ratio, "4 × 4" a shape.
        "×" | "x" => !spaced,
        // "a 32-bit float", "a 4-byte number": a data type, not a measurement.
        "bit" | "byte" if hyphenated => false,
        // "1990s" is a decade; "21 s" and "0.6s" are times.
        "s" => spaced || number.contains('.'),
        // Any rate per second: "6,900 images/s".
        _ if unit.ends_with("/s") => true,
        _ => UNITS.contains(&unit),
    }
}
