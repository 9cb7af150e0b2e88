//! The IPU engine: cycle counts derived by hand, results against the f64 reference, bad
//! parameters, and the MNIST epoch estimate against the real run.
//!
//! Every small case uses `IpuConfig::small(n)`: 32 FP32 FLOPs per tile per cycle with all six
//! workers busy (so a vertex of `f` FLOPs takes ⌈6f / 32⌉ cycles), 4 exchange bytes per tile
//! per cycle each way, a 100-cycle sync. The hand-derived cases spread tensors as thin as
//! the tiles allow (`min_block_elements = 1`, see [`thin`]).

use sim::SimError;
use sim::engine::{Engine, RunStatus};
use sim::ipu::epoch::{LEAVES_OUT, REAL_EPOCH_S_CACHED, REAL_EPOCH_S_FIRST_RUN};
use sim::ipu::{
    CompileOptions, GemmSplit, IpuConfig, IpuEvent, IpuRun, OpSplit, SuperstepPhase, TilePhase,
    compile, epoch_estimate,
};
use sim::units::{Bytes, Cycle};
use sim::workload::presets::{
    bert_tiny_encoder_layer_seq, gemv, graphcore_mnist_cnn, linear, mnist_mlp_layer,
};
use sim::workload::{Activation, DType, OpKind, Workload};

/// `n` small tiles that spread inputs and elementwise ops down to one element per tile.
fn thin(n: u32) -> IpuConfig {
    let mut config = IpuConfig::small(n);
    config.min_block_elements = 1;
    config
}

