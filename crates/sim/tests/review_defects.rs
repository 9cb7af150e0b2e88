//! Defects found in review outside the mesh's cycle loop: GPU rates that overflow, sizes
//! that exhaust the host's memory, a fused op that reads the wrong tensor, and the GPU's
//! compute/memory label.

use sim::error::SimError;
use sim::gpu::{GpuConfig, GpuSim};
use sim::trace::Bound;
use sim::workload::{Activation, DType, OpKind, Workload, presets};
use sim::wse::{GemvProblem, GemvRun, Mesh, WseConfig};

#[test]
fn gpu_rates_outside_their_range_are_refused_with_a_sentence() {
    let w = presets::tiny_gemv().unwrap();
    type Setter = fn(&mut GpuConfig);
    let cases: [(&str, Setter); 6] = [
        ("peak FP32 FLOP/s", |c| c.peak_flops_fp32 = 1e-9),
        ("peak FP16 tensor FLOP/s", |c| {
            c.peak_flops_fp16_tensor = 1e30;
        }),
        ("HBM bandwidth", |c| c.hbm_bytes_per_s = 1e-3),
        ("clock", |c| c.clock_hz = 1.0),
        ("clock", |c| c.clock_hz = f64::NAN),
        ("launch overhead", |c| {
            c.launch_overhead = sim::Cycle(u64::MAX);
        }),
    ];
    for (what, set) in cases {
        let mut c = GpuConfig::a100_40gb_sxm();
        set(&mut c);
        let err = GpuSim::new(c, &w).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with(what), "{what}: {text}");
        assert!(text.ends_with('.'), "{text}");
    }
}

#[test]
fn a_run_too_long_to_count_is_an_error_not_a_wrapped_total() {
    // Every rate at the bottom of its range, the clock at the top, and about the biggest
    // matmul the workload accepts (2^16 cubed, 2^49 FLOPs): 2^49 / 10^6 FLOP/s · 10^10 Hz
    // ≈ 5.6 · 10^18 cycles, above the 2^60 the GPU plans. A sentence, not a wrap or a panic.
    let mut c = GpuConfig::a100_40gb_sxm();
    c.peak_flops_fp32 = 1e6;
    c.peak_flops_fp16_tensor = 1e6;
    c.hbm_bytes_per_s = 1e6;
    c.clock_hz = 1e10;
    let side = 1 << 16;
    let mut b = Workload::builder("huge matmul");
    let x = b.input("x", &[side, side], DType::F32);
    let wt = b.weight("w", &[side, side], DType::F32);
    b.op(
        "mm",
        OpKind::MatMul {
            batch: 1,
            m: side,
            k: side,
            n: side,
        },
        &[x, wt],
    );
    let w = b.build().unwrap();
    let err = GpuSim::new(c, &w).unwrap_err();
    assert!(
        matches!(err, SimError::TooManyCycles { .. }),
        "{err:?}: {err}"
    );
    assert!(err.to_string().ends_with('.'));
}

