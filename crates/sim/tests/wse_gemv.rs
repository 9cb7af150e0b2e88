//! GEMV and MLP on the mesh: results against a reference, and cycle counts derived by hand.

use sim::engine::{Engine, RunStatus};
use sim::units::Cycle;
use sim::wse::{GemvProblem, GemvRun, WseConfig};

fn run(config: WseConfig, problem: GemvProblem) -> GemvRun {
    let mut run = GemvRun::new(config, problem).expect("the problem maps onto the mesh");
    let status = run.run_until(Cycle(10_000_000));
    assert!(matches!(status, RunStatus::Finished { .. }), "{status:?}");
    run
}

#[test]
fn one_row_chain_first_partial_sum_reaches_the_edge_after_4w_plus_2_cycles() {
    // W×1 mesh, GEMV d_in = W, d_out = 1: each PE holds one weight.
    // Cycle 0: each column's host injector puts x_i in PE (i, 0)'s router queue.
    // Cycle 1: the router sends x_i to its ramp. Cycle 2: the x-axpy task (1 row) runs.
    // PE 0: cycle 3 the send task runs, cycle 4 its wavelet goes onto the router.
    // Each further PE costs 4 cycles: router → east neighbour's router (1), router → ramp
    // (1), reduce task (1), ramp → router (1). So PE i's sum is in its router at 4 + 4i,
    // PE W-1 forwards it off the east edge at 4 + 4(W-1) + 1 and it arrives one cycle later:
    // 4W + 2. W = 4: 18 cycles, and that is also the end of the run.
    for w in [1u32, 2, 4, 7] {
        let p = GemvProblem::random(w, 1, 1, false, false, 1).unwrap();
        let r = run(WseConfig::wse2(w, 1), p);
        assert_eq!(
            r.first_output_cycle(),
            Some(Cycle(u64::from(4 * w + 2))),
            "W = {w}"
        );
        assert_eq!(r.now(), Cycle(u64::from(4 * w + 2)));
        assert_eq!(r.result().unwrap(), r.reference());
    }
}

#[test]
fn square_gemv_one_element_per_pe_finishes_after_4w_plus_h_plus_1_cycles() {
    // W×H mesh, d_in = W, d_out = H. x_i goes down column i one hop per cycle, so row j sees
    // everything j cycles later than row 0: row j's sum leaves at 4W + 2 + j. The last row
    // (j = H - 1) ends the run at 4W + H + 1. 4×4: first 18, end 21. 8×3: first 34, end 36.
    for (w, h) in [(4u32, 4u32), (8, 3), (3, 8)] {
        let p = GemvProblem::random(w, h, 1, false, false, 2).unwrap();
        let r = run(WseConfig::wse2(w, h), p);
        assert_eq!(r.first_output_cycle(), Some(Cycle(u64::from(4 * w + 2))));
        assert_eq!(r.now(), Cycle(u64::from(4 * w + h + 1)), "{w}×{h}");
        let y = r.result().unwrap();
        assert_eq!(y, r.reference());
    }
}

