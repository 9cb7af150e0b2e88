//! The Graphcore IPU: its settings (tiles, chip, device iterations), its session, a tile's
//! inspection, the result check, the program as a list of supersteps, and the course's own
//! workload (the MNIST CNN's training epoch) beside what the real Bow IPU reported.

use std::any::Any;

use course::SimArch;
use sim::SimError;
use sim::engine::Engine;
use sim::gpu::{GpuConfig, GpuSim};
use sim::ipu::epoch::{LEAVES_OUT, REAL_EPOCH_S_CACHED, REAL_EPOCH_S_FIRST_RUN, REAL_SOURCE};
use sim::ipu::values::{tolerance, worst_relative_difference};
use sim::ipu::{EpochEstimate, IpuConfig, IpuRun, TilePhase, epoch_estimate};
use sim::metrics::RunMetrics;
use sim::units::{Bytes, Cycle};
use sim::workload::Workload;

use super::form::{FieldKind, FieldSpec, Preset, SimSetup};
use super::session::{InspectRows, Span, SpanKind, UnitAt, VALUES_SEED};
use super::{Machine, SimSession, sentence};

/// Tiles of the simulated IPU.
pub const TILES: FieldSpec = FieldSpec {
    key: "tiles",
    label: "Tiles",
    what: "number of tiles",
    kind: FieldKind::Size,
    default: |_| "64",
};
/// Which chip's clock the cycles are converted at.
pub const CHIP: FieldSpec = FieldSpec {
    key: "chip",
    label: "Clock of",
    what: "chip",
    kind: FieldKind::Choice(&[
        ("bow", "Bow IPU (1.85 GHz, the course's Bow Pod64)"),
        ("gc200", "GC200 IPU (1.33 GHz)"),
    ]),
    default: |_| "bow",
};
/// Training steps per host call in the epoch estimate (the example's `device_iterations`).
pub const DEVICE_ITERATIONS: FieldSpec = FieldSpec {
    key: "iterations",
    label: "Device iterations (steps per host call)",
    what: "number of device iterations",
    kind: FieldKind::Size,
    default: |_| "50",
};

/// Most tiles the page animates: one GC200 or Bow IPU.
pub const MAX_PAGE_TILES: u64 = 1_472;
/// Speeds offered, in cycles per frame (a superstep is hundreds of cycles).
pub const IPU_SPEEDS: [u64; 7] = [1, 4, 16, 64, 256, 1_024, 4_096];

/// The Graphcore IPU machine.
#[derive(Debug)]
pub struct IpuMachine;

impl Machine for IpuMachine {
    fn arch(&self) -> SimArch {
        SimArch::Ipu
    }
    fn fields(&self) -> &'static [&'static FieldSpec] {
        &[&TILES, &CHIP, &DEVICE_ITERATIONS]
    }
    fn speeds(&self) -> &'static [u64] {
        &IPU_SPEEDS
    }
    fn lesson(&self) -> (&'static str, &'static str) {
        ("graphcore-ipu", "Graphcore IPU")
    }
    fn unit_name(&self) -> Option<&'static str> {
        Some("tile")
    }
    fn check(&self, setup: &SimSetup) -> Result<(), String> {
        let tiles = u64::from(setup.size(&TILES));
        if tiles > MAX_PAGE_TILES {
            return Err(sentence(&SimError::TooLarge {
                what: TILES.what,
                value: tiles,
                max: MAX_PAGE_TILES,
            }));
        }
        Ok(())
    }
    fn build(&self, setup: &SimSetup) -> Result<Box<dyn SimSession>, String> {
        Ok(Box::new(IpuSession::build(setup)?))
    }
}

/// The engine's configuration for a setup.
pub fn ipu_config(setup: &SimSetup) -> IpuConfig {
    let chip = if setup.choice(&CHIP) == "gc200" {
        IpuConfig::gc200()
    } else {
        IpuConfig::bow()
    };
    let n_tiles = setup.size(&TILES);
    IpuConfig {
        name: format!("{}, {n_tiles} tiles", chip.name),
        n_tiles,
        ..chip
    }
}

/// The course's workload: the model's training epoch of the MNIST CNN beside the real run.
#[derive(Debug, Clone)]
pub struct EpochComparison {
    /// The model's estimate, on a full 1,472-tile chip.
    pub estimate: EpochEstimate,
    /// Model seconds over the real 8.65 s.
    pub error_cached: f64,
    /// Model seconds over the real first run's 11.11 s.
    pub error_first_run: f64,
}