#[test]
fn sizes_over_the_memory_budget_are_refused_with_the_estimate() {
    // 2^20 × 2^20 FP32 weights: 4 TiB. Before the check this aborted the process.
    let err = GemvProblem::random(1 << 20, 1 << 20, 1, false, false, 0).unwrap_err();
    let SimError::OverMemoryBudget {
        estimate, budget, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(estimate.0 >= 4 << 40, "{estimate:?}");
    assert_eq!(*budget, sim::budget::HOST_MEMORY_BUDGET);
    let text = err.to_string();
    assert!(text.contains("about 4096.01 GiB"), "{text}");
    assert!(text.contains("256.00 MiB"), "{text}");
    // The same through a workload (16 GiB of weights).
    let w = presets::gemv(1 << 16, 1 << 16).unwrap();
    let err = GemvRun::from_workload(WseConfig::wse2(4, 4), &w, 0).unwrap_err();
    assert!(matches!(err, SimError::OverMemoryBudget { .. }), "{err:?}");
    // And the largest mesh the config allows: its tables alone are over the budget.
    let err = Mesh::new(WseConfig::wse2(1024, 1024)).unwrap_err();
    assert!(matches!(err, SimError::OverMemoryBudget { .. }), "{err:?}");
    // A trace that may hold more events than the budget, on either machine.
    let mut wse = WseConfig::wse2(4, 4);
    wse.trace_capacity = usize::MAX;
    assert!(matches!(
        wse.validate(),
        Err(SimError::OverMemoryBudget { .. })
    ));
    let mut gpu = GpuConfig::small();
    gpu.trace_capacity = usize::MAX;
    assert!(matches!(
        gpu.validate(),
        Err(SimError::OverMemoryBudget { .. })
    ));
    // Sizes a page uses stay well inside it.
    assert!(Mesh::new(WseConfig::wse2(128, 128)).is_ok());
    assert!(GemvProblem::random(2048, 2048, 4, true, true, 0).is_ok());
}

#[test]
fn a_fused_op_must_read_the_previous_ops_output() {
    // mm(x, w), then a ReLU of an unrelated input: not a linear layer.
    let mut b = Workload::builder("mm then an unrelated ReLU");
    let x = b.input("x", &[1, 8], DType::F32);
    let w = b.weight("w", &[8, 4], DType::F32);
    let other = b.input("other", &[4], DType::F32);
    b.op(
        "mm",
        OpKind::MatMul {
            batch: 1,
            m: 1,
            k: 8,
            n: 4,
        },
        &[x, w],
    );
    b.op(
        "relu",
        OpKind::Activation {
            func: Activation::Relu,
            len: 4,
        },
        &[other],
    );
    let workload = b.build().unwrap();
    let err = GemvRun::from_workload(WseConfig::wse2(2, 2), &workload, 0).unwrap_err();
    assert_eq!(
        err,
        SimError::UnsupportedWorkload {
            reason: "\"relu\" reads \"other\", not the output of \"mm\" before it; the mesh runs one layer whose ops each take the previous op's result.".into()
        }
    );
    // The real thing still maps.
    let linear = presets::linear(1, 8, 4, true).unwrap();
    assert!(GemvRun::from_workload(WseConfig::wse2(2, 2), &linear, 0).is_ok());
}

fn bound_of(workload: &Workload, op: &str) -> Bound {
    let sim = GpuSim::new(GpuConfig::a100_40gb_sxm(), workload).expect("a valid run");
    let k = sim
        .kernels()
        .iter()
        .find(|k| k.name == op)
        .expect("the op is a kernel");
    k.bound()
}

#[test]
fn gpu_labels_follow_the_roofline() {
    // The A100's ridge: 19.5e12 / 1,555e9 ≈ 12.5 FLOP per byte.
    // GEMV 784→128 at 200,704 / 405,056 ≈ 0.5 FLOP/byte: memory-bound.
    let gemv = presets::gemv(784, 128).unwrap();
    assert_eq!(bound_of(&gemv, "gemv"), Bound::Memory);
    // Every elementwise and normalisation kernel (≤ 8 FLOPs per 8 bytes): memory-bound.
    let bert = presets::bert_tiny_encoder_layer().unwrap();
    let cnn = presets::graphcore_mnist_cnn(16).unwrap();
    let mut checked = 0;
    for w in [&bert, &cnn, &presets::mnist_mlp_layer(1).unwrap()] {
        for op in &w.ops {
            if op.kind.gemm().is_none() {
                assert_eq!(bound_of(w, &op.name), Bound::Memory, "{}", op.name);
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "{checked}");
    // A large matmul, 2048×2048×2048 FP32: 2·2048³ / (3·2048²·4) ≈ 341 FLOP/byte.
    let mut b = Workload::builder("big matmul");
    let x = b.input("x", &[2048, 2048], DType::F32);
    let w = b.weight("w", &[2048, 2048], DType::F32);
    b.op(
        "mm",
        OpKind::MatMul {
            batch: 1,
            m: 2048,
            k: 2048,
            n: 2048,
        },
        &[x, w],
    );
    assert_eq!(bound_of(&b.build().unwrap(), "mm"), Bound::Compute);
}

#[test]
fn model_assumptions_are_named_for_the_learner() {
    let wse = sim::wse::MODEL_ASSUMPTIONS;
    assert!(wse.iter().any(|t| t.contains("Host input is optimistic")));
    assert!(wse.iter().any(|t| t.contains("weight-streaming mode")));
    let gpu = sim::gpu::MODEL_ASSUMPTIONS;
    assert!(gpu.iter().any(|t| t.contains("memory-bound")));
    for text in wse.iter().chain(gpu) {
        assert!(text.ends_with('.') && !text.contains("  "), "{text}");
    }
}
