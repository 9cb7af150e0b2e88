//! The mesh API a page uses: errors instead of panics, slices of work, snapshots,
//! click-to-inspect, the trace, determinism, and the GPU comparison on the same workload.

use sim::engine::{Engine, RunStatus, StepOutcome};
use sim::error::SimError;
use sim::gpu::{GpuConfig, GpuSim};
use sim::units::{Bytes, Cycle};
use sim::workload::presets;
use sim::wse::{GemvProblem, GemvRun, Mesh, PeState, Port, PortSet, Route, WseConfig};

fn check_err(config: WseConfig, problem: Result<GemvProblem, SimError>, want: &SimError) {
    let got = problem.and_then(|p| GemvRun::new(config, p)).map(|_| ());
    assert_eq!(got.as_ref(), Err(want), "{got:?}");
    // Every error reads as a sentence a page can show.
    assert!(want.to_string().ends_with('.'), "{want}");
}

#[test]
fn bad_parameters_are_errors_not_panics() {
    let ok = || GemvProblem::random(8, 8, 1, false, false, 0);
    check_err(
        WseConfig::wse2(0, 4),
        ok(),
        &SimError::ZeroSize { what: "mesh width" },
    );
    check_err(
        WseConfig::wse2(4, 5_000),
        ok(),
        &SimError::TooLarge {
            what: "mesh height",
            value: 5_000,
            max: 1_024,
        },
    );
    check_err(
        WseConfig::wse2(4, 4),
        GemvProblem::random(0, 8, 1, false, false, 0),
        &SimError::ZeroSize {
            what: "input length",
        },
    );
    check_err(
        WseConfig::wse2(4, 4),
        GemvProblem::random(8, 8, 1 << 20, false, false, 0),
        &SimError::TooLarge {
            what: "batch",
            value: 1 << 20,
            max: 1 << 16,
        },
    );
    // 784×128 weights on one PE: 401,408 B of weights + 512 B of accumulators.
    check_err(
        WseConfig::wse2(1, 1),
        GemvProblem::random(784, 128, 1, false, false, 0),
        &SimError::BlockDoesNotFit {
            x: 0,
            y: 0,
            needed: Bytes(401_920),
            capacity: Bytes::kib(48),
        },
    );
    let mut two_colors = WseConfig::wse2(4, 4);
    two_colors.n_colors = 2;
    check_err(
        two_colors,
        ok(),
        &SimError::ColorsExhausted {
            needed: 3,
            available: 2,
        },
    );
    let mut too_many = WseConfig::wse2(4, 4);
    too_many.n_colors = 25;
    check_err(
        too_many,
        ok(),
        &SimError::TooLarge {
            what: "number of colors",
            value: 25,
            max: 24,
        },
    );
    let mut no_queue = WseConfig::wse2(4, 4);
    no_queue.router_queue_depth = 0;
    check_err(
        no_queue,
        ok(),
        &SimError::ZeroSize {
            what: "router queue depth",
        },
    );
    let mut clock = WseConfig::wse2(4, 4);
    clock.clock_hz = f64::INFINITY;
    assert!(matches!(
        ok().and_then(|p| GemvRun::new(clock, p)),
        Err(SimError::BadRate { .. })
    ));

    // Values that do not match the sizes.
    let mut short = ok().unwrap();
    short.w.pop();
    check_err(
        WseConfig::wse2(4, 4),
        Ok(short),
        &SimError::InvalidWorkload {
            reason: "the weight matrix has 63 values but needs 64.".into(),
        },
    );

    // A workload the mesh mapping does not handle.
    let cnn = presets::graphcore_mnist_cnn(1).unwrap();
    let err = GemvRun::from_workload(WseConfig::wse2(8, 8), &cnn, 0).unwrap_err();
    assert!(matches!(err, SimError::UnsupportedWorkload { .. }));
    assert!(err.to_string().contains("conv1"), "{err}");

    // Routes that do not join up, and PEs off the mesh.
    let mut mesh = Mesh::new(WseConfig::wse2(2, 1)).unwrap();
    mesh.set_route(
        0,
        0,
        3,
        Route {
            rx: Port::Ramp,
            tx: PortSet::of(&[Port::East]),
        },
    )
    .unwrap();
    assert!(matches!(
        mesh.check_routes(),
        Err(SimError::BadRoute {
            x: 0,
            y: 0,
            color: 3,
            ..
        })
    ));
    let u_turn = Route {
        rx: Port::East,
        tx: PortSet::of(&[Port::East]),
    };
    assert!(matches!(
        mesh.set_route(1, 0, 3, u_turn),
        Err(SimError::BadRoute { .. })
    ));
    assert_eq!(
        mesh.inspect(2, 0).unwrap_err(),
        SimError::PeOutOfRange {
            x: 2,
            y: 0,
            width: 2,
            height: 1
        }
    );
}

