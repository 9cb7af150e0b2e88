//! The GPU baseline: its settings (which GPU model), its session and its HBM round trips.

use std::any::Any;

use course::SimArch;
use sim::engine::Engine;
use sim::gpu::{GpuConfig, GpuSim};
use sim::metrics::RunMetrics;
use sim::units::{Bytes, Cycle};
use sim::workload::Workload;

use super::form::{FieldKind, FieldSpec, SimSetup};
use super::session::{Span, SpanKind};
use super::{Machine, SimSession, sentence};

/// The GPU model to run.
pub const GPU_MODEL: FieldSpec = FieldSpec {
    key: "machine",
    label: "GPU",
    what: "GPU model",
    kind: FieldKind::Choice(&[
        ("a100", "NVIDIA A100 (no cache: every read from HBM)"),
        ("a100-l2", "NVIDIA A100 with its 40 MiB L2 as a cache"),
        ("small", "Small GPU (4 SMs at A100 rates, 256 KiB cache)"),
    ]),
    default: |_| "a100",
};

/// The engine's configuration for a `GPU_MODEL` choice.
pub fn gpu_config(model: &str) -> GpuConfig {
    match model {
        "a100-l2" => GpuConfig::a100_40gb_sxm_with_l2(),
        "small" => GpuConfig::small(),
        _ => GpuConfig::a100_40gb_sxm(),
    }
}

/// The GPU baseline machine.
#[derive(Debug)]
pub struct GpuMachine;

/// The model jumps whole phases at once, so its speeds are larger than a mesh's.
pub const GPU_SPEEDS: [u64; 7] = [10, 30, 100, 300, 1_000, 3_000, 10_000];

impl Machine for GpuMachine {
    fn arch(&self) -> SimArch {
        SimArch::Gpu
    }
    fn fields(&self) -> &'static [&'static FieldSpec] {
        &[&GPU_MODEL]
    }
    fn speeds(&self) -> &'static [u64] {
        &GPU_SPEEDS
    }
    fn lesson(&self) -> (&'static str, &'static str) {
        ("why-dataflow", "Why AI workloads suit dataflow machines")
    }
    fn roof_bandwidth(&self) -> Option<f64> {
        Some(GpuConfig::a100_40gb_sxm().hbm_bytes_per_s)
    }
    fn build(&self, setup: &SimSetup) -> Result<Box<dyn SimSession>, String> {
        Ok(Box::new(GpuSession::build(setup)?))
    }
}

/// A GPU page's run.
#[derive(Debug, Clone)]
pub struct GpuSession {
    /// The engine.
    pub sim: GpuSim,
    /// The workload it runs.
    pub workload: Workload,
    /// Per-kernel HBM traffic.
    pub traffic: Vec<KernelTraffic>,
}

impl GpuSession {
    /// Plans the kernels of the setup's workload on its GPU.
    ///
    /// # Errors
    /// The engine's error as a sentence.
    pub fn build(setup: &SimSetup) -> Result<Self, String> {
        let workload = setup.workload().map_err(|e| sentence(&e))?;
        let config = gpu_config(setup.choice(&GPU_MODEL));
        let sim = GpuSim::new(config, &workload).map_err(|e| sentence(&e))?;
        let traffic = sim.kernel_traffic().to_vec();
        Ok(Self {
            sim,
            workload,
            traffic,
        })
    }
}