#[test]
fn blocked_gemv_matches_references() {
    // 8×8 mesh, W 100×50 (blocks of 12–13 rows × 6–7 columns), batch 3, bias, ReLU.
    let p = GemvProblem::random(50, 100, 3, true, true, 3).unwrap();
    let r = run(WseConfig::wse2(8, 8), p);
    let y = r.result().unwrap();
    // Bit for bit against the same summation order.
    assert_eq!(y, r.reference());
    // Within float tolerance of the exact answer: |err| ≤ 1e-5 · (1 + |y|).
    for (a, b) in y.iter().zip(r.problem().reference_f64()) {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn mlp_batch_pipeline_fill_and_steady_state_with_hand_derived_cycles() {
    // 4×1 chain, one weight per PE, batch n ≤ 4. The west PE's CE alternates: x-axpy of a
    // sample (1 cycle), then the send of that sample's partial (1 cycle), so it sends sample
    // s at cycle 3 + 2s. The other PEs take all their x values at cycles 2..n+1 ≤ 5, before
    // the first partial reaches them (cycle 7), so each partial is reduced as it arrives:
    // sample s leaves at 4W + 2 + 2s = 18 + 2s. The run ends with the last sample.
    for n in 1..=4u32 {
        let p = GemvProblem::random(4, 1, n, false, true, 4).unwrap();
        let r = run(WseConfig::wse2(4, 1), p);
        let want: Vec<Cycle> = (0..u64::from(n)).map(|s| Cycle(18 + 2 * s)).collect();
        assert_eq!(r.sample_done_cycles(), want, "batch {n}");
        assert_eq!(r.now(), Cycle(18 + 2 * u64::from(n - 1)));
        assert_eq!(r.result().unwrap(), r.reference());
    }
    // Batch 8: the later x values (cycles 2..9) share each PE's ramp with the partial sums
    // arriving from the west. The router serves the colors waiting in turn and the CE
    // prefers a reduction, so a partial sum is never held back more than the one cycle the
    // west PE's send pattern leaves free: every sample still leaves at 18 + 2s. (With the
    // old arbitration, a rotation over all 24 color IDs, the x color kept the ramp for 23
    // cycles in 24 and the first result left later than 18.)
    let p = GemvProblem::random(4, 1, 8, false, true, 4).unwrap();
    let r = run(WseConfig::wse2(4, 1), p);
    let want: Vec<Cycle> = (0..8).map(|s| Cycle(18 + 2 * s)).collect();
    assert_eq!(r.sample_done_cycles(), want);
    assert_eq!(r.result().unwrap(), r.reference());
}

#[test]
fn mnist_mlp_layer_on_8x8_mesh_cycle_counts() {
    // 784 → 128 on 8×8: every PE holds 16 rows × 98 columns (6,272 B of weights).
    // Batch 1: as the 1×1-block case, shifted by the longer local work. Each x-axpy costs 16
    // cycles, so a PE's 98 of them take 1,568 cycles instead of 1: everything happens 1,567
    // cycles later. The first result leaves at 4W + 2 + 1,567 = 34 + 1,567 = 1,601. A block's
    // 16 rows then leave one per cycle (+15), and row block j is j cycles behind (+7):
    // end = 1,601 + 15 + 7 = 1,623.
    let p = GemvProblem::random(784, 128, 1, true, true, 5).unwrap();
    let r = run(WseConfig::wse2(8, 8), p);
    assert_eq!(r.first_output_cycle(), Some(Cycle(1_601)));
    assert_eq!(r.now(), Cycle(1_623));
    assert_eq!(r.result().unwrap(), r.reference());
    // Batch 6: in steady state each CE spends 98 × 16 = 1,568 cycles on x-axpy tasks and
    // 16 on reduce (or send) tasks per sample: results come every 1,584 cycles.
    let p = GemvProblem::random(784, 128, 6, true, true, 5).unwrap();
    let r = run(WseConfig::wse2(8, 8), p);
    let done = r.sample_done_cycles();
    for s in 2..6 {
        assert_eq!(done[s] - done[s - 1], Cycle(1_584), "sample {s}");
    }
    assert_eq!(r.result().unwrap(), r.reference());
}

#[test]
fn max_block_and_result_check() {
    // 784 → 128 on 8×8: blocks of 98 columns × 16 rows, 98 · 16 · 4 = 6,272 B.
    let w = sim::workload::presets::mnist_mlp_layer(1).unwrap();
    let mut r = GemvRun::from_workload(WseConfig::wse2(8, 8), &w, 5).unwrap();
    assert_eq!(r.max_block_bytes(), sim::units::Bytes(6_272));
    assert_eq!(r.check_result(), None);
    let _ = r.run_until(Cycle(1_000_000));
    let check = r.check_result().unwrap();
    assert_eq!((check.outputs, check.mismatches), (128, 0));
    assert!(
        check.ok && check.max_abs_error <= check.tolerance,
        "{check:?}"
    );
    // The bound is the worst case, (784 + 2) · 2^-23 · max Σ|w·x| (about 0.02 here); the
    // real error of a bit-exact summation is far below it.
    assert!(check.tolerance > 0.0 && check.tolerance < 0.05, "{check:?}");
    assert!(check.max_abs_error < check.tolerance / 100.0, "{check:?}");
    assert!(
        check.to_string().starts_with("Correct: all 128 outputs"),
        "{check}"
    );
    // Uneven blocks: 10 columns over 3 PEs (4, 3, 3), 5 rows over 2 (3, 2): 4 · 3 · 4 B.
    let p = GemvProblem::random(10, 5, 1, false, false, 0).unwrap();
    let r = GemvRun::new(WseConfig::wse2(3, 2), p).unwrap();
    assert_eq!(r.max_block_bytes(), sim::units::Bytes(48));
}
