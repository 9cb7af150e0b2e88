//! The RDU's tests: hand-derived cycle counts, results against a reference, the token ledger
//! under random setups, and bad parameters as sentences.

use super::*;
use crate::SimError;
use crate::engine::{Engine, RunStatus};
use crate::units::{Bytes, Cycle};
use crate::workload::presets;

/// A 1 × 4 tile (4 PCUs, 4 PMUs in one row) with tiny units, so every figure can be derived
/// by hand: 2 lanes × 2 stages, 1 KiB PMUs, 4 DDR bytes per cycle, 100 cycles per section
/// configuration.
fn tiny_tile() -> RduConfig {
    RduConfig {
        lanes: 2,
        stages: 2,
        pmu_capacity: Bytes(1_024),
        ddr_bytes_per_cycle: 4,
        section_config_cycles: Cycle(100),
        ..RduConfig::small(1, 4)
    }
}

/// Runs to the end and returns the finishing cycle.
fn run_to_end(run: &mut RduRun) -> Cycle {
    match run.run_until(Cycle(u64::MAX)) {
        RunStatus::Finished { at } => at,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_linear_layer_on_a_tiny_tile_takes_the_hand_derived_cycles() {
    // y = relu(x·W + b), x: [1, 8], W: [8, 4], b: [4], f32; 3 micro-batches.
    //
    // Cells of the 1 × 4 tile (row 0): PCU 0..3 at x = 0, 2, 4, 6; PMU 0..3 at x = 1, 3, 5, 7;
    // the AGCU at x = −1.
    //
    // Sections. All three ops need 2 weight PMUs (W: 128 B, b: 16 B) and 4 buffers (x, the
    // matmul's, the bias's, the relu's output) = 6 > 4 PMUs, so the compiler cuts:
    // section 0 = {matmul} (W + buffers x, matmul = 3 PMUs); adding bias would need 5.
    // Section 1 = {bias, relu} (b + buffers matmul (loaded), bias, relu = 4 PMUs).
    //
    // Section 0. PMUs: W → PMU 0, x → PMU 1 (x = 3), matmul → PMU 2 (x = 5). The matmul gets
    // PCU 0 (x = 0); it would get more PCUs only while slower than the AGCU (8 cycles).
    //   load x:  32 B / 4 = 8 cycles + route AGCU → PMU 1 (4 hops) = 12
    //   matmul:  32 MACs / (2 lanes · 2 stages) = 8 + depth 2 + longest route
    //            (PCU 0 → PMU 2: 5 hops; PMU 1 → PCU 0: 3) = 15
    //   store:   16 B / 4 = 4 + route PMU 2 → AGCU (6 hops) = 10
    //   load the section: 100 + 128 B of W / 4 = 132
    //   stream 3 micro-batches: (12 + 15 + 10) + 2 · 15 = 67
    // Section 1. PMUs: b → PMU 0, matmul (loaded) → PMU 1, bias → PMU 2, relu → PMU 3.
    // bias on PCU 0 (x = 0), relu on PCU 1 (x = 2).
    //   load matmul: 16 B / 4 = 4 + 4 hops = 8
    //   bias:    4 elements / 2 lanes = 2 + depth 2 + longest route (PCU 0 → PMU 2: 5) = 9
    //   relu:    2 + 2 + (PCU 1 → PMU 3: 5 hops) = 9
    //   store:   4 + (PMU 3 at x = 7 → AGCU: 8 hops) = 12
    //   load the section: 100 + 16 B of b / 4 = 104
    //   stream: (8 + 9 + 9 + 12) + 2 · 12 = 62
    // Total: 132 + 67 + 104 + 62 = 365 cycles.
    let w = presets::linear(1, 8, 4, true).unwrap();
    let mut run = RduRun::new(tiny_tile(), &w, 3, 1, 5).unwrap();
    let p = run.program();
    assert_eq!(p.sections.len(), 2);
    let times: Vec<Vec<u64>> = p
        .sections
        .iter()
        .map(|s| s.stages.iter().map(|st| st.cycles.0).collect())
        .collect();
    assert_eq!(times, [vec![12, 15, 10], vec![8, 9, 9, 12]]);
    assert_eq!(
        [p.sections[0].load_cycles.0, p.sections[1].load_cycles.0],
        [132, 104]
    );
    assert_eq!(p.estimated_cycles(), Cycle(365));
    // DDR: weights 144 B; section 0 reads 3 · 32 and writes 3 · 16; section 1 reads and
    // writes 3 · 16 each: 144 + 144 + 96 = 384 B, of which 2 · 3 · 16 = 96 B cross the
    // section boundary.
    assert_eq!(p.ddr_bytes(), Bytes(384));
    assert_eq!(p.boundary_bytes(&w), Bytes(96));
    assert_eq!(run_to_end(&mut run), Cycle(365));
    assert_eq!(run.metrics().bytes_off_chip, Bytes(384));
    assert_eq!(run.exits(), [1, 1, 1]);
    // The values: every micro-batch checked, equal to the f64 reference within f32 rounding.
    let v = run.result().unwrap();
    assert_eq!(v.results.len(), 3);
    assert!(v.worst_difference() <= 1e-6, "{}", v.worst_difference());

    // Cycle by cycle gives the same count, and every PCU's cycles add up.
    let mut stepped = RduRun::new(tiny_tile(), &w, 3, 1, 5).unwrap();
    let mut n = 0;
    while stepped.step() != crate::engine::StepOutcome::Finished {
        n += 1;
        assert!(n < 1_000);
    }
    assert_eq!(stepped.now(), Cycle(365));
    for u in stepped.metrics().units {
        assert_eq!(u.busy + u.idle + u.stalled, Cycle(365), "{}", u.name);
    }
}

#[test]
fn two_replicas_add_the_all_reduce_of_the_weights() {
    // 144 B of gradients, ring of 2: 2 · (1/2) · 144 B / 50 GB/s + 2 · 1 · 10 µs
    // = 2.88 ns + 20 µs = 20.00288 µs → ⌈20.00288e-6 · 1.95e9⌉ = 39,006 cycles.
    let w = presets::linear(1, 8, 4, true).unwrap();
    let mut run = RduRun::new(tiny_tile(), &w, 3, 2, 5).unwrap();
    assert_eq!(run.program().allreduce_cycles, Cycle(39_006));
    assert_eq!(run_to_end(&mut run), Cycle(365 + 39_006));
}

#[test]
fn the_mlp_layer_fills_streams_and_drains_at_the_slowest_stages_rate() {
    // MNIST MLP layer, batch 4 per micro-batch, on the 4 × 4 picture tile: one section.
    // load x: 4·784·4 B / 32 = 392 cycles of DDR; the matmul's 401,408 MACs on 8 PCUs of
    // 128 MACs: 392 cycles (the compiler stops adding PCUs once the matmul is no slower than
    // the AGCU). With the routes' hops the matmul (392 + 15) is the slowest stage, so 8
    // micro-batches take load + Σ t + 7 · 407 cycles.
    let w = presets::mnist_mlp_layer(4).unwrap();
    let mut run = RduRun::new(RduConfig::small(4, 4), &w, 8, 1, 1).unwrap();
    let p = run.program().clone();
    assert_eq!(p.sections.len(), 1);
    let s = &p.sections[0];
    let (slowest_idx, slowest) = s.bottleneck();
    assert_eq!((slowest_idx, slowest), (1, Cycle(407)));
    let sum: u64 = s.stages.iter().map(|st| st.cycles.0).sum();
    let expected = s.load_cycles.0 + sum + 7 * slowest.0;
    let mut phases = Vec::new();
    while !run.is_finished() {
        let _ = run.run_until(run.now() + Cycle(50));
        let ph = run.pipeline_phase();
        if phases.last() != Some(&ph) {
            phases.push(ph);
        }
        run.check_tokens().unwrap();
    }
    assert_eq!(run.now().0, expected);
    assert_eq!(
        phases,
        [
            PipelinePhase::Loading,
            PipelinePhase::Fill,
            PipelinePhase::Steady,
            PipelinePhase::Drain,
            PipelinePhase::Finished
        ]
    );
    // The occupancy chart keeps the finished section: a span per stage per micro-batch,
    // from the end of the load.
    let snap = run.snapshot();
    assert_eq!(snap.spans.len(), s.stages.len() * 8);
    assert_eq!(snap.section_start, s.load_cycles);
    assert!(
        snap.spans
            .iter()
            .all(|sp| sp.start >= s.load_cycles && sp.end <= run.now())
    );
    let v = run.result().unwrap();
    assert_eq!(v.results.len(), 8);
    assert!(v.worst_difference() <= 1e-5);
    let lines: Vec<String> = run.drain_trace().iter().map(ToString::to_string).collect();
    assert!(
        lines.iter().any(|l| l.contains("the pipeline is full")),
        "{lines:?}"
    );
}

#[test]
fn the_bert_layer_is_cut_into_sections_on_the_small_tile_and_checked_against_f64() {
    let w = presets::bert_tiny_encoder_layer().unwrap();
    let mut small = RduRun::new(RduConfig::small(4, 4), &w, 2, 1, 3).unwrap();
    assert_eq!(small.program().sections.len(), 2);
    // norm1's output crosses the boundary: 128 · 128 · 4 B, out and back, per micro-batch.
    assert_eq!(small.program().boundary_bytes(&w), Bytes(2 * 2 * 65_536));
    run_to_end(&mut small);
    assert_eq!(small.exits(), [1, 1]);
    let v = small.result().unwrap();
    // 59 MFLOPs per micro-batch: one of the two is checked.
    assert_eq!(v.results.len(), 1);
    assert!(v.worst_difference() <= 1e-4, "{}", v.worst_difference());
    // An SN10-class tile holds the whole layer in one section.
    let sn10 = RduRun::new(RduConfig::sn10_tile(), &w, 2, 1, 3).unwrap();
    assert_eq!(sn10.program().sections.len(), 1);
    assert_eq!(sn10.program().boundary_bytes(&w), Bytes::ZERO);
}

#[test]
fn bad_parameters_are_sentences() {
    let mlp = presets::mnist_mlp_layer(4).unwrap();
    // The MLP's weights (392 KiB) and two buffers need 3 PMUs; a 1 × 1 tile has one.
    let err = RduRun::new(RduConfig::small(1, 1), &mlp, 4, 1, 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Op \"matmul\" needs 3 PMUs of 512.00 KiB for its weights and buffers, but a section \
         has only 1; use a bigger tile or a smaller layer."
    );
    let mut no_lanes = RduConfig::small(4, 4);
    no_lanes.lanes = 0;
    assert_eq!(
        RduRun::new(no_lanes, &mlp, 4, 1, 0).unwrap_err(),
        SimError::ZeroSize {
            what: "number of SIMD lanes per PCU"
        }
    );
    assert_eq!(
        RduRun::new(RduConfig::small(1_000, 4), &mlp, 4, 1, 0)
            .unwrap_err()
            .to_string(),
        "number of grid rows is 1000, above the limit of 64."
    );
    assert_eq!(
        RduRun::new(RduConfig::small(4, 4), &mlp, 0, 1, 0).unwrap_err(),
        SimError::ZeroSize {
            what: "number of micro-batches"
        }
    );
    assert!(matches!(
        RduRun::new(RduConfig::small(4, 4), &mlp, 4, 1_000_000, 0),
        Err(SimError::TooLarge { .. })
    ));
    // 8 M-element vectors: values would take about 600 MiB in the page.
    let huge = presets::linear(1 << 23, 1, 1, false).unwrap();
    let err = RduRun::new(RduConfig::small(64, 64), &huge, 2, 1, 0).unwrap_err();
    assert!(matches!(err, SimError::OverMemoryBudget { .. }), "{err}");
    let run = RduRun::new(RduConfig::small(4, 4), &mlp, 4, 1, 0).unwrap();
    assert_eq!(
        run.inspect(8, 0).unwrap_err().to_string(),
        "Unit (8, 0) is outside the tile's 8×4 grid."
    );
}

#[test]
fn a_program_that_cannot_move_is_reported_at_once() {
    // A buffer with no room: the load stage can never start, nothing works.
    let w = presets::linear(1, 8, 4, true).unwrap();
    let mut program = compile(&tiny_tile(), &w, 3, 1).unwrap();
    program.sections[0].buffers[0].depth = 0;
    let mut run = RduRun::from_program(tiny_tile(), &w, program, 0).unwrap();
    let status = run.run_until(Cycle(u64::MAX));
    // The section loads for 132 cycles, then no stage can start.
    assert!(
        matches!(status, RunStatus::Deadlocked { at: Cycle(132), .. }),
        "{status:?}"
    );
    // Asking again answers at once with the same status.
    assert_eq!(run.run_until(Cycle(u64::MAX)), status);
}

#[test]
fn inspecting_units_reports_roles_and_cycles() {
    let w = presets::mnist_mlp_layer(4).unwrap();
    let mut run = RduRun::new(RduConfig::small(4, 4), &w, 8, 1, 1).unwrap();
    let _ = run.run_until(Cycle(23_000));
    let pcu = run.inspect(0, 0).unwrap();
    assert_eq!(pcu.name, "PCU 0");
    assert!(pcu.role.contains("matmul"), "{}", pcu.role);
    assert_eq!(pcu.busy + pcu.idle + pcu.stalled, run.now());
    let pmu = run.inspect(1, 0).unwrap();
    assert!(pmu.role.contains("weights w"), "{}", pmu.role);
    let snap = run.snapshot();
    assert_eq!(snap.pcus.len(), 16);
    assert!(!snap.routes.is_empty());
    assert!(!snap.tokens.is_empty());
}

mod tokens {
    use super::*;
    use crate::workload::{Activation, DType, OpKind, Workload};
    use proptest::prelude::*;

    /// A chain of 1–3 linear layers (with or without ReLU) and, optionally, a residual add of
    /// the input: a graph with a skip edge.
    fn workload(dims: &[u64], relu: bool, residual: bool) -> Workload {
        let mut b = Workload::builder("random chain");
        let x = b.input("x", &[2, dims[0]], DType::F32);
        let mut t = x;
        for (i, pair) in dims.windows(2).enumerate() {
            let w = b.weight(&format!("w{i}"), &[pair[0], pair[1]], DType::F32);
            t = b.op(
                &format!("fc{i}"),
                OpKind::MatMul {
                    batch: 1,
                    m: 2,
                    k: pair[0],
                    n: pair[1],
                },
                &[t, w],
            );
            if relu {
                t = b.op(
                    &format!("relu{i}"),
                    OpKind::Activation {
                        func: Activation::Relu,
                        len: 2 * pair[1],
                    },
                    &[t],
                );
            }
        }
        if residual && dims.first() == dims.last() {
            b.op(
                "residual",
                OpKind::Binary {
                    op: crate::workload::Binary::Add,
                    len: 2 * dims[0],
                },
                &[t, x],
            );
        }
        b.build().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn every_micro_batch_leaves_once_and_none_is_lost_or_duplicated(
            dims in proptest::collection::vec(1u64..24, 2..5),
            relu in any::<bool>(),
            residual in any::<bool>(),
            rows in 1u32..4,
            cols in 1u32..5,
            lanes in 1u32..8,
            stages in 1u32..6,
            pmu in 64u64..2_048,
            ddr in 1u32..64,
            micro_batches in 1u32..9,
            tasks in 1u32..4,
        ) {
            let mut dims = dims;
            if residual {
                let first = dims[0];
                if let Some(last) = dims.last_mut() {
                    *last = first;
                }
            }
            let w = workload(&dims, relu, residual);
            let config = RduConfig {
                lanes,
                stages,
                pmu_capacity: Bytes(pmu),
                ddr_bytes_per_cycle: ddr,
                section_config_cycles: Cycle(7),
                ..RduConfig::small(rows, cols)
            };
            let Ok(mut stepped) = RduRun::new(config.clone(), &w, micro_batches, tasks, 9) else {
                // Only a too-small tile may refuse, and it says which op.
                let err = RduRun::new(config, &w, micro_batches, tasks, 9).unwrap_err();
                prop_assert!(matches!(err, SimError::PmuMemoryExceeded { .. }), "{err}");
                return Ok(());
            };
            let mut bulk = stepped.clone();
            // Cycle by cycle, with the ledger checked every cycle (the all-reduce is skipped
            // in bulk: nothing streams then).
            let mut guard = 0u64;
            while !stepped.is_finished() {
                if stepped.pipeline_phase() == PipelinePhase::AllReduce {
                    let _ = stepped.run_until(Cycle(u64::MAX));
                    break;
                }
                let outcome = stepped.step();
                let stalled = matches!(outcome, crate::engine::StepOutcome::Stalled { .. });
                prop_assert!(!stalled, "the run stalled");
                stepped.check_tokens().map_err(TestCaseError::fail)?;
                guard += 1;
                prop_assert!(guard < 2_000_000);
            }
            prop_assert!(stepped.exits().iter().all(|&n| n == 1), "{:?}", stepped.exits());
            // In bulk, the same cycle count.
            let status = bulk.run_until(Cycle(u64::MAX));
            prop_assert_eq!(status, RunStatus::Finished { at: stepped.now() });
            // A chain without a skip edge runs exactly as the formula says.
            if !residual || dims.first() != dims.last() {
                prop_assert_eq!(stepped.now(), stepped.program().estimated_cycles());
            }
            prop_assert!(stepped.result().unwrap().worst_difference() <= 1e-5);
            for u in stepped.metrics().units {
                prop_assert_eq!(u.busy + u.idle + u.stalled, stepped.now());
            }
        }
    }

    #[test]
    fn the_bert_layer_keeps_its_tokens_on_random_tiles() {
        // Seeded loop: random tiles and slice lengths, the ledger checked after each slice.
        let w = presets::bert_tiny_encoder_layer().unwrap();
        let mut rng = crate::rng::SplitMix64::new(11);
        for _ in 0..6 {
            let rows = 2 + (rng.next_u64() % 4) as u32;
            let cols = 2 + (rng.next_u64() % 6) as u32;
            let m = 1 + (rng.next_u64() % 5) as u32;
            let config = RduConfig::small(rows, cols);
            let mut run = RduRun::new(config, &w, m, 1, 2).unwrap();
            while !run.is_finished() {
                let slice = 1 + rng.next_u64() % 3_000;
                let status = run.run_until(run.now() + Cycle(slice));
                assert!(!matches!(status, RunStatus::Deadlocked { .. }));
                run.check_tokens().unwrap();
            }
            assert!(run.exits().iter().all(|&n| n == 1));
        }
    }
}
