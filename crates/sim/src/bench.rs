//! Plain functions a benchmark harness calls and times (this crate reads no clock).

use crate::engine::{Engine, RunStatus};
use crate::error::SimError;
use crate::units::Cycle;
use crate::wse::{GemvProblem, GemvRun, WseConfig};

/// Simulates `n_cycles` cycles of the Graphcore MNIST CNN (batch 8) compiled for a 1,472-tile
/// Bow IPU, as a page does: slices of 256 cycles, a snapshot of every tile after each.
/// Returns the tile-cycles simulated (`1,472 · n_cycles`). When the program ends before
/// `n_cycles`, a fresh copy continues. The compile is part of the timed work.
///
/// # Errors
/// None in practice (the workload and machine are fixed); kept so a bench can report rather
/// than panic.
pub fn ipu_tile_cycles(n_cycles: u64) -> Result<u64, SimError> {
    let mut config = crate::ipu::IpuConfig::bow();
    config.trace_capacity = 0;
    let workload = crate::workload::presets::graphcore_mnist_cnn(8)?;
    let fresh = crate::ipu::IpuRun::new(config, &workload, 0)?;
    let mut run = fresh.clone();
    let mut snap = crate::ipu::IpuSnapshot::default();
    let mut done = 0u64;
    while done < n_cycles {
        let start = run.now();
        let status = run.run_until(start + Cycle((n_cycles - done).min(256)));
        run.snapshot_into(&mut snap);
        done += (run.now() - start).0;
        if !matches!(status, RunStatus::DeadlineReached) {
            run = fresh.clone();
        }
    }
    Ok(u64::from(crate::ipu::config::GC200_TILES) * done)
}

/// Runs the Graphcore MNIST CNN (batch 8) on a 1,472-tile Bow IPU `n_runs` times, start to
/// end in one `run_until` each, and returns the supersteps simulated.
///
/// # Errors
/// As [`ipu_tile_cycles`].
pub fn ipu_supersteps(n_runs: u64) -> Result<u64, SimError> {
    let mut config = crate::ipu::IpuConfig::bow();
    config.trace_capacity = 0;
    let workload = crate::workload::presets::graphcore_mnist_cnn(8)?;
    let fresh = crate::ipu::IpuRun::new(config, &workload, 0)?;
    let mut supersteps = 0u64;
    for _ in 0..n_runs {
        let mut run = fresh.clone();
        let _ = run.run_until(Cycle(u64::MAX));
        supersteps += run.superstep() as u64;
    }
    Ok(supersteps)
}

/// Compiles the BERT-tiny encoder layer (sequence 128) for a 1,472-tile Bow IPU, seeds its
/// values and computes their f64 reference, then runs it to the end (values on), `n_layers`
/// times: what a page does when it builds and plays the layer. Returns the layers run.
///
/// # Errors
/// As [`ipu_tile_cycles`].
pub fn ipu_bert_layers(n_layers: u64) -> Result<u64, SimError> {
    let mut config = crate::ipu::IpuConfig::bow();
    config.trace_capacity = 0;
    let workload = crate::workload::presets::bert_tiny_encoder_layer()?;
    for _ in 0..n_layers {
        let mut run = crate::ipu::IpuRun::new(config.clone(), &workload, 0)?;
        let _ = run.run_until(Cycle(u64::MAX));
    }
    Ok(n_layers)
}