impl SimSession for GpuSession {
    fn engine(&mut self) -> &mut dyn Engine {
        &mut self.sim
    }
    fn metrics(&self) -> RunMetrics {
        self.sim.metrics()
    }
    fn units(&self) -> u64 {
        1
    }
    fn setup_line(&self) -> String {
        format!(
            "Set up: {} on the {}: {} kernels, {} cycles in all. Press Play or Step.",
            self.workload.name,
            self.sim.config().name,
            self.sim.kernels().len(),
            self.sim.total_cycles().0
        )
    }
    fn total_cycles(&self) -> Option<Cycle> {
        Some(self.sim.total_cycles())
    }
    fn assumptions(&self) -> Vec<String> {
        sim::gpu::MODEL_ASSUMPTIONS
            .iter()
            .map(|a| (*a).to_string())
            .collect()
    }
    fn timeline(&self) -> Vec<Span> {
        let mut spans = Vec::new();
        for k in self.sim.kernels() {
            let body = k.start + k.launch;
            spans.push(Span {
                start: k.start,
                end: body,
                kind: SpanKind::Overhead,
                label: format!("{}: launch", k.name),
            });
            let memory_bound = k.memory > k.compute;
            spans.push(Span {
                start: body,
                end: k.end(),
                kind: if memory_bound {
                    SpanKind::OffChip
                } else {
                    SpanKind::Compute
                },
                label: format!(
                    "{}: {}",
                    k.name,
                    if memory_bound {
                        "waiting on HBM"
                    } else {
                        "compute-bound"
                    }
                ),
            });
        }
        spans
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

pub use sim::gpu::KernelTraffic;

/// The round trips in one sentence.
pub fn round_trip_summary(rows: &[KernelTraffic]) -> String {
    let total: u64 = rows.iter().map(|r| r.hbm_read.0 + r.hbm_written.0).sum();
    let spilled: u64 = rows
        .iter()
        .filter(|r| r.output_read_later)
        .map(|r| r.hbm_written.0)
        .sum();
    let back: u64 = rows.iter().map(|r| r.activations_in.0).sum();
    let n = rows.len();
    let kernels = if n == 1 { "kernel" } else { "kernels" };
    if spilled == 0 {
        format!(
            "{n} {kernels}, {} of HBM traffic. With a single kernel there is no intermediate to spill, but the weights still come from HBM on every run; on the WSE they stay in the PEs' memory.",
            Bytes(total)
        )
    } else {
        format!(
            "{n} {kernels}, {} of HBM traffic. {} of intermediate results were written to HBM only to be read back ({} of reads) by the next kernels: round trips a dataflow machine avoids by passing them from unit to unit on chip.",
            Bytes(total),
            Bytes(spilled),
            Bytes(back)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::form::{Preset, SimForm};
    use super::super::session::advance;
    use super::*;
    use sim::engine::RunStatus;

    #[test]
    fn the_gpu_shows_its_round_trips() {
        let form = SimForm::defaults(&GpuMachine, Preset::Mlp);
        let gpu = GpuSession::build(&form.parse(&GpuMachine).unwrap()).unwrap();
        let rows = &gpu.traffic;
        assert_eq!(rows.len(), 3);
        // matmul output [4, 128] f32 = 2 KiB written, read back by the bias kernel, whose
        // output is read back by the ReLU kernel; the ReLU's output is the result.
        assert_eq!(rows[0].hbm_written, Bytes(2_048));
        assert!(rows[0].output_read_later && rows[1].output_read_later);
        assert!(!rows[2].output_read_later);
        assert_eq!(rows[1].activations_in, Bytes(2_048));
        let summary = round_trip_summary(rows);
        assert!(
            summary.contains("4.00 KiB of intermediate results"),
            "{summary}"
        );
    }

    #[test]
    fn gpu_runs_every_preset_and_logs_kernels() {
        for preset in Preset::ALL {
            let setup = SimForm::defaults(&GpuMachine, preset)
                .parse(&GpuMachine)
                .unwrap();
            let mut gpu = GpuMachine.build(&setup).unwrap();
            let n = gpu
                .as_any()
                .downcast_ref::<GpuSession>()
                .unwrap()
                .sim
                .kernels()
                .len();
            let slice = advance(gpu.as_mut(), u64::MAX);
            assert!(matches!(slice.status, RunStatus::Finished { .. }));
            assert_eq!(slice.lines.len(), 2 * n, "{preset:?}");
            assert!(slice.lines[0].ends_with("launched"), "{:?}", slice.lines);
        }
    }

    #[test]
    fn the_gpu_model_is_a_choice() {
        let q = crate::query::parse("preset=gemv&machine=h100");
        assert_eq!(
            SimForm::from_query(&GpuMachine, &q)
                .parse(&GpuMachine)
                .unwrap_err(),
            "There is no GPU model called \u{201c}h100\u{201d}; choose a100, a100-l2 or small."
        );
        let q = crate::query::parse("preset=gemv&machine=small");
        let setup = SimForm::from_query(&GpuMachine, &q)
            .parse(&GpuMachine)
            .unwrap();
        let s = GpuSession::build(&setup).unwrap();
        assert_eq!(s.sim.config().n_sms, GpuConfig::small().n_sms);
    }
}
