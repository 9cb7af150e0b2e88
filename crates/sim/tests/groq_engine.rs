//! The Groq TSP-style engine: hand-derived cycle counts, results equal to the f64 reference,
//! timing independent of the data, a new shape needing a new compile, the latency ratio,
//! and bad parameters as sentences.

use std::sync::Arc;

use sim::SimError;
use sim::engine::{Engine, RunStatus, StepOutcome};
use sim::groq::values::worst_relative_error;
use sim::groq::{GroqConfig, GroqRun, InputValues, SliceKind, compile, seq_latency_ratio};
use sim::units::{Bytes, Cycle};
use sim::workload::{Activation, DType, OpKind, Workload, presets};

/// Runs to the end and checks what every run must hold: it ends on the predicted cycle, the
/// schedule held, and the values equal the reference.
fn run_to_end(run: &mut GroqRun) -> Cycle {
    let predicted = run.predicted();
    let status = run.run_until(Cycle(u64::MAX));
    assert_eq!(status, RunStatus::Finished { at: predicted });
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert_eq!(run.step(), StepOutcome::Finished);
    if let (Some(got), Some(want)) = (run.result(), run.reference()) {
        assert_eq!(got.len(), want.len());
        let worst = worst_relative_error(got, &want);
        assert!(worst < 2e-4, "worst relative error {worst}");
    }
    run.now()
}

fn relu_16() -> Workload {
    let mut b = Workload::builder("relu");
    let x = b.input("x", &[16], DType::F32);
    b.op(
        "relu",
        OpKind::Activation {
            func: Activation::Relu,
            len: 16,
        },
        &[x],
    );
    b.build().expect("a valid workload")
}

#[test]
fn a_relu_takes_the_hand_derived_15_cycles() {
    // One superlane of 16 lanes: a vector is 16 elements, so x is one vector. The row of
    // slices is MXM0 MXM1 SXM MEM×4 VXM MEM×4 SXM MXM2 MXM3 (indices 0–14, VXM at 7).
    // x goes to the first MEM slice (3), the output to the next emptiest (4).
    // The read issues at 0 and its vector leaves MEM 3 after the 2-cycle read latency (2),
    // travels 4 slices east to the VXM (6), where the ReLU issues on arrival; 4 cycles
    // later (10) the result leaves, travels 3 slices west to slice 4 (13), the write issues
    // and the vector is in memory 1 cycle after it entered: 13 + 1 + 1 = 15.
    let w = relu_16();
    let config = GroqConfig::small(1);
    let program = compile(&config, &w).unwrap();
    assert_eq!(program.slices[7], SliceKind::Vxm);
    assert_eq!(program.placements[0].slice, 3);
    assert_eq!(program.placements[1].slice, 4);
    assert_eq!(program.length, Cycle(15));
    let issues: Vec<u64> = program.instructions.iter().map(|i| i.issue.0).collect();
    assert_eq!(issues, [0, 6, 13]);
    let mut run = GroqRun::new(config, &w, 1).unwrap();
    assert_eq!(run_to_end(&mut run), Cycle(15));
    let want: Vec<f32> = run.reference().unwrap().iter().map(|&x| x as f32).collect();
    assert_eq!(run.result().unwrap(), &want[..]);
    // Four superlanes: the same chain, and the last superlane is 3 cycles behind the first.
    let mut b = Workload::builder("relu");
    let x = b.input("x", &[64], DType::F32);
    b.op(
        "relu",
        OpKind::Activation {
            func: Activation::Relu,
            len: 64,
        },
        &[x],
    );
    let w64 = b.build().unwrap();
    let mut run = GroqRun::new(GroqConfig::small(4), &w64, 1).unwrap();
    assert_eq!(run_to_end(&mut run), Cycle(18));
}