fn finish(run: &mut IpuRun) -> Cycle {
    let status = run.run_until(Cycle(u64::MAX));
    let RunStatus::Finished { at } = status else {
        panic!("not finished: {status:?}");
    };
    at
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (a, b) in got.iter().zip(want) {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn gemv_8x8_on_4_tiles_split_2x2_takes_309_cycles_with_a_reduce_superstep() {
    // y = W·x, W 8×8, forced split m 1 × k 2 × n 2. Tile = (l·2 + j) for k-block j, n-block l:
    // tile 0 (k 0..4, n 0..4), 1 (k 4..8, n 0..4), 2 (k 0..4, n 4..8), 3 (k 4..8, n 4..8).
    // x starts in blocks of 2: tile t holds x[2t..2t+2].
    //
    // Superstep 0 (no compute, sync 100, exchange): tile 0 needs x[2..4] from 1; tile 1
    // x[4..6] from 2 and x[6..8] from 3; tile 2 x[0..2] from 0 and x[2..4] from 1; tile 3
    // x[4..6] from 2. Six transfers of 8 B = 2 cycles each; in rounds by distance
    // (1→2, 2→3 | 0→2, 3→1 | 1→0, 2→1) each tile sends and receives at most one at a time:
    // [0,2) 1→2, 2→3, 3→1; [2,4) 0→2, 1→0, 2→1. Exchange 4 cycles. Total 0 + 100 + 4 = 104.
    //
    // Superstep 1 (partial sums): each tile has 4 outputs over 4 k → 4 vertices of 8 FLOPs,
    // ⌈6·8/32⌉ = 2 cycles. Sync 100. Exchange: each tile sends its partner the 2 partial sums
    // of the partner's half of the block (8 B, 2 cycles), all four at once: 2 cycles.
    // 2 + 100 + 2 = 104.
    //
    // Superstep 2 (reduce): 2 outputs, 1 add each → 2 vertices of 1 FLOP, ⌈6/32⌉ = 1 cycle.
    // 1 + 100 + 0 = 101. Run: 104 + 104 + 101 = 309 cycles.
    let workload = gemv(8, 8).unwrap();
    let split = GemmSplit {
        m_parts: 1,
        k_parts: 2,
        n_parts: 2,
    };
    let options = CompileOptions {
        gemm_split: Some(split),
    };
    let mut run = IpuRun::with_options(thin(4), &workload, 7, &options).unwrap();
    let p = run.program();
    assert_eq!(p.supersteps.len(), 3);
    assert_eq!(p.ops[0].reduce_superstep, Some(2));
    let s0 = &p.supersteps[0];
    assert_eq!(s0.exchange.len(), 6);
    assert_eq!(s0.exchange_bytes(), Bytes(48));
    assert_eq!(s0.exchange_cycles, Cycle(4));
    let s1 = &p.supersteps[1];
    assert_eq!(s1.compute, Cycle(2));
    assert!(s1.tiles.iter().all(|t| t.vertices.len() == 4));
    assert_eq!(s1.exchange.len(), 4);
    assert_eq!(s1.exchange_cycles, Cycle(2));
    assert_eq!(p.supersteps[2].compute, Cycle(1));
    assert_eq!(finish(&mut run), Cycle(309));
    let times = run.phase_times();
    assert_eq!(
        (times.compute, times.sync, times.exchange),
        (Cycle(3), Cycle(300), Cycle(6))
    );
    assert_close(run.result().unwrap(), run.reference().unwrap());
    for t in 0..4 {
        let tile = run.inspect(t).unwrap();
        assert_eq!(tile.busy + tile.idle + tile.stalled, run.now());
    }
}

#[test]
fn relu_of_10_on_4_tiles_takes_201_cycles() {
    // Blocks of 3, 3, 2, 2 elements; the input starts in the same blocks, so no exchange.
    // Superstep 0: 0 + 100 + 0. Superstep 1: up to 3 vertices of 1 FLOP, ⌈6/32⌉ = 1 cycle;
    // + 100. Total 201. Every tile computes 1 cycle: none waits for a slower one.
    let mut b = Workload::builder("relu 10");
    let x = b.input("x", &[10], DType::F32);
    b.op(
        "relu",
        OpKind::Activation {
            func: Activation::Relu,
            len: 10,
        },
        &[x],
    );
    let workload = b.build().unwrap();
    let mut run = IpuRun::new(thin(4), &workload, 3).unwrap();
    let counts: Vec<usize> = run.program().supersteps[1]
        .tiles
        .iter()
        .map(|t| t.vertices.len())
        .collect();
    assert_eq!(counts, [3, 3, 2, 2]);
    assert_eq!(finish(&mut run), Cycle(201));
    assert_eq!(run.result().unwrap(), run.reference().unwrap());
    let events = run.drain_ipu_events();
    assert!(events.iter().any(|(c, e)| *c == Cycle(201)
        && matches!(e, IpuEvent::Finished { supersteps: 2, .. })));
    assert!(
        events
            .iter()
            .all(|(_, e)| !matches!(e, IpuEvent::ExchangeDone { .. }))
    );
}

#[test]
fn one_slow_tile_makes_the_others_wait_at_the_sync() {
    // 64×2 GEMV on 4 tiles, forced split n 2 (tiles 0 and 1 only): each has 1 output over
    // k = 64: one vertex of 128 FLOPs, ⌈6·128/32⌉ = 24 cycles; tiles 2 and 3 are idle.
    // x starts in blocks of 16 elements (64 B); tiles 0 and 1 each need the three blocks they
    // do not hold: 6 transfers of 64 B, 16 cycles each. In rounds by distance: [0,16) 0→1,
    // 3→0; [16,32) 2→0, 3→1; [32,48) 1→0, 2→1 (tile 0 receives one at a time). Exchange 48.
    // Superstep 0: 0 + 100 + 48 = 148; superstep 1: 24 + 100 = 124. Total 272.
    let workload = gemv(64, 2).unwrap();
    let options = CompileOptions {
        gemm_split: Some(GemmSplit {
            m_parts: 1,
            k_parts: 1,
            n_parts: 2,
        }),
    };
    let mut run = IpuRun::with_options(thin(4), &workload, 1, &options).unwrap();
    assert_eq!(run.program().supersteps[0].exchange_cycles, Cycle(48));
    // Cycle 148 is the first of superstep 1: tiles 0 and 1 compute, 2 and 3 are idle.
    let _ = run.run_until(Cycle(148));
    let snap = run.snapshot();
    assert_eq!(snap.superstep, 1);
    assert_eq!(snap.phase, SuperstepPhase::Compute);
    assert_eq!(
        snap.tiles,
        [
            TilePhase::Computing,
            TilePhase::Computing,
            TilePhase::Idle,
            TilePhase::Idle
        ]
    );
    assert_eq!(finish(&mut run), Cycle(272));
    let t2 = run.inspect(2).unwrap();
    // Tile 2: waits in both syncs (200 stalled); sends in [16,48) of superstep 0's exchange
    // (32 busy) and idles its first 16 cycles, then idles through the 24 cycles of compute.
    assert_eq!(t2.stalled, Cycle(200));
    assert_eq!(t2.busy, Cycle(32));
    assert_eq!(t2.idle, Cycle(40));
    assert_eq!(t2.bytes_sent, Bytes(128));
    // Tile 1 computed 24 cycles and received 3 × 64 B.
    let t1 = run.inspect(1).unwrap();
    assert_eq!(t1.bytes_received, Bytes(192));
    assert_eq!(t1.vertices.len(), 1);
    assert_eq!(t1.vertices[0].cycles, Cycle(24));
    assert_close(run.result().unwrap(), run.reference().unwrap());
}

#[test]
fn step_and_run_until_agree_and_every_cycle_is_counted_once() {
    let workload = linear(3, 40, 24, true).unwrap();
    let config = IpuConfig::small(8);
    let mut stepped = IpuRun::new(config.clone(), &workload, 5).unwrap();
    let mut jumped = stepped.clone();
    let mut n = 0u64;
    while !stepped.is_finished() {
        let _ = stepped.step();
        n += 1;
        assert!(n < 1_000_000);
        if n.is_multiple_of(37) {
            let _ = jumped.run_until(Cycle(n));
            assert_eq!(stepped.snapshot(), jumped.snapshot());
            for unit in stepped.metrics().units {
                assert_eq!(unit.busy + unit.idle + unit.stalled, Cycle(n));
            }
        }
    }
    assert_eq!(finish(&mut jumped), stepped.now());
    assert_close(stepped.result().unwrap(), stepped.reference().unwrap());
    let m = stepped.metrics();
    assert_eq!(m.units.len(), 8);
    for unit in &m.units {
        assert_eq!(unit.busy + unit.idle + unit.stalled, stepped.now());
    }
    // The run does every FLOP the workload counts, plus the reduce adds of split dot products.
    assert!(m.flops >= workload.flops());
}

#[test]
fn mlp_layer_on_16_tiles_matches_the_reference() {
    let mut run = IpuRun::new(IpuConfig::small(16), &mnist_mlp_layer(4).unwrap(), 11).unwrap();
    assert!(run.result().is_none());
    let at = finish(&mut run);
    assert_eq!(at, run.program().total_cycles(Cycle(100)));
    assert_close(run.result().unwrap(), run.reference().unwrap());
    // A huge deadline on a finished run returns at once, with the same cycle.
    assert_eq!(run.run_until(Cycle(u64::MAX)), RunStatus::Finished { at });
    assert_eq!(
        run.drain_trace().last().map(ToString::to_string),
        Some(format!(
            "cycle {}: program done: 5 supersteps in {} cycles",
            at.0,
            sim::ipu::event::thousands(at.0)
        ))
    );
}

#[test]
fn the_cnn_runs_for_timing_and_says_why_it_has_no_values() {
    let workload = graphcore_mnist_cnn(8).unwrap();
    let mut run = IpuRun::new(IpuConfig::bow(), &workload, 1).unwrap();
    let at = finish(&mut run);
    assert!(at > Cycle(1_000));
    assert!(run.result().is_none());
    assert!(run.reference().unwrap_err().contains("convolution"));
    assert!(run.no_values_reason().is_some());
    // Every tile holds its share: nothing above 624 KiB.
    let p = run.program();
    assert!(p.memory_used.iter().all(|&m| m <= Bytes::kib(624)));
    let mut snap = sim::ipu::IpuSnapshot::default();
    run.snapshot_into(&mut snap);
    assert_eq!(snap.tiles.len(), 1_472);
    assert!(snap.finished);
    assert_eq!(snap.timeline.len(), p.supersteps.len());
    assert_eq!(snap.timeline[0].group_compute_end.len(), 64);
    assert!(matches!(
        run.inspect(1_472),
        Err(SimError::TileOutOfRange {
            tile: 1_472,
            n_tiles: 1_472
        })
    ));
}

#[test]
fn bad_parameters_give_specific_errors() {
    let w = gemv(8, 8).unwrap();
    assert_eq!(
        IpuRun::new(IpuConfig::small(0), &w, 1).err(),
        Some(SimError::ZeroSize {
            what: "number of tiles"
        })
    );
    assert_eq!(
        compile(&IpuConfig::small(1_000_000), &w).err(),
        Some(SimError::TooLarge {
            what: "number of tiles",
            value: 1_000_000,
            max: 94_208
        })
    );
    // A 1024×1024 f32 GEMV on 4 tiles: 4 MiB of weights, at least 1 MiB per tile whatever the
    // split. The compiler's least-memory split (n 4) gives tile 0 1 MiB of weights plus
    // 4 KiB of x and 1 KiB of outputs: 1,053,696 bytes.
    let big = gemv(1_024, 1_024).unwrap();
    let err = compile(&IpuConfig::small(4), &big).unwrap_err();
    assert_eq!(
        err,
        SimError::TileMemoryExceeded {
            tile: 0,
            what: "the weights it holds (1.00 MiB) and the inputs and outputs of gemv (5.00 KiB)"
                .to_owned(),
            needed: Bytes(1_053_696),
            capacity: Bytes::kib(624),
        }
    );
    assert_eq!(
        err.to_string(),
        "Tile 0 would need 1.00 MiB for the weights it holds (1.00 MiB) and the inputs and \
         outputs of gemv (5.00 KiB), but a tile has only 624.00 KiB of memory; use more tiles \
         or a smaller layer."
    );
    // The same layer fits 16 tiles (256 KiB of weights each).
    assert!(compile(&IpuConfig::small(16), &big).is_ok());
    // A 32768×32768 f32 GEMV: 4 GiB of weights, 2.78 MiB per tile even on 1,472 tiles.
    let huge = gemv(1 << 15, 1 << 15).unwrap();
    assert!(matches!(
        IpuRun::new(IpuConfig::bow(), &huge, 1),
        Err(SimError::TileMemoryExceeded { needed, .. }) if needed > Bytes::kib(2_800)
    ));
    // An add of two 2^25-element vectors has few FLOPs (values are simulated) but its three
    // tensors would take 3 · 2^25 · 12 bytes = 1.125 GiB in the page: refused with the estimate.
    let len = 1u64 << 25;
    let mut b = Workload::builder("big add");
    let x = b.input("x", &[len], DType::F32);
    let y = b.input("y", &[len], DType::F32);
    b.op(
        "add",
        OpKind::Binary {
            op: sim::workload::Binary::Add,
            len,
        },
        &[x, y],
    );
    let err = IpuRun::new(IpuConfig::bow(), &b.build().unwrap(), 1).unwrap_err();
    assert_eq!(
        err,
        SimError::OverMemoryBudget {
            what: "the values of \"big add\"".to_owned(),
            estimate: Bytes(3 * len * 12),
            budget: Bytes(256 << 20),
        }
    );
    assert!(err.to_string().contains("about 1.12 GiB"), "{err}");
    // A forced split larger than the shape.
    let options = CompileOptions {
        gemm_split: Some(GemmSplit {
            m_parts: 2,
            k_parts: 1,
            n_parts: 1,
        }),
    };
    assert!(matches!(
        IpuRun::with_options(IpuConfig::small(4), &w, 1, &options),
        Err(SimError::TooFewToSplit {
            len: 1,
            parts: 2,
            ..
        })
    ));
    assert!(matches!(
        epoch_estimate(&IpuConfig::bow(), 0, 50, 60_000),
        Err(SimError::ZeroSize { what: "batch" })
    ));
}

#[test]
fn device_iterations_50_saves_7350_host_calls_per_epoch() {
    // 60,000 images / batch 8 = 7,500 steps. One host call per step costs 7,500 × 50 µs =
    // 0.375 s of call latency; one call per 50 steps, 150 × 50 µs = 7.5 ms. The bytes are
    // the same either way: per step 8 × (784·4 + 4) in and 8 × 10·4 + 4 out = 25,444 B,
    // 190,830,000 B per epoch, 15.27 ms at 12.5 GB/s.
    let config = IpuConfig::bow();
    let e50 = epoch_estimate(&config, 8, 50, 60_000).unwrap();
    let e1 = epoch_estimate(&config, 8, 1, 60_000).unwrap();
    assert_eq!(
        (e50.steps, e50.host_calls, e1.host_calls),
        (7_500, 150, 7_500)
    );
    assert_eq!(e50.host_bytes, Bytes(190_830_000));
    assert_eq!(e1.host_bytes, e50.host_bytes);
    assert!(
        (e50.host_s - (0.0075 + 0.015_266_4)).abs() < 1e-9,
        "{}",
        e50.host_s
    );
    assert!(
        (e1.host_s - (0.375 + 0.015_266_4)).abs() < 1e-9,
        "{}",
        e1.host_s
    );
    // The device part does not depend on the host calls.
    assert_eq!(e1.step_cycles(), e50.step_cycles());
    assert!(e1.total_s() > e50.total_s() + 0.36);
}

#[test]
fn the_model_is_far_below_the_real_epoch_and_says_what_it_leaves_out() {
    let e = epoch_estimate(&IpuConfig::bow(), 8, 50, 60_000).unwrap();
    assert_eq!(e.forward_supersteps, 13);
    // Backward: GEMM compute twice, the rest once, the same syncs and exchange bytes.
    assert_eq!(e.backward.sync, e.forward.sync);
    assert!(e.backward.compute > e.forward.compute);
    let total = e.total_s();
    let error = e.model_error(REAL_EPOCH_S_CACHED);
    // The model counts only supersteps and host-link bytes: tens of milliseconds against
    // the real 8.65 s (and 11.1 s with compile). The gap is the host-side work it leaves out.
    assert!(total > 0.01 && total < 0.5, "{total}");
    assert!(error < 0.05, "{error}");
    assert!(e.model_error(REAL_EPOCH_S_FIRST_RUN) < error);
    assert!(LEAVES_OUT.contains("Python"));
    assert!(LEAVES_OUT.contains("compile"));
}

#[test]
fn a_3x3_convolution_on_2_tiles_is_placed_as_its_gemm_and_takes_208_cycles() {
    // Conv 1→2 channels, 3×3 kernel, one 4×4 image: output 2×2 per channel; GEMM m = 4
    // pixels, k = 9, n = 2. Forced split m 2: tile 0 computes output row 0, tile 1 row 1.
    // The image starts in blocks of 8: tile 0 holds input rows 0–1, tile 1 rows 2–3.
    // Tile 0's windows read rows 0–2 (elements 0..12): 4 from tile 1 (16 B, 4 cycles);
    // tile 1's read rows 1–3 (4..16): 4 from tile 0. Both at once: exchange 4 cycles.
    // Superstep 0: 0 + 100 + 4 = 104. Superstep 1: 2 pixels × 2 channels = 4 outputs, 4
    // vertices of 9 multiply-adds = 18 FLOPs, ⌈6·18/32⌉ = 4 cycles; + 100. Total 208.
    let mut b = Workload::builder("conv 3×3");
    let x = b.input("image", &[1, 1, 4, 4], DType::F32);
    let w = b.weight("w", &[2, 1, 3, 3], DType::F32);
    b.op(
        "conv",
        OpKind::Conv2d {
            batch: 1,
            c_in: 1,
            c_out: 2,
            h: 4,
            w: 4,
            kh: 3,
            kw: 3,
        },
        &[x, w],
    );
    let workload = b.build().unwrap();
    let options = CompileOptions {
        gemm_split: Some(GemmSplit {
            m_parts: 2,
            k_parts: 1,
            n_parts: 1,
        }),
    };
    let mut run = IpuRun::with_options(thin(2), &workload, 1, &options).unwrap();
    let p = run.program();
    assert_eq!(p.supersteps[0].exchange_bytes(), Bytes(32));
    assert_eq!(p.supersteps[0].exchange_cycles, Cycle(4));
    assert_eq!(p.supersteps[1].compute, Cycle(4));
    // Each tile holds both output channels' 3×3 weights: 2 · 9 · 4 B.
    assert_eq!(p.weight_bytes, [Bytes(72), Bytes(72)]);
    assert_eq!(finish(&mut run), Cycle(208));
    // Timing only: a convolution has no simulated values.
    assert!(run.result().is_none());
}

#[test]
fn the_gc200_runs_the_same_cycles_at_a_slower_clock() {
    // Same tiles and per-cycle rates; only the clock differs: device seconds scale by
    // 1.85 / 1.33 ≈ 1.39, host seconds do not change.
    let bow = epoch_estimate(&IpuConfig::bow(), 8, 50, 60_000).unwrap();
    let gc = epoch_estimate(&IpuConfig::gc200(), 8, 50, 60_000).unwrap();
    assert_eq!(bow.step_cycles(), gc.step_cycles());
    let ratio = gc.compute_s / bow.compute_s;
    assert!((ratio - 1.85 / 1.33).abs() < 1e-9, "{ratio}");
    assert!((gc.host_s - bow.host_s).abs() < 1e-12);
}

#[test]
fn two_heads_of_a_2x2_batched_matmul_on_4_tiles_take_204_cycles() {
    // y_h = a_h · b_h for heads h = 0, 1: a, b: [2, 2, 2] inputs (both exchanged), forced
    // split n 2 per head. Two tiles per head, so the heads get their own groups: tile
    // 2h + l computes column l of head h (2 outputs over k = 2).
    // a and b start in blocks of 2: tile t holds a[2t..2t+2] and b[2t..2t+2].
    // Tile 2h + l reads a_h = a[4h..4h+4] (half of it remote: 8 B from its partner) and
    // b_h's column l, b[4h + l] (local) and b[4h + 2 + l] (4 B from tile 2h + 1, or from
    // 2h for l = 1). Eight transfers, in rounds by distance: 0→1, 2→3 (a 2 cycles, then b
    // 1 cycle), then 1→0, 3→2 the same, each tile sending one and receiving one at a time
    // in both rounds at once: exchange 3 cycles. Superstep 0: 0 + 100 + 3 = 103.
    // Superstep 1: 2 outputs per tile, 2 vertices of 2·2 = 4 FLOPs, ⌈6·4/32⌉ = 1 cycle;
    // + 100. Total 204 cycles, 48 bytes exchanged.
    let mut b = Workload::builder("two heads");
    let a = b.input("a", &[2, 2, 2], DType::F32);
    let bt = b.input("b", &[2, 2, 2], DType::F32);
    b.op(
        "heads",
        OpKind::MatMul {
            batch: 2,
            m: 2,
            k: 2,
            n: 2,
        },
        &[a, bt],
    );
    let workload = b.build().unwrap();
    let options = CompileOptions {
        gemm_split: Some(GemmSplit {
            m_parts: 1,
            k_parts: 1,
            n_parts: 2,
        }),
    };
    let mut run = IpuRun::with_options(thin(4), &workload, 9, &options).unwrap();
    let p = run.program();
    assert_eq!(
        p.ops[0].split,
        OpSplit::BatchedGemm {
            batch_parts: 2,
            split: GemmSplit {
                m_parts: 1,
                k_parts: 1,
                n_parts: 2
            }
        }
    );
    assert_eq!(p.supersteps.len(), 2);
    let s0 = &p.supersteps[0];
    assert_eq!(s0.exchange.len(), 8);
    assert_eq!(s0.exchange_bytes(), Bytes(48));
    assert_eq!(s0.exchange_cycles, Cycle(3));
    assert!(s0.tiles.iter().all(|t| t.bytes_needed == Bytes(12)));
    assert_eq!(p.supersteps[1].compute, Cycle(1));
    assert!(p.supersteps[1].tiles.iter().all(|t| t.vertices.len() == 2));
    assert_eq!(finish(&mut run), Cycle(204));
    assert_close(run.result().unwrap(), run.reference().unwrap());
    // Each head's values are its own product: head 1 does not read head 0's matrices.
    let y = run.result().unwrap().to_vec();
    let mut flipped = IpuRun::with_options(thin(4), &workload, 10, &options).unwrap();
    finish(&mut flipped);
    assert_ne!(y, flipped.result().unwrap());
}

#[test]
fn the_bert_layer_at_seq_128_runs_on_a_bow_ipu_with_correct_values() {
    let workload = bert_tiny_encoder_layer_seq(128).unwrap();
    let mut run = IpuRun::new(IpuConfig::bow(), &workload, 42).unwrap();
    let p = run.program();
    // Every op is placed: 14 ops, the two per-head matmuls as batched GEMMs whose heads sit
    // on tiles of their own, and each compute phase after the exchange that feeds it.
    assert_eq!(p.ops.len(), 14);
    for name in ["scores", "context"] {
        let op = p.ops.iter().find(|o| o.name == name).unwrap();
        assert!(
            matches!(op.split, OpSplit::BatchedGemm { batch_parts: 2, .. }),
            "{:?}",
            op.split
        );
        assert!(op.split.tiles() <= 1_472);
    }
    assert!(p.memory_used.iter().all(|&m| m <= p.tile_memory));
    // The compiler's figures (regression values, not derived by hand): 18 supersteps,
    // 10,618 cycles, 9,473,568 bytes exchanged.
    assert_eq!(p.supersteps.len(), 18);
    let predicted = p.total_cycles(Cycle(100));
    assert_eq!(predicted, Cycle(10_618));
    let bytes: u64 = p.supersteps.iter().map(|s| s.exchange_bytes().0).sum();
    assert_eq!(bytes, 9_473_568);
    assert_eq!(finish(&mut run), predicted);
    let (y, r) = (run.result().unwrap(), run.reference().unwrap());
    assert_eq!(y.len(), 128 * 128);
    let worst = sim::ipu::values::worst_relative_difference(y, r);
    assert!(worst <= sim::ipu::values::tolerance(&workload), "{worst}");
    assert_eq!(run.metrics().bytes_on_chip, Bytes(bytes));
    // All the workload's FLOPs, plus the adds of the split reductions.
    assert!(run.metrics().flops >= workload.flops());
}

#[test]
fn bert_layers_that_do_not_fit_or_are_too_long_are_sentences() {
    // On 4 tiles the layer's 768 KiB of weights leave no room beside GELU's data.
    let err = IpuRun::new(
        IpuConfig::small(4),
        &bert_tiny_encoder_layer_seq(128).unwrap(),
        1,
    )
    .unwrap_err();
    assert!(matches!(err, SimError::TileMemoryExceeded { .. }), "{err}");
    assert!(err.to_string().starts_with("Tile "), "{err}");
    assert_eq!(
        bert_tiny_encoder_layer_seq(0).unwrap_err().to_string(),
        "sequence length must be at least 1, but it is 0."
    );
    assert!(bert_tiny_encoder_layer_seq(513).is_err());
    // Sequence 1: every op still placed and checked.
    let mut one = IpuRun::new(
        IpuConfig::bow(),
        &bert_tiny_encoder_layer_seq(1).unwrap(),
        1,
    )
    .unwrap();
    finish(&mut one);
    let worst = sim::ipu::values::worst_relative_difference(
        one.result().unwrap(),
        one.reference().unwrap(),
    );
    assert!(worst <= 1e-4, "{worst}");
    // Sequence 512 is timing only (its FLOPs are above the values limit), and it fits.
    let mut long = IpuRun::new(
        IpuConfig::bow(),
        &bert_tiny_encoder_layer_seq(512).unwrap(),
        1,
    )
    .unwrap();
    assert!(finish(&mut long) > Cycle(10_618));
    assert!(long.no_values_reason().is_some());
}

#[test]
fn a_later_layers_weights_must_fit_beside_an_earlier_layers_data() {
    // One tile (624 KiB = 638,976 B). A ReLU of 40,000 floats holds its input and output,
    // 320,000 B; the GEMV after it holds 40,000 × 2 weights (320,000 B) for the whole run,
    // so they are on the tile while the ReLU runs too: 640,000 B, 1,024 B too many. The
    // GEMV's own check passes (320,000 B of weights + 160,008 B of data).
    let mut b = Workload::builder("relu then gemv");
    let x = b.input("x", &[1, 40_000], DType::F32);
    let w = b.weight("w", &[40_000, 2], DType::F32);
    let y = b.op(
        "relu",
        OpKind::Activation {
            func: Activation::Relu,
            len: 40_000,
        },
        &[x],
    );
    b.op(
        "gemv",
        OpKind::MatMul {
            batch: 1,
            m: 1,
            k: 40_000,
            n: 2,
        },
        &[y, w],
    );
    let err = compile(&IpuConfig::small(1), &b.build().unwrap()).unwrap_err();
    assert_eq!(
        err,
        SimError::TileMemoryExceeded {
            tile: 0,
            what:
                "the weights it holds (312.50 KiB) and the inputs and outputs of relu (312.50 KiB)"
                    .to_owned(),
            needed: Bytes(640_000),
            capacity: Bytes::kib(624),
        }
    );
}