/// An IPU page's run.
#[derive(Debug, Clone)]
pub struct IpuSession {
    /// The engine.
    pub run: IpuRun,
    /// The workload it runs.
    pub workload: Workload,
    /// The same workload on the A100 model.
    pub references: Vec<(SimArch, RunMetrics)>,
    /// The CNN's training epoch (CNN preset only), or why there is none.
    pub epoch: Option<Result<EpochComparison, String>>,
}

impl IpuSession {
    /// Compiles the workload for the tiles and plans the GPU run beside it.
    ///
    /// # Errors
    /// The engine's error as a sentence (no tiles, a layer that does not fit a tile's
    /// 624 KiB, a workload the compiler does not map, sizes over the memory budget).
    pub fn build(setup: &SimSetup) -> Result<Self, String> {
        let config = ipu_config(setup);
        config.validate().map_err(|e| sentence(&e))?;
        let workload = setup.workload().map_err(|e| sentence(&e))?;
        let run = IpuRun::new(config.clone(), &workload, VALUES_SEED).map_err(|e| sentence(&e))?;
        let gpu = GpuSim::new(GpuConfig::a100_40gb_sxm(), &workload)
            .map_err(|e| sentence(&e))?
            .run_to_end();
        let epoch = (setup.preset == Preset::Cnn).then(|| {
            // The figures are for a whole chip, whatever the picture's tile count.
            let chip = IpuConfig {
                n_tiles: sim::ipu::config::GC200_TILES,
                ..config.clone()
            };
            epoch_estimate(
                &chip,
                u64::from(setup.batch),
                u64::from(setup.size(&DEVICE_ITERATIONS)),
                sim::ipu::epoch::MNIST_TRAIN_IMAGES,
            )
            .map(|estimate| EpochComparison {
                error_cached: estimate.model_error(REAL_EPOCH_S_CACHED),
                error_first_run: estimate.model_error(REAL_EPOCH_S_FIRST_RUN),
                estimate,
            })
            .map_err(|e| sentence(&e))
        });
        Ok(Self {
            run,
            workload,
            references: vec![(SimArch::Gpu, gpu)],
            epoch,
        })
    }

    /// The program's length as the compiler schedules it.
    pub fn predicted_cycles(&self) -> Cycle {
        self.run
            .program()
            .total_cycles(self.run.config().sync_latency)
    }
}