#[test]
fn a_gemv_takes_the_hand_derived_55_cycles() {
    // One superlane (16-element vectors): x [1, 16] in MEM 0 (slice 3), w [16, 16] in
    // MEM 1 (slice 4), y in MEM 2 (slice 5). The MXM whose port is free and nearest w is
    // MXM 1 (slice 1). Chain, from the first read:
    // - w's 16 rows leave slice 4 at cycles 2..17 (read latency 2) and reach MXM 1, 3 slices
    //   west, at 5..20: the weight load issues at 5 and takes 16 cycles;
    // - 4 cycles to install the weights: the multiply issues at 5 + 16 + 4 = 25, so x's read
    //   issues at 25 − 2 slices − 2 = 21;
    // - the result leaves the MXM 24 cycles later (49), travels 4 slices east to slice 5
    //   (53), is written there and is in memory at 53 + 1 + 1 = 55.
    let w = presets::gemv(16, 16).unwrap();
    let config = GroqConfig::small(1);
    let program = compile(&config, &w).unwrap();
    let slices: Vec<u32> = program.placements.iter().map(|p| p.slice).collect();
    assert_eq!(slices, [3, 4, 5]);
    let issues: Vec<(u32, u64)> = program
        .instructions
        .iter()
        .map(|i| (i.slice, i.issue.0))
        .collect();
    assert_eq!(issues, [(4, 0), (1, 5), (3, 21), (1, 25), (5, 53)]);
    assert_eq!(program.length, Cycle(55));
    let mut run = GroqRun::new(config, &w, 7).unwrap();
    assert_eq!(run_to_end(&mut run), Cycle(55));
    // The inspector's counts add up, and the MXM was busy loading and multiplying.
    let mxm = run.inspect(1).unwrap();
    assert_eq!(mxm.kind, SliceKind::Mxm);
    assert_eq!(mxm.busy, Cycle(17));
    assert_eq!(mxm.busy + mxm.idle, run.now());
    assert_eq!(
        run.inspect(15).unwrap_err().to_string(),
        "Slice 15 is outside the chip, which has slices 0 to 14."
    );
}

#[test]
fn the_mlp_and_bert_presets_run_to_the_predicted_cycle_with_correct_values() {
    for superlanes in [4, 8] {
        let config = GroqConfig::small(superlanes);
        let mut mlp =
            GroqRun::new(config.clone(), &presets::mnist_mlp_layer(4).unwrap(), 3).unwrap();
        run_to_end(&mut mlp);
        let bert = presets::bert_tiny_encoder_layer_seq(32).unwrap();
        let mut run = GroqRun::new(config, &bert, 3).unwrap();
        run_to_end(&mut run);
        assert!(run.result().is_some());
    }
    // The default BERT layer (seq 128) on the picture's default chip, with values.
    let bert = presets::bert_tiny_encoder_layer().unwrap();
    let mut run = GroqRun::new(GroqConfig::small(4), &bert, 3).unwrap();
    let cycles = run_to_end(&mut run);
    println!(
        "BERT-tiny layer, seq 128, small chip of 4 superlanes: {} cycles",
        cycles.0
    );
    let m = run.metrics();
    assert_eq!(m.flops, bert.flops());
    assert_eq!(m.units.len(), 15);
}

#[test]
fn timing_does_not_depend_on_the_values_but_the_shape_needs_a_new_compile() {
    // Eight superlanes: 128-element vectors (one per row of the hidden state), 1 MiB slices.
    let config = GroqConfig::small(8);
    let bert128 = presets::bert_tiny_encoder_layer_seq(128).unwrap();
    let program = Arc::new(compile(&config, &bert128).unwrap());
    let mut ones = GroqRun::from_program(
        config.clone(),
        Arc::clone(&program),
        &bert128,
        Some(InputValues::Ones),
        5,
    )
    .unwrap();
    let mut random = GroqRun::from_program(
        config.clone(),
        Arc::clone(&program),
        &bert128,
        Some(InputValues::Seeded(99)),
        5,
    )
    .unwrap();
    let a = run_to_end(&mut ones);
    let b = run_to_end(&mut random);
    assert_eq!(a, b);
    assert_eq!(ones.metrics().units, random.metrics().units);
    assert_ne!(ones.result(), random.result(), "the values did differ");
    // A longer sequence is another program, of another length.
    let bert256 = presets::bert_tiny_encoder_layer_seq(256).unwrap();
    let program256 = compile(&config, &bert256).unwrap();
    assert!(program256.length > program.length);
    assert_ne!(program256.instructions.len(), 0);
}