/// Simulates `n_cycles` cycles of the BERT-tiny encoder layer (8 micro-batches) on an
/// SN10-class RDU tile as a page does: slices of `slice` cycles, a snapshot after each
/// (`slice == 1` steps cycle by cycle with [`Engine::step`], from the end of the first
/// section's load, so every step streams). Returns the unit-cycles
/// simulated (`(160 PCUs + 160 PMUs) · n_cycles`). When the program ends before `n_cycles`,
/// a fresh copy continues. The compile is part of the timed work.
///
/// # Errors
/// None in practice (the workload and tile are fixed); kept so a bench can report rather
/// than panic.
pub fn rdu_unit_cycles(n_cycles: u64, slice: u64) -> Result<u64, SimError> {
    let mut config = crate::rdu::RduConfig::sn10_tile();
    config.trace_capacity = 0;
    let workload = crate::workload::presets::bert_tiny_encoder_layer()?;
    let mut fresh = crate::rdu::RduRun::new(config.clone(), &workload, 8, 1, 0)?;
    if slice <= 1 {
        // Step through streaming cycles, not the section's load (where a step does nothing).
        let load = fresh
            .program()
            .sections
            .first()
            .map_or(Cycle::ZERO, |s| s.load_cycles);
        let _ = fresh.run_until(load);
    }
    let mut run = fresh.clone();
    let mut snap = crate::rdu::RduSnapshot::default();
    let mut done = 0u64;
    while done < n_cycles {
        let start = run.now();
        let finished = if slice <= 1 {
            matches!(run.step(), crate::engine::StepOutcome::Finished)
        } else {
            let status = run.run_until(start + Cycle((n_cycles - done).min(slice)));
            run.snapshot_into(&mut snap);
            !matches!(status, RunStatus::DeadlineReached)
        };
        done += (run.now() - start).0;
        if finished {
            run = fresh.clone();
        }
    }
    Ok(2 * u64::from(config.n_pcus()) * done)
}

/// Simulates `n_cycles` cycles of a busy 64×64 mesh and returns the PE-cycles simulated
/// (`64 · 64 · n_cycles`). Time it to get PE-cycles per second.
///
/// # Errors
/// None in practice (the workload is fixed and valid); kept so a bench can report rather
/// than panic.
pub fn mesh_pe_cycles(n_cycles: u64) -> Result<u64, SimError> {
    mesh_pe_cycles_on(64, 64, n_cycles)
}

/// As [`mesh_pe_cycles`] on a `width × height` mesh. The workload is an MLP layer with
/// 16 columns and 2 rows of `W` per PE at batch 32 (x-axpy tasks of 2 cycles, a partial sum
/// every 34 cycles per row): every router and CE is busy. When it finishes before
/// `n_cycles`, a fresh copy continues.
///
/// # Errors
/// A bad mesh size.
pub fn mesh_pe_cycles_on(width: u32, height: u32, n_cycles: u64) -> Result<u64, SimError> {
    let mut config = WseConfig::wse2(width, height);
    config.trace_capacity = 0;
    config.validate()?;
    let problem = GemvProblem::random(16 * width, 2 * height, 32, true, true, 0x5EED)?;
    let fresh = GemvRun::new(config, problem)?;
    let mut run = fresh.clone();
    let mut done = 0u64;
    while done < n_cycles {
        let start = run.now();
        let status = run.run_until(start + Cycle(n_cycles - done));
        done += (run.now() - start).0;
        if matches!(
            status,
            RunStatus::Finished { .. } | RunStatus::Deadlocked { .. }
        ) {
            run = fresh.clone();
        }
    }
    Ok(u64::from(width) * u64::from(height) * done)
}

/// Simulates `n_cycles` cycles of the BERT-tiny encoder layer (seq 128) mapped op by op on
/// a 16×16 mesh (the WSE page's default) as a page does: slices of `slice` cycles, a
/// snapshot after each. Returns the PE-cycles simulated (`256 · n_cycles`). When the layer
/// ends before `n_cycles`, a fresh copy continues. The mapping is part of the timed work.
///
/// # Errors
/// None in practice (the workload and mesh are fixed); kept so a bench can report rather
/// than panic.
pub fn wse_layer_pe_cycles(n_cycles: u64, slice: u64) -> Result<u64, SimError> {
    let mut config = WseConfig::wse2(16, 16);
    config.trace_capacity = 0;
    let workload = crate::workload::presets::bert_tiny_encoder_layer()?;
    let fresh = crate::wse::LayerRun::from_workload(config, &workload, 0)?;
    let mut run = fresh.clone();
    let mut snap = crate::wse::MeshSnapshot::default();
    let mut done = 0u64;
    while done < n_cycles {
        let start = run.now();
        let status = run.run_until(start + Cycle((n_cycles - done).min(slice.max(1))));
        run.snapshot_into(&mut snap);
        done += (run.now() - start).0;
        if !matches!(status, RunStatus::DeadlineReached) {
            run = fresh.clone();
        }
    }
    Ok(256 * done)
}