#[test]
fn a_page_drives_the_mesh_in_slices_and_draws_snapshots() {
    let w = presets::tiny_gemv().unwrap();
    let mut run = GemvRun::from_workload(WseConfig::wse2(4, 4), &w, 7).unwrap();
    let mut snap = sim::wse::MeshSnapshot {
        wavelet_limit: 64,
        ..Default::default()
    };
    let mut saw_busy = false;
    let mut saw_wavelets = false;
    let mut frames = 0;
    loop {
        // One animation frame: a bounded slice of 3 cycles.
        let status = run.run_until(run.now() + Cycle(3));
        run.snapshot_into(&mut snap);
        assert_eq!(snap.pes.len(), 16);
        assert!(snap.wavelets.len() <= 64);
        saw_busy |= snap
            .pes
            .iter()
            .any(|p| p.state == PeState::Busy && p.task.is_some());
        saw_wavelets |= snap
            .wavelets
            .iter()
            .any(|v| v.color == 0 && v.from == Port::North);
        frames += 1;
        if let RunStatus::Finished { .. } = status {
            break;
        }
        assert_eq!(status, RunStatus::DeadlineReached);
        assert!(frames < 1_000);
    }
    assert!(saw_busy && saw_wavelets);
    assert!(snap.finished);
    assert!(
        snap.pes
            .iter()
            .all(|p| p.memory_used.0 > 0 && p.router_queued == 0)
    );

    // Click on a PE: routes, queues, counters.
    let pe = run.inspect(1, 2).unwrap();
    assert_eq!(pe.routes.len(), 3); // x, own partial-sum color, west neighbour's
    assert_eq!(pe.busy + pe.idle + pe.stalled, run.now());
    assert!(pe.program.starts_with("GEMV block 4×4"), "{}", pe.program);
    assert_eq!(pe.memory_capacity, Bytes::kib(48));

    // The trace: milestones as text.
    let text: Vec<String> = run.drain_trace().iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|t| t.contains("pipeline filled")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("pipeline drained")),
        "{text:?}"
    );
    assert!(run.drain_trace().is_empty());

    assert_eq!(run.result().unwrap(), run.reference());
    assert_eq!(run.step(), StepOutcome::Finished);
}

#[test]
fn same_config_and_workload_give_the_same_cycles_and_numbers() {
    let p = GemvProblem::random(40, 24, 3, true, true, 11).unwrap();
    let mut a = GemvRun::new(WseConfig::wse2(5, 6), p.clone()).unwrap();
    let mut b = GemvRun::new(WseConfig::wse2(5, 6), p).unwrap();
    // One steps cycle by cycle, the other runs in bulk.
    while a.step() != StepOutcome::Finished {}
    let _ = b.run_until(Cycle(u64::MAX));
    assert_eq!(a.now(), b.now());
    assert_eq!(a.metrics(), b.metrics());
    assert_eq!(a.mesh().edge_output(), b.mesh().edge_output());
    assert_eq!(a.result(), b.result());
}

#[test]
fn metrics_and_the_gpu_comparison_on_the_same_workload() {
    // MNIST MLP layer, batch 1: on the mesh the weights never move; only x goes in and y
    // comes out (784 + 128 wavelets of 4 bytes). The GPU reads the weights from HBM and
    // round-trips the activations through HBM between kernels.
    let w = presets::mnist_mlp_layer(1).unwrap();
    let mut mesh = GemvRun::from_workload(WseConfig::wse2(8, 8), &w, 1).unwrap();
    let _ = mesh.run_until(Cycle(1_000_000));
    let m = mesh.metrics();
    assert_eq!(m.bytes_off_chip, Bytes(4 * (784 + 128)));
    // 2·784·128 multiply-add FLOPs + 7·128 reduction adds + 128 bias + 128 ReLU.
    assert_eq!(m.flops, 2 * 784 * 128 + 7 * 128 + 128 + 128);
    assert_eq!(m.units.len(), 64);
    let (busy, idle, stalled) = m.total_activity();
    assert_eq!(busy + idle + stalled, Cycle(64 * m.cycles.0));
    assert!(m.fraction_of_peak() > 0.9);

    let gpu = GpuSim::new(GpuConfig::a100_40gb_sxm(), &w)
        .unwrap()
        .run_to_end();
    assert!(gpu.bytes_off_chip.0 > 100 * m.bytes_off_chip.0);
    assert!(gpu.energy.off_chip.0 > 100.0 * m.energy.off_chip.0);
    assert!(gpu.arithmetic_intensity().unwrap() < m.arithmetic_intensity().unwrap());
}