#[test]
fn the_model_places_its_256_over_128_ratio_beside_the_real_one() {
    let c = seq_latency_ratio(&GroqConfig::tsp()).unwrap();
    println!(
        "BERT-tiny encoder on the TSP floorplan: seq 128 {} cycles ({:.2} µs), seq 256 {} cycles ({:.2} µs); model ratio {:.3}, real {:.3}, error {:+.1}%",
        c.short.cycles.0,
        c.short.micros,
        c.long.cycles.0,
        c.long.micros,
        c.model_ratio,
        c.real_ratio,
        100.0 * c.ratio_error()
    );
    assert!((c.real_ratio - 42.8 / 26.6).abs() < 1e-12);
    assert!(c.model_ratio > 1.0 && c.model_ratio < 4.0);
    assert!(c.long.cycles > c.short.cycles);
}

fn activations(n_tensors: usize, len: u64) -> Workload {
    let mut b = Workload::builder("big");
    let mut x = b.input("x", &[len], DType::F32);
    for i in 1..n_tensors {
        x = b.op(
            &format!("relu{i}"),
            OpKind::Activation {
                func: Activation::Relu,
                len,
            },
            &[x],
        );
    }
    b.build().expect("a valid workload")
}

#[test]
fn bad_parameters_are_specific_errors() {
    let mlp = presets::mnist_mlp_layer(4).unwrap();
    let e = GroqRun::new(GroqConfig::small(0), &mlp, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "number of superlanes must be at least 1, but it is 0."
    );
    let mut no_lanes = GroqConfig::small(4);
    no_lanes.lanes_per_superlane = 0;
    assert_eq!(
        compile(&no_lanes, &mlp).unwrap_err(),
        SimError::ZeroSize {
            what: "number of lanes per superlane"
        }
    );
    assert_eq!(
        compile(&GroqConfig::small(1000), &mlp)
            .unwrap_err()
            .to_string(),
        "number of superlanes is 1000, above the limit of 64."
    );
    // The MLP's weights (784 × 128 f32 = 392 KiB) do not fit a 1-superlane MEM slice.
    let e = compile(&GroqConfig::small(1), &mlp).unwrap_err();
    assert_eq!(
        e.to_string(),
        "The tensor \"w\" needs 392.00 KiB, but a MEM slice holds only 128.00 KiB; use more superlanes (each adds 128 KiB to every MEM slice) or a smaller workload."
    );
    // Ten 256 KiB tensors on 8 slices of 512 KiB: each fits, together they do not.
    let e = compile(&GroqConfig::small(4), &activations(17, 65_536)).unwrap_err();
    assert!(
        matches!(e, SimError::GroqMemoryFull { n_slices: 8, .. }),
        "{e}"
    );
    assert!(
        e.to_string().starts_with(
            "The workload's tensors need 4.25 MiB, but the 8 MEM slices hold only 4.00 MiB in all"
        ),
        "{e}"
    );
    // A convolution is not lowered.
    let cnn = presets::graphcore_mnist_cnn(1).unwrap();
    assert!(matches!(
        compile(&GroqConfig::small(4), &cnn),
        Err(SimError::UnsupportedWorkload { .. })
    ));
    // Absurd sizes: too many instructions, refused before anything is allocated.
    let mut b = Workload::builder("many heads");
    let a = b.input("a", &[300_000, 1, 16], DType::F32);
    let w = b.weight("w", &[300_000, 16, 16], DType::F32);
    b.op(
        "bmm",
        OpKind::MatMul {
            batch: 300_000,
            m: 1,
            k: 16,
            n: 16,
        },
        &[a, w],
    );
    let e = compile(&GroqConfig::small(1), &b.build().unwrap()).unwrap_err();
    assert!(
        matches!(
            e,
            SimError::TooLarge {
                what: "the schedule's instruction count",
                ..
            }
        ),
        "{e}"
    );
    // Values over the page's memory budget: 41 tensors of 8 MiB fit a big chip's MEM, but
    // their f32 values and the f64 reference would take ~984 MB.
    let mut big = GroqConfig::tsp().with_superlanes(64);
    big.mem_per_hemisphere = 64;
    let w = activations(41, 2 << 20);
    assert!(compile(&big, &w).is_ok());
    let e = GroqRun::new(big.clone(), &w, 1).unwrap_err();
    assert!(matches!(e, SimError::OverMemoryBudget { .. }), "{e}");
    // Timing alone is fine, and it cannot spin: the run ends on the predicted cycle.
    let mut timing = GroqRun::timing_only(big, &w).unwrap();
    run_to_end(&mut timing);
    // A sequence length out of range.
    assert_eq!(
        presets::bert_tiny_encoder_layer_seq(100_000)
            .unwrap_err()
            .to_string(),
        "sequence length is 100000, above the limit of 512."
    );
}