/// Simulates `n_cycles` cycles of a Groq run as a page does (slices of `slice` cycles, a
/// snapshot after each) and returns the lane-slice-cycles simulated (slices × vector
/// length × cycles, the page's unit of work). When the program ends first, a fresh copy
/// continues. `values` computes the numbers as the page does; without, timing only.
///
/// # Errors
/// A config or workload the compiler refuses.
pub fn groq_lane_slice_cycles(
    config: crate::groq::GroqConfig,
    workload: &crate::workload::Workload,
    values: bool,
    slice: u64,
    n_cycles: u64,
) -> Result<u64, SimError> {
    let mut config = config;
    config.trace_capacity = 0;
    let fresh = if values {
        crate::groq::GroqRun::new(config.clone(), workload, 0)?
    } else {
        crate::groq::GroqRun::timing_only(config.clone(), workload)?
    };
    let mut run = fresh.clone();
    let mut snap = crate::groq::GroqSnapshot::default();
    let mut done = 0u64;
    while done < n_cycles {
        let start = run.now();
        let status = run.run_until(start + Cycle((n_cycles - done).min(slice.max(1))));
        run.snapshot_into(&mut snap);
        done += (run.now() - start).0;
        if !matches!(status, RunStatus::DeadlineReached) {
            run = fresh.clone();
        }
    }
    Ok(u64::from(config.n_slices()) * config.vector_len() * done)
}

/// One benchmark: a name, the unit its work is counted in, and one timed repetition.
pub struct BenchCase {
    pub name: &'static str,
    pub unit: &'static str,
    pub run: Box<dyn FnMut() -> f64>,
}

impl std::fmt::Debug for BenchCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BenchCase({}, {})", self.name, self.unit)
    }
}

