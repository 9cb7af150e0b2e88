//! What a simulator page shows of its metrics, as plain data: the metrics rows, a comparison
//! table over any number of machines, and a roofline over any number of machines.

use course::SimArch;
use sim::SimError;
use sim::metrics::RunMetrics;

/// An engine error as a sentence that starts with a capital.
pub fn sentence(err: &SimError) -> String {
    crate::text::capitalised(&err.to_string())
}

/// One row of the metrics table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricRow {
    /// Stable id, used in `data-testid`.
    pub key: &'static str,
    /// The label shown.
    pub label: &'static str,
    /// The value as text.
    pub value: String,
}

fn micros(m: &RunMetrics) -> String {
    format!("{:.3} µs", m.seconds() * 1e6)
}

fn flops_rate(m: &RunMetrics) -> String {
    format!(
        "{:.3} TFLOP/s ({:.1}% of {:.2} peak)",
        m.achieved_flops_per_s() / 1e12,
        100.0 * m.fraction_of_peak(),
        m.peak_flops_per_s / 1e12
    )
}

fn intensity(m: &RunMetrics) -> String {
    match m.arithmetic_intensity() {
        Some(ai) => format!("{ai:.2} FLOP per off-chip byte"),
        None => "unbounded (nothing moved off chip)".into(),
    }
}

/// The metrics a page shows, live.
pub fn metric_rows(m: &RunMetrics) -> Vec<MetricRow> {
    let e = &m.energy;
    let row = |key, label, value| MetricRow { key, label, value };
    vec![
        row("cycles", "Cycles", m.cycles.0.to_string()),
        row("time", "Time at the machine's clock", micros(m)),
        row("flops", "FLOPs done", m.flops.to_string()),
        row("rate", "Achieved rate", flops_rate(m)),
        row(
            "on-chip",
            "Bytes moved on chip",
            m.bytes_on_chip.to_string(),
        ),
        row(
            "off-chip",
            "Bytes moved off chip",
            m.bytes_off_chip.to_string(),
        ),
        row(
            "energy",
            "Energy (estimate)",
            format!(
                "{} = compute {} + on chip {} + off chip {}",
                e.total(),
                e.compute,
                e.on_chip,
                e.off_chip
            ),
        ),
        row("intensity", "Arithmetic intensity", intensity(m)),
    ]
}

/// One row of a comparison: a metric, one value per machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareRow {
    /// Stable id, used in `data-testid` (`sim-compare-<arch>-<key>`).
    pub key: &'static str,
    /// The label shown.
    pub label: &'static str,
    /// One value per column, in the columns' order.
    pub values: Vec<String>,
}

/// The same workload on several machines, one column each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompareTable {
    /// The machines, in column order.
    pub columns: Vec<SimArch>,
    /// The metrics, one row each.
    pub rows: Vec<CompareRow>,
}

/// The comparison of runs of one workload, one column per machine, in the order given.
pub fn compare_rows(runs: &[(SimArch, RunMetrics)]) -> CompareTable {
    type Cell = fn(&RunMetrics) -> String;
    let metrics: [(&'static str, &'static str, Cell); 8] = [
        ("machine", "Machine", |m| m.machine.clone()),
        ("cycles", "Cycles", |m| m.cycles.0.to_string()),
        ("time", "Time", micros),
        ("off-chip", "Bytes off chip", |m| {
            m.bytes_off_chip.to_string()
        }),
        ("on-chip", "Bytes on chip", |m| m.bytes_on_chip.to_string()),
        ("energy", "Energy (estimate)", |m| {
            m.energy.total().to_string()
        }),
        ("energy-off-chip", "of which off-chip traffic", |m| {
            m.energy.off_chip.to_string()
        }),
        ("roofline", "Roofline point (intensity, rate)", |m| {
            format!(
                "{}; {:.3} TFLOP/s",
                intensity(m),
                m.achieved_flops_per_s() / 1e12
            )
        }),
    ];
    CompareTable {
        columns: runs.iter().map(|(arch, _)| *arch).collect(),
        rows: metrics
            .iter()
            .map(|(key, label, cell)| CompareRow {
                key,
                label,
                values: runs.iter().map(|(_, m)| cell(m)).collect(),
            })
            .collect(),
    }
}

