//! The sourced-figure detector on single lines and small bodies: what it flags, and the numbers
//! it must leave alone (years, lesson numbers, list numbering, code, identifiers, quiz ids).

use course::build::unsourced_figures;

/// The figures `unsourced_figures` reports in `text`, as `line_idx: figure`.
fn flagged(text: &str) -> Vec<String> {
    unsourced_figures(text)
        .into_iter()
        .map(|f| format!("{}: {}", f.line_idx, f.figure))
        .collect()
}

fn check(text: &str, expected: &[&str]) {
    assert_eq!(flagged(text), expected, "in {text:?}");
}

#[test]
fn numbers_with_units_percentages_rates_and_ratios_are_figures() {
    check("Each PE has 48 KB of SRAM.", &["0: 48 KB"]);
    check("The wafer has 850,000 cores.", &["0: 850,000 cores"]);
    check("It reached 93.08% on the test set.", &["0: 93.08%"]);
    check("Pass mark: 70 % of the questions.", &["0: 70 %"]);
    check("That is 4,607.5 samples/s.", &["0: 4,607.5 samples/s"]);
    check("About 6,900 images per second.", &["0: 6,900 images"]);
    check(
        "A 4-hour job, then 21 s and 0.6s.",
        &["0: 4-hour", "0: 21 s", "0: 0.6s"],
    );
    check(
        "It was 40× faster, or 53 times.",
        &["0: 40×", "0: 53 times"],
    );
    check(
        "2.6 trillion transistors on 46,225 mm²",
        &["0: 2.6 trillion", "0: 46,225 mm²"],
    );
    check(
        "Fabric: 220 Pb/s; clock 1.1 GHz; 10 pJ.",
        &["0: 220 Pb/s", "0: 1.1 GHz", "0: 10 pJ"],
    );
}

#[test]
fn numbers_without_a_unit_are_not_figures() {
    check("In 2024 the session ran; see lesson 3.", &[]);
    check("The 1990s were different.", &[]);
    check("1. Fetch\n2. Decode\n10. Store", &[]);
    check(
        "The CS-2, the WSE-2, the SN30 and GPT-2 on BF16 in a 4 × 4 grid",
        &[],
    );
    check(
        "Shapes went from (1, 128) to (1, 256) after step 1:51.",
        &[],
    );
    check("A 32-bit float is a 4-byte number.", &[]);
}

#[test]
fn code_links_citations_headings_and_directives_hold_no_figures() {
    check("Run `--batch 512 MB` first.", &[]);
    check("```text\n4,607 samples/s\n```\nAfter.", &[]);
    check("~~~\n48 KB\n~~~", &[]);
    check(
        "See [the guide](https://example.org/48-KB/10%25) and [^ug24-2 GB].",
        &[],
    );
    check(
        "## 850,000 cores\n{{#quiz quizzes/01-why-dataflow.toml}}",
        &[],
    );
    check("<!-- 48 KB -->\n<!--\n40 GB\n-->\nText.", &[]);
    check("```sim wse preset=gemv\nA 4 KB caption\n```", &[]);
}

#[test]
fn a_citation_or_a_derived_or_illustrative_note_sources_the_line() {
    check("Each PE has 48 KB of SRAM[^ug24].", &[]);
    check("That is 40 GB in all, derived from the core count.", &[]);
    check("An illustrative machine: 100 TFLOP/s and 2 TB/s.", &[]);
    check("48 KB here[^a].\n40 GB there.", &["1: 40 GB"]);
}

#[test]
fn a_table_is_sourced_by_its_header_by_the_line_after_it_or_row_by_row() {
    let header = "| Time[^log] |\n|---|\n| 176.28 s |";
    check(header, &[]);
    let note_after = "| Time |\n|---|\n| 176.28 s |\n\nAll values are from the log[^log].";
    check(note_after, &[]);
    let per_row = "| Time | Source |\n|---|---|\n| 176.28 s | [^log] |\n| 211.42 s | |";
    check(per_row, &["3: 211.42 s"]);
    let unsourced = "| Time |\n|---|\n| 176.28 s |\n\nA sentence with no source.";
    check(unsourced, &["2: 176.28 s"]);
}
