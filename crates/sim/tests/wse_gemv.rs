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