/// One machine's roof: flat at its peak, and sloped by its off-chip bandwidth below the ridge
/// when its operands come from off chip.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Roof {
    /// Whose roof ("GPU", "WSE-2").
    pub label: String,
    /// Peak FLOP/s.
    pub peak: f64,
    /// Off-chip bytes per second; `None` for a machine whose weights never leave the chip
    /// (its roof is flat).
    pub bandwidth: Option<f64>,
    /// Index into the palette's channel colours.
    pub colour: u8,
}

/// One run on the chart.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RooflinePoint {
    /// Whose run.
    pub label: String,
    /// FLOPs per off-chip byte; `None` when nothing moved off chip (drawn at the right edge).
    pub intensity: Option<f64>,
    /// Achieved FLOP/s.
    pub flops_per_s: f64,
    /// Index into the palette's channel colours.
    pub colour: u8,
}

/// What a roofline chart shows: a roof and a point per machine.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RooflineData {
    /// The machines' roofs.
    pub roofs: Vec<Roof>,
    /// The runs.
    pub points: Vec<RooflinePoint>,
}

/// The roofline of runs of one workload: one roof and one point per machine. `bandwidth`
/// gives a machine's off-chip bandwidth for its roof (see [`super::Machine::roof_bandwidth`]).
pub fn roofline_data(
    runs: &[(SimArch, RunMetrics)],
    bandwidth: impl Fn(SimArch) -> Option<f64>,
) -> RooflineData {
    let mut data = RooflineData {
        roofs: Vec::new(),
        points: Vec::new(),
    };
    for (idx, (arch, m)) in runs.iter().enumerate() {
        let colour = u8::try_from(idx % 8).unwrap_or(0);
        let label = short_name(*arch).to_string();
        data.roofs.push(Roof {
            label: label.clone(),
            peak: m.peak_flops_per_s,
            bandwidth: bandwidth(*arch),
            colour,
        });
        data.points.push(RooflinePoint {
            label,
            intensity: m.arithmetic_intensity(),
            flops_per_s: m.achieved_flops_per_s(),
            colour,
        });
    }
    data
}

/// The machine's short name, as a column heading.
pub fn short_name(arch: SimArch) -> &'static str {
    match arch {
        SimArch::Gpu => "GPU",
        SimArch::Wse => "WSE mesh",
        SimArch::Ipu => "IPU",
        SimArch::Rdu => "RDU",
        SimArch::Groq => "Groq TSP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::metrics::EnergyEstimate;
    use sim::units::{Bytes, Cycle};

    fn metrics(name: &str, cycles: u64, off_chip: u64) -> RunMetrics {
        RunMetrics {
            machine: name.into(),
            cycles: Cycle(cycles),
            clock_hz: 1e9,
            units: vec![],
            bytes_on_chip: Bytes(0),
            bytes_off_chip: Bytes(off_chip),
            flops: 1_000,
            peak_flops_per_s: 1e12,
            energy: EnergyEstimate::default(),
        }
    }

    #[test]
    fn a_comparison_has_a_column_per_machine_in_order() {
        let runs = [
            (SimArch::Gpu, metrics("A100", 10, 500)),
            (SimArch::Wse, metrics("mesh", 20, 0)),
            (SimArch::Ipu, metrics("IPU", 30, 0)),
        ];
        let table = compare_rows(&runs);
        assert_eq!(
            table.columns,
            vec![SimArch::Gpu, SimArch::Wse, SimArch::Ipu]
        );
        let cycles = table.rows.iter().find(|r| r.key == "cycles").unwrap();
        assert_eq!(cycles.values, vec!["10", "20", "30"]);
        let roof = roofline_data(&runs, |a| (a == SimArch::Gpu).then_some(1.5e12));
        assert_eq!(roof.roofs.len(), 3);
        assert_eq!(roof.roofs[0].bandwidth, Some(1.5e12));
        assert_eq!(roof.roofs[1].bandwidth, None);
        assert_eq!(roof.points[0].intensity, Some(2.0));
        assert_eq!(roof.points[2].intensity, None);
        assert!(compare_rows(&[]).rows.iter().all(|r| r.values.is_empty()));
    }
}