/// The simulator benchmarks, identical on native and wasm: a busy 64×64 and 32×32 mesh, the
/// BERT-tiny layer mapped op by op on the WSE page's 16×16 mesh, the
/// MNIST CNN on a 1,472-tile IPU (cycle slices with snapshots, and whole runs), the BERT-tiny
/// layer compiled, checked and run on the same IPU, the BERT-tiny layer on an SN10-class RDU
/// tile (page-like slices, and cycle by cycle), and Groq runs (the page's BERT layer with
/// values, and BERT-tiny on the real floorplan).
/// A run that fails (it cannot, for these fixed sizes) counts as no work.
pub fn cases() -> Vec<BenchCase> {
    vec![
        BenchCase {
            name: "sim.mesh_64x64",
            unit: "PE-cycles",
            run: Box::new(|| mesh_pe_cycles(500).map_or(0.0, |n| n as f64)),
        },
        BenchCase {
            name: "sim.mesh_32x32",
            unit: "PE-cycles",
            run: Box::new(|| mesh_pe_cycles_on(32, 32, 2000).map_or(0.0, |n| n as f64)),
        },
        BenchCase {
            name: "sim.wse_bert_16x16",
            unit: "PE-cycles",
            // A whole BERT layer (150,594 cycles) in the page's 256-cycle slices.
            run: Box::new(|| wse_layer_pe_cycles(160_000, 256).map_or(0.0, |n| n as f64)),
        },
        BenchCase {
            name: "sim.ipu_1472",
            unit: "tile-cycles",
            run: Box::new(|| ipu_tile_cycles(20_000).map_or(0.0, |n| n as f64)),
        },
        BenchCase {
            name: "sim.rdu_sn10",
            unit: "unit-cycles",
            run: Box::new(|| rdu_unit_cycles(400_000, 256).map_or(0.0, |n| n as f64)),
        },
        BenchCase {
            name: "sim.rdu_sn10_step",
            unit: "unit-cycles",
            run: Box::new(|| rdu_unit_cycles(20_000, 1).map_or(0.0, |n| n as f64)),
        },
        BenchCase {
            name: "sim.ipu_superstep_1472",
            unit: "supersteps",
            run: Box::new(|| ipu_supersteps(20).map_or(0.0, |n| n as f64)),
        },
        BenchCase {
            name: "sim.ipu_bert_1472",
            unit: "layers",
            run: Box::new(|| ipu_bert_layers(2).map_or(0.0, |n| n as f64)),
        },
        BenchCase {
            name: "sim.groq_bert_page",
            unit: "lane-slice-cycles",
            run: Box::new(|| {
                // The page's default: the BERT layer on 8 superlanes, values on, 34-cycle frames.
                crate::workload::presets::bert_tiny_encoder_layer()
                    .and_then(|w| {
                        groq_lane_slice_cycles(
                            crate::groq::GroqConfig::small(8),
                            &w,
                            true,
                            34,
                            4_000,
                        )
                    })
                    .map_or(0.0, |n| n as f64)
            }),
        },
        BenchCase {
            name: "sim.groq_tsp_timing",
            unit: "lane-slice-cycles",
            run: Box::new(|| {
                // BERT-tiny's two layers on the 95-slice floorplan, timing only.
                crate::workload::presets::bert_tiny_encoder(128, 2)
                    .and_then(|w| {
                        groq_lane_slice_cycles(
                            crate::groq::GroqConfig::tsp(),
                            &w,
                            false,
                            256,
                            20_000,
                        )
                    })
                    .map_or(0.0, |n| n as f64)
            }),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groq_bench_counts_lane_slice_cycles() {
        let w = crate::workload::presets::mnist_mlp_layer(4).unwrap();
        let c = crate::groq::GroqConfig::small(4);
        // 15 slices × 64 lanes × 3,000 cycles, over several fresh copies of the run.
        assert_eq!(
            groq_lane_slice_cycles(c.clone(), &w, true, 34, 3_000).unwrap(),
            15 * 64 * 3_000
        );
        assert_eq!(
            groq_lane_slice_cycles(c, &w, false, 256, 10).unwrap(),
            15 * 64 * 10
        );
    }

    #[test]
    fn bench_counts_pe_cycles() {
        assert_eq!(mesh_pe_cycles_on(4, 4, 5_000).unwrap(), 16 * 5_000);
        assert_eq!(
            mesh_pe_cycles_on(0, 4, 10),
            Err(SimError::ZeroSize { what: "mesh width" })
        );
    }

    #[test]
    fn ipu_bench_counts_tile_cycles_and_supersteps() {
        assert_eq!(ipu_tile_cycles(1_000).unwrap(), 1_472 * 1_000);
        // The CNN's forward program has 13 supersteps (see the IPU tests).
        assert_eq!(ipu_supersteps(2).unwrap(), 26);
        assert_eq!(ipu_bert_layers(1).unwrap(), 1);
        assert_eq!(cases().len(), 10);
    }

    #[test]
    fn wse_layer_bench_counts_pe_cycles() {
        assert_eq!(wse_layer_pe_cycles(3_000, 256).unwrap(), 256 * 3_000);
    }

    #[test]
    fn rdu_bench_counts_unit_cycles() {
        assert_eq!(rdu_unit_cycles(1_000, 256).unwrap(), 320 * 1_000);
        assert_eq!(rdu_unit_cycles(50, 1).unwrap(), 320 * 50);
    }
}