#[test]
fn where_every_tensor_is_is_known_before_the_run() {
    use sim::groq::program::TensorWhere;
    let w = presets::gemv(16, 16).unwrap();
    let program = compile(&GroqConfig::small(1), &w).unwrap();
    let y = w.ops[0].output;
    assert_eq!(
        program.tensor_at(y, Cycle(10)),
        Some(TensorWhere::NotYetWritten { slice: 5 })
    );
    assert_eq!(
        program.tensor_at(y, Cycle(54)),
        Some(TensorWhere::Landing { slice: 5 })
    );
    assert!(matches!(
        program.tensor_at(w.ops[0].inputs[1], Cycle(3)),
        Some(TensorWhere::InMemory { slice: 4, ref streams }) if streams.len() == 1
    ));
    assert_eq!(program.mem_used[4], Bytes(1024));
}

#[test]
fn instructions_ripple_north_and_vectors_move_one_slice_per_cycle() {
    use sim::groq::CellState;
    // One 64-element vector on 4 superlanes: MEM 0 (slice 3) reads at cycle 0, the vector
    // leaves at 2 and moves east one slice per cycle; the VXM (slice 7) takes it at 6.
    let mut b = Workload::builder("relu");
    let x = b.input("x", &[64], DType::F32);
    b.op(
        "relu",
        OpKind::Activation {
            func: Activation::Relu,
            len: 64,
        },
        &[x],
    );
    let w = b.build().expect("a valid workload");
    let mut run = GroqRun::new(GroqConfig::small(4), &w, 1).unwrap();
    let n = 15;
    // After cycle 0: the read is on superlane 0 only.
    let _ = run.run_until(Cycle(1));
    let snap = run.snapshot();
    assert_eq!(snap.cells[3], CellState::Reading);
    assert_eq!(snap.cells[n + 3], CellState::Idle);
    // After cycle 1: it has rippled up to superlane 1.
    let _ = run.run_until(Cycle(2));
    let snap = run.snapshot();
    assert_eq!(snap.cells[n + 3], CellState::Reading);
    assert_eq!(snap.cells[3], CellState::Idle);
    // On cycle 3 the vector is one slice east of MEM 0 on superlane 0, just leaving on
    // superlane 1, and not yet out on superlane 2.
    let _ = run.run_until(Cycle(4));
    let snap = run.snapshot();
    let heads: Vec<(u32, f64)> = snap.streams.iter().map(|s| (s.superlane, s.head)).collect();
    assert_eq!(heads, [(0, 4.0), (1, 3.0)]);
    assert!(snap.streams.iter().all(|s| s.east));
    // On cycle 6 the VXM computes on superlane 0, on cycle 9 on superlane 3.
    let _ = run.run_until(Cycle(7));
    assert_eq!(run.snapshot().cells[7], CellState::Computing);
    let _ = run.run_until(Cycle(10));
    let snap = run.snapshot();
    assert_eq!(snap.cells[3 * n + 7], CellState::Computing);
    assert_eq!(snap.cells[7], CellState::Idle);
    assert_eq!(run_to_end(&mut run), Cycle(18));
}
