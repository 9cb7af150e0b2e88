//! Properties of every IPU program and run: exchange bytes are received exactly once and
//! exactly where they are needed, no tile sends or receives two transfers at once, no tile
//! starts a compute phase before the previous sync completes, every tile-cycle is counted
//! once, and the values match the f64 reference; over GEMVs, linear layers, elementwise ops on
//! a GEMM's layout and batched (per-head) matmuls with their own or a shared `b`.

use proptest::prelude::*;
use sim::engine::Engine;
use sim::ipu::{CompileOptions, GemmSplit, IpuConfig, IpuRun, SuperstepPhase, TilePhase};
use sim::units::{Bytes, Cycle};
use sim::workload::presets::{gemv, linear};
use sim::workload::{Activation, DType, OpKind, Workload};

fn workload(kind: u8, a: u64, b: u64, batch: u64) -> Workload {
    match kind {
        0 => gemv(a, b).expect("sizes from 1"),
        1 => linear(batch, a, b, true).expect("sizes from 1"),
        3 => attention(batch + 1, a % 9 + 1, b % 6 + 1),
        4 => {
            // Per-head products against one shared weight, then a GELU.
            let heads = batch + 1;
            let mut w = Workload::builder("batched matmul, shared weight");
            let x = w.input("x", &[heads, 3, a], DType::F32);
            let wt = w.weight("w", &[a, b], DType::F32);
            let y = w.op(
                "heads",
                OpKind::MatMul {
                    batch: heads,
                    m: 3,
                    k: a,
                    n: b,
                },
                &[x, wt],
            );
            w.op(
                "gelu",
                OpKind::Activation {
                    func: Activation::Gelu,
                    len: heads * 3 * b,
                },
                &[y],
            );
            w.build().expect("a valid graph")
        }
        _ => {
            // A matmul, a GELU and a softmax over rows: elementwise ops on a GEMM's layout.
            let mut w = Workload::builder("matmul, gelu, softmax");
            let x = w.input("x", &[batch, a], DType::F32);
            let wt = w.weight("w", &[a, b], DType::F32);
            let y = w.op(
                "matmul",
                OpKind::MatMul {
                    batch: 1,
                    m: batch,
                    k: a,
                    n: b,
                },
                &[x, wt],
            );
            let g = w.op(
                "gelu",
                OpKind::Activation {
                    func: Activation::Gelu,
                    len: batch * b,
                },
                &[y],
            );
            w.op(
                "softmax",
                OpKind::Softmax {
                    rows: batch,
                    cols: b,
                },
                &[g],
            );
            w.build().expect("a valid graph")
        }
    }
}