impl SimSession for IpuSession {
    fn engine(&mut self) -> &mut dyn Engine {
        &mut self.run
    }
    fn metrics(&self) -> RunMetrics {
        self.run.metrics()
    }
    fn units(&self) -> u64 {
        u64::from(self.run.config().n_tiles)
    }
    fn setup_line(&self) -> String {
        let p = self.run.program();
        format!(
            "Set up: {} on {}: the graph compiler made {} supersteps, {} cycles in all, using at most {} of a tile's {}. Press Play or Step.",
            self.workload.name,
            self.run.config().name,
            p.supersteps.len(),
            self.predicted_cycles().0,
            p.memory_used.iter().copied().max().unwrap_or(Bytes::ZERO),
            p.tile_memory
        )
    }
    fn total_cycles(&self) -> Option<Cycle> {
        Some(self.predicted_cycles())
    }
    fn result_check(&self) -> Option<String> {
        if !self.run.is_finished() {
            return None;
        }
        if let Some(reason) = self.run.no_values_reason() {
            return Some(format!("Timing only, no values computed: {reason}"));
        }
        let got = self.run.result()?;
        let want = self.run.reference().ok()?;
        // The tiles add partial sums in another order than the f64 reference: allow f32
        // rounding relative to each output's size (more after a softmax or layer norm).
        let worst = worst_relative_difference(got, want);
        let n = got.len();
        Some(if worst <= tolerance(&self.workload) {
            format!(
                "Correct: all {n} outputs match an f64 reference (largest relative difference {worst:.1e}, within f32 rounding)."
            )
        } else {
            format!(
                "Wrong: the outputs differ from an f64 reference by up to {worst:.1e} (relative)."
            )
        })
    }
    fn inspect(&self, (tile, _): UnitAt) -> InspectRows {
        let t = self.run.inspect(tile).map_err(|e| sentence(&e))?;
        let phase = match t.phase {
            TilePhase::Idle => "idle",
            TilePhase::Computing => "computing",
            TilePhase::WaitingAtSync => "waiting at the sync",
            TilePhase::Exchanging => "exchanging",
            TilePhase::Done => "done",
        };
        let mut rows = vec![
            ("Tile".to_string(), t.tile.to_string()),
            ("State".into(), phase.into()),
            (
                "Memory used".into(),
                format!(
                    "{} of {} (weights {})",
                    t.memory_used, t.memory_capacity, t.weight_bytes
                ),
            ),
            (
                "Bytes sent / received".into(),
                format!("{} / {}", t.bytes_sent, t.bytes_received),
            ),
            (
                "Cycles busy / waiting at syncs / idle".into(),
                format!("{} / {} / {}", t.busy.0, t.stalled.0, t.idle.0),
            ),
            ("Vertices".into(), t.vertices.len().to_string()),
        ];
        for v in t.vertices.iter().take(12) {
            rows.push((
                format!("Superstep {}", v.superstep),
                format!("{} ({} cycles)", v.name, v.cycles.0),
            ));
        }
        if t.vertices.len() > 12 {
            rows.push((
                "…".into(),
                format!("{} more vertices", t.vertices.len() - 12),
            ));
        }
        Ok(rows)
    }
    fn references(&self) -> &[(SimArch, RunMetrics)] {
        &self.references
    }
    fn assumptions(&self) -> Vec<String> {
        sim::ipu::MODEL_ASSUMPTIONS
            .iter()
            .map(|a| (*a).to_string())
            .collect()
    }
    fn timeline(&self) -> Vec<Span> {
        let sync = self.run.config().sync_latency;
        let mut t = Cycle::ZERO;
        let mut spans = Vec::new();
        for s in &self.run.program().supersteps {
            for (len, kind, what) in [
                (s.compute, SpanKind::Compute, "compute"),
                (sync, SpanKind::Overhead, "sync"),
                (s.exchange_cycles, SpanKind::Exchange, "exchange"),
            ] {
                if len > Cycle::ZERO {
                    spans.push(Span {
                        start: t,
                        end: t + len,
                        kind,
                        label: format!("superstep {} ({}): {what}", s.index, s.label),
                    });
                }
                t += len;
            }
        }
        spans
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One row of the program table: a superstep as the compiler scheduled it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuperstepRow {
    /// Index.
    pub index: usize,
    /// What it computes.
    pub label: String,
    /// Tiles with vertices.
    pub tiles_computing: usize,
    /// Its compute phase (the slowest tile), in cycles.
    pub compute: u64,
    /// Transfers in its exchange.
    pub transfers: usize,
    /// Bytes exchanged.
    pub bytes: Bytes,
    /// Its exchange phase, in cycles.
    pub exchange: u64,
}

impl SuperstepRow {
    /// The row's cells, in the table's column order.
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.index.to_string(),
            self.label.clone(),
            self.tiles_computing.to_string(),
            self.compute.to_string(),
            self.transfers.to_string(),
            self.bytes.to_string(),
            self.exchange.to_string(),
        ]
    }
}

/// The compiled program as a table, capped at `max` rows (the rest are counted by the caller).
pub fn program_rows(run: &IpuRun, max: usize) -> Vec<SuperstepRow> {
    run.program()
        .supersteps
        .iter()
        .take(max)
        .enumerate()
        .map(|(index, s)| SuperstepRow {
            index,
            label: s.label.clone(),
            tiles_computing: s.tiles.iter().filter(|t| !t.vertices.is_empty()).count(),
            compute: s.compute.0,
            transfers: s.exchange.len(),
            bytes: Bytes(s.exchange.iter().map(|t| t.bytes.0).sum()),
            exchange: s.exchange_cycles.0,
        })
        .collect()
}