#[test]
fn back_pressure_stalls_the_sender_until_the_slow_receiver_catches_up() {
    // PE (0,0) sends 6 wavelets east to PE (1,0), whose sink takes 5 cycles per wavelet.
    // Queues hold 1 each: the source must stall.
    let mut config = WseConfig::wse2(2, 1);
    config.router_queue_depth = 1;
    config.task_queue_depth = 1;
    let mut mesh = Mesh::new(config).unwrap();
    mesh.set_route(
        0,
        0,
        0,
        Route {
            rx: Port::Ramp,
            tx: PortSet::of(&[Port::East]),
        },
    )
    .unwrap();
    mesh.set_route(
        1,
        0,
        0,
        Route {
            rx: Port::West,
            tx: PortSet::of(&[Port::Ramp]),
        },
    )
    .unwrap();
    use sim::wse::ce::Program;
    mesh.load_program(
        0,
        0,
        Program::Source {
            color: 0,
            payloads: (0..6).collect(),
            next: 0,
        },
    )
    .unwrap();
    mesh.load_program(
        1,
        0,
        Program::Sink {
            color: 0,
            cost: 5,
            received: vec![],
        },
    )
    .unwrap();
    mesh.check_routes().unwrap();
    let status = mesh.run_until(Cycle(1_000));
    assert!(matches!(status, RunStatus::Finished { .. }));
    let src = mesh.inspect(0, 0).unwrap();
    let dst = mesh.inspect(1, 0).unwrap();
    assert!(src.stalled.0 > 0, "{src:?}");
    // The receiver's router stalls first (its task queue is full), then the sender's.
    assert!(dst.router_stall_cycles.0 > 0 && src.router_stall_cycles.0 > 0);
    // By hand: the first wavelet is in the sink's task queue at cycle 4 (source task 0, ramp
    // 1, hop east 2, ramp 3). From then on the sink is the bottleneck and the queues keep it
    // fed: its tasks start at 4, 9, …, 29 (6 × 5 = 30 busy cycles), the last busy through 33,
    // so the run ends at 34.
    assert_eq!(dst.busy, Cycle(30));
    assert_eq!(mesh.now(), Cycle(34));
    let Program::Sink { received, .. } = mesh.program(1, 0).unwrap() else {
        unreachable!()
    };
    assert_eq!(received, &(0..6).collect::<Vec<u32>>());
}

#[test]
fn a_task_blocked_forever_is_reported_as_a_deadlock() {
    use sim::engine::Resource;
    use sim::wse::ce::{GemvBlock, Program};
    // PE (1,0) waits for its own x (which never comes) before it may reduce the partial sum
    // PE (0,0) sends it: nothing can ever move again after the partial arrives.
    let mut mesh = Mesh::new(WseConfig::wse2(2, 1)).unwrap();
    mesh.set_route(
        0,
        0,
        1,
        Route {
            rx: Port::Ramp,
            tx: PortSet::of(&[Port::East]),
        },
    )
    .unwrap();
    mesh.set_route(
        1,
        0,
        1,
        Route {
            rx: Port::West,
            tx: PortSet::of(&[Port::Ramp]),
        },
    )
    .unwrap();
    mesh.set_route(
        1,
        0,
        2,
        Route {
            rx: Port::Ramp,
            tx: PortSet::of(&[Port::East]),
        },
    )
    .unwrap();
    mesh.load_program(
        0,
        0,
        Program::Source {
            color: 1,
            payloads: vec![7],
            next: 0,
        },
    )
    .unwrap();
    let block = GemvBlock {
        x_color: 0,
        in_color: Some(1),
        out_color: 2,
        rows: 1,
        cols: 1,
        batch: 1,
        a: vec![1.0],
        bias: None,
        relu: false,
        fmacs_per_cycle: 1,
        acc: vec![0.0],
        x_taken: 0,
        reduced: 0,
    };
    mesh.load_program(1, 0, Program::Gemv(Box::new(block)))
        .unwrap();
    // Source task 0, ramp 1, hop 2, ramp 3: from cycle 4 on nothing moves.
    let status = mesh.run_for(Cycle(100));
    assert_eq!(
        status,
        RunStatus::Deadlocked {
            at: Cycle(4),
            on: Resource::BlockedTask { x: 1, y: 0 }
        }
    );
    assert_eq!(mesh.inspect(1, 0).unwrap().state, PeState::Stalled);
}

#[test]
fn task_tracing_records_every_task_start() {
    let mut config = WseConfig::wse2(2, 2);
    config.trace_tasks = true;
    let p = GemvProblem::random(2, 2, 1, false, false, 3).unwrap();
    let mut run = GemvRun::new(config, p).unwrap();
    let _ = run.run_for(Cycle(1_000));
    let text: Vec<String> = run.drain_trace().iter().map(ToString::to_string).collect();
    // 4 x-axpy tasks, 2 sends (west column), 2 reduces (east column).
    assert_eq!(
        text.iter().filter(|t| t.contains("starts x-axpy")).count(),
        4,
        "{text:?}"
    );
    assert_eq!(text.iter().filter(|t| t.contains("starts send")).count(), 2);
    assert_eq!(
        text.iter().filter(|t| t.contains("starts reduce")).count(),
        2
    );
    assert_eq!(
        text.iter()
            .filter(|t| t.contains("a wavelet on color"))
            .count(),
        2
    );
}