/// Attention's core on `heads` heads: per-head scores `q·k`, a softmax over rows, per-head
/// `p·v`, then a layer norm (`q`, `v`: `[heads, seq, d]`, `k`: `[heads, d, seq]`).
fn attention(heads: u64, seq: u64, d: u64) -> Workload {
    let mut w = Workload::builder("attention");
    let q = w.input("q", &[heads, seq, d], DType::F32);
    let k = w.input("k", &[heads, d, seq], DType::F32);
    let v = w.input("v", &[heads, seq, d], DType::F32);
    let s = w.op(
        "scores",
        OpKind::MatMul {
            batch: heads,
            m: seq,
            k: d,
            n: seq,
        },
        &[q, k],
    );
    let p = w.op(
        "softmax",
        OpKind::Softmax {
            rows: heads * seq,
            cols: seq,
        },
        &[s],
    );
    let c = w.op(
        "context",
        OpKind::MatMul {
            batch: heads,
            m: seq,
            k: seq,
            n: d,
        },
        &[p, v],
    );
    w.op(
        "norm",
        OpKind::LayerNorm {
            rows: heads * seq,
            cols: d,
        },
        &[c],
    );
    w.build().expect("a valid graph")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn exchange_is_exact_and_bsp_order_holds(
        kind in 0u8..5,
        a in 1u64..40,
        b in 1u64..24,
        batch in 1u64..4,
        n_tiles in 1u32..13,
        forced in proptest::option::of((1u32..4, 1u32..4, 1u32..4)),
        seed in any::<u64>(),
        min_block in 1u32..80,
    ) {
        let w = workload(kind, a, b, batch);
        let mut config = IpuConfig::small(n_tiles);
        config.sync_latency = Cycle(7);
        config.min_block_elements = min_block;
        let options = CompileOptions {
            gemm_split: forced.map(|(m_parts, k_parts, n_parts)| GemmSplit { m_parts, k_parts, n_parts }),
        };
        let Ok(mut run) = IpuRun::with_options(config, &w, seed, &options) else {
            // Only a forced split that does not fit the shape or the tiles may be refused.
            prop_assert!(forced.is_some());
            return Ok(());
        };
        let n = n_tiles as usize;
        for s in &run.program().supersteps {
            let mut sent = vec![0u64; n];
            let mut received = vec![0u64; n];
            let mut send_spans: Vec<Vec<(u64, u64)>> = vec![Vec::new(); n];
            let mut recv_spans: Vec<Vec<(u64, u64)>> = vec![Vec::new(); n];
            for t in &s.exchange {
                prop_assert_ne!(t.from, t.to);
                prop_assert!(t.bytes > Bytes::ZERO);
                prop_assert!(t.start + t.cycles <= s.exchange_cycles);
                sent[t.from as usize] += t.bytes.0;
                received[t.to as usize] += t.bytes.0;
                send_spans[t.from as usize].push((t.start.0, (t.start + t.cycles).0));
                recv_spans[t.to as usize].push((t.start.0, (t.start + t.cycles).0));
            }
            prop_assert_eq!(sent.iter().sum::<u64>(), received.iter().sum::<u64>());
            for (i, tile) in s.tiles.iter().enumerate() {
                // Every byte a tile needs arrives once: no more, no less.
                prop_assert_eq!(Bytes(received[i]), tile.bytes_needed);
                prop_assert_eq!(Bytes(received[i]), tile.bytes_received);
                prop_assert_eq!(Bytes(sent[i]), tile.bytes_sent);
                for spans in [&mut send_spans[i], &mut recv_spans[i]] {
                    spans.sort_unstable();
                    for pair in spans.windows(2) {
                        prop_assert!(pair[0].1 <= pair[1].0, "overlap {:?}", pair);
                    }
                }
                prop_assert!(tile.compute <= s.compute);
            }
        }
        // Step cycle by cycle; no tile computes in superstep s + 1 before superstep s's sync
        // has completed for every tile.
        let mut sync_done_at = vec![None::<Cycle>; run.program().supersteps.len()];
        let mut first_compute = vec![None::<Cycle>; run.program().supersteps.len()];
        let mut snap = sim::ipu::IpuSnapshot::default();
        let mut steps = 0u64;
        loop {
            run.snapshot_into(&mut snap);
            if snap.finished {
                break;
            }
            let s = snap.superstep;
            if snap.phase == SuperstepPhase::Exchange && sync_done_at[s].is_none() {
                sync_done_at[s] = Some(snap.cycle);
            }
            if snap.tiles.contains(&TilePhase::Computing) && first_compute[s].is_none() {
                first_compute[s] = Some(snap.cycle);
            }
            if snap.phase == SuperstepPhase::Compute && s > 0 && sync_done_at[s - 1].is_none() {
                // The previous exchange was empty: its sync ended where this step starts.
                sync_done_at[s - 1] = Some(snap.cycle);
            }
            if snap.phase == SuperstepPhase::Sync {
                prop_assert!(snap.tiles.iter().all(|&p| p == TilePhase::WaitingAtSync));
            }
            let _ = run.step();
            steps += 1;
            prop_assert!(steps < 10_000_000);
        }
        for s in 1..first_compute.len() {
            if let (Some(c), Some(done)) = (first_compute[s], sync_done_at[s - 1]) {
                prop_assert!(c >= done, "superstep {} computes at {:?} before sync at {:?}", s, c, done);
            }
        }
        prop_assert_eq!(run.now(), run.program().total_cycles(Cycle(7)));
        let m = run.metrics();
        for unit in &m.units {
            prop_assert_eq!(unit.busy + unit.idle + unit.stalled, run.now());
        }
        let total_sent: u64 = (0..n_tiles).map(|t| run.inspect(t).unwrap().bytes_sent.0).sum();
        let total_received: u64 = (0..n_tiles).map(|t| run.inspect(t).unwrap().bytes_received.0).sum();
        prop_assert_eq!(total_sent, total_received);
        prop_assert_eq!(Bytes(total_sent), m.bytes_on_chip);
        let y = run.result().unwrap();
        let r = run.reference().unwrap();
        prop_assert_eq!(y.len(), r.len());
        for (got, want) in y.iter().zip(r) {
            prop_assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{} vs {}", got, want);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sizes and tile counts give a program or an error, never a panic or a hang.
    #[test]
    fn any_sizes_give_a_program_or_an_error(
        dims in proptest::collection::vec(prop_oneof![1u64..64, any::<u64>(), 1u64..100_000], 7),
        pick in 0usize..6,
        n_tiles in prop_oneof![0u32..40, 0u32..3_000],
        min_block in 0u32..200,
    ) {
        let d = &dims;
        let kind = match pick {
            0 => OpKind::MatMul { batch: 1, m: d[0], k: d[1], n: d[2] },
            1 => OpKind::Conv2d { batch: d[0], c_in: d[1], c_out: d[2], h: d[3], w: d[3], kh: d[4].min(5), kw: d[4].min(5) },
            2 => OpKind::MaxPool { batch: d[0], channels: d[1], h: d[3], w: d[3], size: d[4].min(4) },
            3 => OpKind::Softmax { rows: d[0], cols: d[1] },
            5 => OpKind::MatMul { batch: d[3], m: d[0], k: d[1], n: d[2] },
            _ => OpKind::Activation { func: Activation::Relu, len: d[0] },
        };
        let mut b = Workload::builder("fuzz");
        let (x, w) = match kind {
            OpKind::MatMul { batch, m, k, n } => (b.input("x", &[batch, m, k], DType::F32), Some(b.weight("w", &[batch, k, n], DType::F32))),
            OpKind::Conv2d { batch, c_in, c_out, h, kh, .. } => (b.input("x", &[batch, c_in, h, h], DType::F32), Some(b.weight("w", &[c_out, c_in, kh, kh], DType::F16))),
            OpKind::MaxPool { batch, channels, h, .. } => (b.input("x", &[batch, channels, h, h], DType::F32), None),
            OpKind::Softmax { rows, cols } => (b.input("x", &[rows, cols], DType::F32), None),
            _ => (b.input("x", &[d[0]], DType::F32), None),
        };
        let inputs: Vec<_> = std::iter::once(x).chain(w).collect();
        b.op("op", kind, &inputs);
        if let Ok(workload) = b.build() {
            let mut config = IpuConfig::small(n_tiles);
            config.min_block_elements = min_block;
            if let Ok(mut run) = IpuRun::new(config, &workload, 1) {
                let status = run.run_until(Cycle(u64::MAX));
                prop_assert!(run.is_finished(), "{:?}", status);
                prop_assert!(run.program().memory_used.iter().all(|&m| m <= run.program().tile_memory));
            }
        }
    }
}