/// The epoch comparison in sentences: the model's figure and split, the real figures with
/// their source, the error, and what the model leaves out.
pub fn epoch_lines(e: &EpochComparison) -> Vec<(String, String)> {
    let m = &e.estimate;
    vec![
        (
            "The model, one epoch".into(),
            format!(
                "{:.3} s: compute {:.3} s, syncs {:.3} s, exchange {:.3} s, host calls {:.3} s ({} steps of batch {}, {} host calls)",
                m.total_s(),
                m.compute_s,
                m.sync_s,
                m.exchange_s,
                m.host_s,
                m.steps,
                m.batch,
                m.host_calls
            ),
        ),
        (
            "The real Bow IPU".into(),
            format!(
                "{REAL_EPOCH_S_CACHED} s per epoch with a cached executable, {REAL_EPOCH_S_FIRST_RUN} s on the first run (with compile); source: {REAL_SOURCE}"
            ),
        ),
        (
            "Model ÷ real".into(),
            format!(
                "{:.3} (cached), {:.3} (first run): the model accounts for about {:.0}% of the real time",
                e.error_cached,
                e.error_first_run,
                100.0 * e.error_cached
            ),
        ),
        ("What the model leaves out".into(), LEAVES_OUT.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::form::SimForm;
    use super::super::session::advance;
    use super::*;

    fn ipu(query: &str) -> Result<IpuSession, String> {
        let q = crate::query::parse(query);
        IpuSession::build(&SimForm::from_query(&IpuMachine, &q).parse(&IpuMachine)?)
    }

    #[test]
    fn the_mlp_layer_runs_to_the_compilers_cycle_count_with_correct_values() {
        let mut s = ipu("preset=mlp&tiles=16").unwrap();
        let predicted = s.predicted_cycles();
        let slice = advance(&mut s, u64::MAX / 2);
        assert_eq!(
            slice.status,
            sim::engine::RunStatus::Finished { at: predicted }
        );
        let check = s.result_check().unwrap();
        assert!(check.starts_with("Correct: all 512 outputs"), "{check}");
        assert!(
            slice.lines.iter().any(|l| l.contains("sync")),
            "{:?}",
            slice.lines
        );
        let rows = s.inspect((3, 0)).unwrap();
        assert!(
            rows.iter()
                .any(|(l, v)| l == "Memory used" && v.contains("of 624.00 KiB"))
        );
        assert_eq!(
            s.inspect((16, 0)).unwrap_err(),
            "Tile 16 is outside the machine, which has tiles 0 to 15."
        );
        let table = program_rows(&s.run, 100);
        assert_eq!(table.len(), s.run.program().supersteps.len());
    }

    #[test]
    fn bad_settings_are_sentences() {
        for (query, sentence) in [
            (
                "tiles=0",
                "Number of tiles must be at least 1, but it is 0.",
            ),
            (
                "tiles=5000",
                "Number of tiles is 5000, above the limit of 1472.",
            ),
            (
                "chip=mk3",
                "There is no chip called \u{201c}mk3\u{201d}; choose bow or gc200.",
            ),
            (
                "preset=bert-layer&seq=0",
                "Sequence length must be at least 1, but it is 0.",
            ),
            (
                "preset=bert-layer&seq=600",
                "Sequence length is 600, above the limit of 512.",
            ),
        ] {
            assert_eq!(ipu(query).unwrap_err(), sentence, "{query}");
        }
        // A CNN on one tile does not fit its 624 KiB; nor do the BERT layer's 768 KiB of
        // weights fit 4 tiles beside GELU's data.
        for query in ["preset=cnn&tiles=1", "preset=bert-layer&tiles=4"] {
            let err = ipu(query).unwrap_err();
            assert!(err.starts_with("Tile 0 would need"), "{query}: {err}");
        }
    }

    #[test]
    fn the_bert_layer_runs_at_the_sequence_length_in_the_address() {
        let mut s = ipu("preset=bert-layer&seq=64&tiles=64").unwrap();
        assert!(s.workload.name.contains("seq 64"), "{}", s.workload.name);
        let predicted = s.predicted_cycles();
        let slice = advance(&mut s, u64::MAX / 2);
        assert_eq!(
            slice.status,
            sim::engine::RunStatus::Finished { at: predicted }
        );
        let check = s.result_check().unwrap();
        assert!(check.starts_with("Correct: all 8192 outputs"), "{check}");
        // The per-head products are in the program table.
        let table = program_rows(&s.run, 100);
        assert!(table.iter().any(|r| r.label.starts_with("scores")));
        assert!(table.iter().any(|r| r.label.starts_with("context")));
        // A longer sequence is a longer program; the form writes it back into the address.
        let long = ipu("preset=bert-layer&seq=128&tiles=64").unwrap();
        assert!(long.predicted_cycles() > predicted);
        let q = crate::query::parse("preset=bert-layer&seq=128&tiles=64");
        let form = SimForm::from_query(&IpuMachine, &q);
        assert!(form.to_query(&IpuMachine).contains("seq=128"));
    }

    #[test]
    fn the_cnn_preset_places_its_epoch_beside_the_real_run() {
        let s = ipu("preset=cnn&batch=8&tiles=64").unwrap();
        let epoch = s.epoch.clone().unwrap().unwrap();
        assert_eq!(epoch.estimate.steps, 7_500);
        assert_eq!(epoch.estimate.host_calls, 150);
        assert!(epoch.error_cached > 0.0 && epoch.error_cached < 1.0);
        let lines = epoch_lines(&epoch);
        assert!(lines[1].1.contains("8.65 s per epoch"), "{lines:?}");
        // One host call per step costs more host time.
        let every_step = ipu("preset=cnn&batch=8&tiles=64&iterations=1").unwrap();
        let e1 = every_step.epoch.unwrap().unwrap();
        assert_eq!(e1.estimate.host_calls, 7_500);
        assert!(e1.estimate.host_s > epoch.estimate.host_s);
        // Other presets have no epoch.
        assert!(ipu("preset=gemv").unwrap().epoch.is_none());
    }
}
