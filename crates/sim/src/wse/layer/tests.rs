//! The layer mapping's tests: cycle counts derived by hand, values against the f32 and f64
//! graphs, the schedule of a row phase, properties over small encoders, and bad sizes.

use super::*;
use crate::workload::eval::evaluate;
use crate::workload::presets::{self, EncoderDims};
use crate::wse::mesh::Port;

fn tiny() -> Workload {
    presets::encoder_layer_sized(EncoderDims {
        seq: 2,
        hidden: 4,
        heads: 2,
        ffn: 8,
    })
    .unwrap()
}

fn run_to_end(config: WseConfig, w: &Workload) -> LayerRun {
    let mut run = LayerRun::from_workload(config, w, 3).unwrap();
    let status = run.run_until(Cycle(u64::MAX));
    assert_eq!(status, RunStatus::Finished { at: run.now() });
    run
}

/// Cycles of a matmul phase on a 1×1 mesh, `[m, k] × [k, n]`: one PE holds the whole
/// operand. Its first `x` is injected on cycle 0, routed to the ramp on cycle 1 and
/// taken by an x-axpy task on cycle 2; x values then arrive faster than the tasks take
/// them, so the CE is busy without a gap: per row streamed, k x-axpy tasks of n cycles
/// and n send tasks of 1 cycle (sends come first once a row's partial sums are ready):
/// `m·n·(k + 1)` cycles from cycle 2. The last send's wavelet goes to the router the
/// cycle after the task, is forwarded off the east edge the cycle after, and arrives one
/// more cycle later: `m·n·(k + 1) + 4` (the GEMV tests' `4W + 2` for W = 1, one row).
fn matmul_1x1(m: u64, k: u64, n: u64) -> u64 {
    m * n * (k + 1) + 4
}

#[test]
fn a_tiny_encoder_on_one_pe_takes_the_hand_derived_cycles() {
    // seq S = 2, hidden 4, 2 heads of 2, FFN 8, on a 1×1 mesh.
    // Matmul phases (see matmul_1x1): the projections [2,4]·[4,4]: 2·4·5 + 4 = 44 each;
    // ffn_up [2,4]·[4,8]: 84; ffn_down [2,8]·[8,4]: 76; each head's scores
    // [2,2]·[2,2] and context [2,2]·[2,2]: 16.
    // Load phases (K and V per head, 2×2 = 4 words through the one north link): the
    // last word enters on cycle 3 and reaches the CE's memory on cycle 4: 5 cycles.
    // Row phases on one PE (C columns, n_in input words per element, task cost c):
    // - compute-bound (C·n_in ≤ c): row 0 is in after C·n_in cycles, then the tasks run
    //   back to back, and the last row's C results leave one per cycle after it:
    //   C·n_in + R·c + C. Softmax (R = 4 rows of C = 2, c = 2·6 + 8 = 20): 84.
    //   Layer norm (R = 2, C = 4, c = 4·5 + 8 = 28): 64. GELU (R = 2, C = 8, c = 64): 144.
    // - the residual adds stream two inputs per element (n_in = 2, c = C = 4): row q is
    //   in at 2C(q + 1), done C later, its results out C after that: 2C(R + 1) = 24.
    let want_phases = [
        44, 44, 44, // q, k, v
        5, 16, 5, 16, // scores: load K, matmul, per head
        84, // softmax
        5, 16, 5, 16, // context: load V, matmul, per head
        44, 24, 64, // out_proj, residual1, norm1
        84, 144, 76, // ffn_up, gelu, ffn_down
        24, 64, // residual2, norm2
    ];
    assert_eq!(matmul_1x1(2, 8, 4), 76);
    let run = run_to_end(WseConfig::wse2(1, 1), &tiny());
    let got: Vec<u64> = run.phase_cycles().iter().map(|c| c.0).collect();
    assert_eq!(got, want_phases);
    // 132 + 42 + 84 + 42 + 44 + 24 + 64 + 84 + 144 + 76 + 24 + 64 = 824.
    assert_eq!(run.now(), Cycle(824));
    assert_eq!(run.metrics().cycles, Cycle(824));
}

#[test]
fn on_one_pe_the_layer_equals_the_f32_graph_bit_for_bit_and_the_f64_one_closely() {
    // One PE sums every dot product in ascending k, as the f32 evaluator does.
    let w = tiny();
    let run = run_to_end(WseConfig::wse2(1, 1), &w);
    let mut f32s = seeded_values(&w, 3);
    evaluate(&w, &mut f32s);
    let last = w.ops.last().unwrap().output.0;
    assert_eq!(run.result().unwrap(), f32s[last].as_slice());
    let check = run.check_result().unwrap();
    assert!(check.ok, "{check}");
    assert_eq!((check.outputs, check.matmul_phases), (8, 10));
}

#[test]
fn bert_layer_on_a_mesh_matches_the_f64_reference() {
    // BERT-tiny's layer at seq 16 on 8×4 PEs: blocks of up to 64×32 (ffn_down), and row
    // phases with fewer rows than PEs (16 rows of a layer norm on 32 PEs).
    let w = presets::bert_tiny_encoder_layer_seq(16).unwrap();
    let run = run_to_end(WseConfig::wse2(8, 4), &w);
    let check = run.check_result().unwrap();
    assert!(check.ok, "{check}");
    assert_eq!(check.matmul_mismatches, 0);
    assert!(
        check.to_string().starts_with("Correct: all 2048 outputs"),
        "{check}"
    );
    // PE (0, 0) keeps the biggest blocks of the six weight matrices: 16×32 of each
    // projection (2 KiB each), 16×128 of ffn_up and 64×32 of ffn_down (8 KiB each): 24 KiB;
    // and the last layer norm left it one row of 128 in and out (1 KiB).
    let snap = run.snapshot();
    assert_eq!(snap.pes[0].memory_used, Bytes(25 * 1024));
    assert_eq!(
        run.inspect(0, 0).unwrap().memory_used,
        snap.pes[0].memory_used
    );
    let m = run.metrics();
    // Every PE's cycles add up to the run's, and the FLOPs cover the workload's.
    for u in &m.units {
        assert_eq!(u.busy + u.idle + u.stalled, m.cycles, "{}", u.name);
    }
    assert!(m.flops >= w.flops());
    assert_eq!(m.bytes_off_chip, Bytes(2 * 4 * 16 * 128));
}

#[test]
fn stepping_cycle_by_cycle_reaches_what_one_bounded_run_does() {
    let w = tiny();
    let whole = run_to_end(WseConfig::wse2(2, 2), &w);
    let mut stepped = LayerRun::from_workload(WseConfig::wse2(2, 2), &w, 3).unwrap();
    let mut steps = 0u64;
    while stepped.step() != StepOutcome::Finished {
        steps += 1;
        assert!(steps < 100_000);
    }
    assert_eq!(stepped.now(), whole.now());
    assert_eq!(stepped.result(), whole.result());
    assert_eq!(stepped.metrics(), whole.metrics());
    // Slices of 7 cycles: the same again.
    let mut sliced = LayerRun::from_workload(WseConfig::wse2(2, 2), &w, 3).unwrap();
    while sliced.run_until(sliced.now() + Cycle(7)) == RunStatus::DeadlineReached {}
    assert_eq!(sliced.metrics(), whole.metrics());
    let phases: Vec<String> = sliced
        .drain_trace()
        .iter()
        .map(ToString::to_string)
        .filter(|l| l.ends_with(" begins"))
        .collect();
    assert_eq!(phases.len(), whole.plan().len());
}

#[test]
fn row_phases_feed_the_farthest_pe_first_and_return_results_west() {
    // One mesh row of 2 PEs, 2 rows of 3 elements, 1 input word each, task cost 3 + 0.
    // PE 1 (farther) gets row 0: its 3 words enter on cycles 0–2, the last reaches it
    // at 2 + 2 hops = 4: task 4..7, results reach the west edge from cycle 7 + 1 = 8.
    // PE 0 gets row 1: words enter 3–5, the last in at 5 + 1 = 6: task 6..9, results
    // ready at the edge at 9. The edge link sends PE 1's 3 (8, 9, 10) then PE 0's 3
    // (11, 12, 13): the phase takes 14 cycles.
    let s = Scheduled::rows(&WseConfig::wse2(2, 1), 2, 3, 1, (1, 0), "t", 0);
    assert_eq!(s.busy, vec![vec![(6, 9)], vec![(4, 7)]]);
    assert_eq!(s.end, 14);
}

#[test]
fn the_picture_of_a_row_phase_shows_rows_coming_in_and_results_going_back() {
    // As in the schedule above: on cycle 1, words 0 and 1 of PE 1's row are in the
    // routers of PEs 1 and 0 (entered on cycles 0 and 1). On cycle 7 PE 1's results are
    // ready; on cycle 8 they are one hop west, in PE 0's router, and on cycle 12 PE 0's
    // results wait there for the edge link.
    let s = Scheduled::rows(&WseConfig::wse2(2, 1), 2, 3, 1, (1, 0), "t", 0);
    let at = |t| {
        let mut v = Vec::new();
        let n = s.wavelets_into(t, 0, &mut v);
        assert_eq!(n as usize, v.len());
        v.iter().map(|w| (w.x, w.color, w.from)).collect::<Vec<_>>()
    };
    assert_eq!(
        at(1),
        [
            (0, DRAWN_IN_COLOR, Port::West),
            (1, DRAWN_IN_COLOR, Port::West)
        ]
    );
    assert_eq!(at(8), [(0, DRAWN_OUT_COLOR, Port::East)]);
    assert_eq!(at(12), [(0, DRAWN_OUT_COLOR, Port::Ramp)]);
    assert!(at(14).is_empty());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn any_small_encoder_on_any_small_mesh_runs_right_and_steps_like_it_runs(
        seq in 1u64..6,
        head in 1u64..4,
        heads in 1u64..3,
        ffn in 1u64..10,
        width in 1u32..5,
        height in 1u32..5,
    ) {
        let w = presets::encoder_layer_sized(EncoderDims { seq, hidden: head * heads, heads, ffn })
            .unwrap();
        let config = WseConfig::wse2(width, height);
        let whole = run_to_end(config.clone(), &w);
        let check = whole.check_result().unwrap();
        proptest::prop_assert!(check.ok, "{}", check);
        let cycles: u64 = whole.phase_cycles().iter().map(|c| c.0).sum();
        proptest::prop_assert_eq!(whole.now(), Cycle(cycles));
        let m = whole.metrics();
        for u in &m.units {
            proptest::prop_assert_eq!(u.busy + u.idle + u.stalled, m.cycles);
        }
        let mut stepped = LayerRun::from_workload(config, &w, 3).unwrap();
        while stepped.step() != StepOutcome::Finished {}
        proptest::prop_assert_eq!(stepped.metrics(), m);
    }
}

#[test]
fn bad_sizes_and_graphs_are_sentences() {
    let bert = |seq| presets::bert_tiny_encoder_layer_seq(seq).unwrap();
    let err = |config: WseConfig, w: &Workload| {
        LayerRun::from_workload(config, w, 1)
            .unwrap_err()
            .to_string()
    };
    // seq 512 on 4×4: an FFN block keeps 512 accumulators for each of its 32 rows.
    let text = err(WseConfig::wse2(4, 4), &bert(512));
    assert!(
        text.starts_with("The block placed on PE (0, 0) needs ")
            && text.ends_with("use a bigger mesh or a smaller matrix."),
        "{text}"
    );
    // seq 160 on 8×8: ffn_up's block (16 × 64) and accumulators (160 × 64) fit alone
    // (44 KiB), but not beside the 12 KiB of weight blocks every PE keeps (1 KiB for each
    // projection, 4 KiB for each FFN matrix): 12 + 40 = 52 KiB.
    assert_eq!(
        err(WseConfig::wse2(8, 8), &bert(160)),
        "The block placed on PE (0, 0) needs 52.00 KiB but a PE has only 48.00 KiB of memory; use a bigger mesh or a smaller matrix."
    );
    assert!(LayerRun::from_workload(WseConfig::wse2(8, 8), &bert(128), 1).is_ok());
    let mut two_colors = WseConfig::wse2(4, 4);
    two_colors.n_colors = 2;
    assert_eq!(
        err(two_colors, &bert(8)),
        "This mapping needs 3 colors but the fabric has only 2."
    );
    assert_eq!(
        err(WseConfig::wse2(0, 4), &bert(8)),
        "mesh width must be at least 1, but it is 0."
    );
    let cnn = presets::graphcore_mnist_cnn(1).unwrap();
    assert_eq!(
        err(WseConfig::wse2(4, 4), &cnn),
        "This simulator cannot run that workload: the mesh maps matmuls, elementwise ops, softmax and layer norm, but \"conv1\" is a conv2d."
    );
    // Row tasks that do not fit: a softmax over rows of 16,384 on one PE.
    let mut b = Workload::builder("wide softmax");
    let x = b.input("x", &[1, 16_384], crate::workload::DType::F32);
    b.op(
        "softmax",
        OpKind::Softmax {
            rows: 1,
            cols: 16_384,
        },
        &[x],
    );
    let text = err(WseConfig::wse2(2, 2), &b.build().unwrap());
    assert!(
        text.starts_with("The block placed on PE (0, 0) needs 128.00 KiB"),
        "{text}"
    );
}
