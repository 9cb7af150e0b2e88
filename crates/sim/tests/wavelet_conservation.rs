//! Property: every wavelet put on the fabric is delivered or still accounted for; nothing is
//! lost or duplicated, whatever the mesh size, queue depths, traffic and back-pressure.

use proptest::prelude::*;
use sim::engine::{Engine, RunStatus, StepOutcome};
use sim::units::Cycle;
use sim::wse::ce::Program;
use sim::wse::{GemvProblem, GemvRun, Mesh, Port, PortSet, Route, WseConfig};

/// One flow: PE `src` sends `n` wavelets on color `color` to PE `dst` along an X-then-Y path.
#[derive(Debug, Clone)]
struct Flow {
    src: (u32, u32),
    dst: (u32, u32),
    n: u32,
    sink_cost: u32,
}

/// Ports visited going from `a` to `b`, east/west first, then north/south.
fn xy_path(a: (u32, u32), b: (u32, u32)) -> Vec<Port> {
    let mut steps = Vec::new();
    let (mut x, mut y) = a;
    while x != b.0 {
        steps.push(if b.0 > x { Port::East } else { Port::West });
        x = if b.0 > x { x + 1 } else { x - 1 };
    }
    while y != b.1 {
        steps.push(if b.1 > y { Port::South } else { Port::North });
        y = if b.1 > y { y + 1 } else { y - 1 };
    }
    steps
}

fn step_pos(p: (u32, u32), port: Port) -> (u32, u32) {
    match port {
        Port::East => (p.0 + 1, p.1),
        Port::West => (p.0 - 1, p.1),
        Port::South => (p.0, p.1 + 1),
        Port::North => (p.0, p.1 - 1),
        Port::Ramp => p,
    }
}

fn build(config: WseConfig, flows: &[Flow]) -> Mesh {
    let mut mesh = Mesh::new(config).expect("the test mesh is valid");
    for (f_idx, f) in flows.iter().enumerate() {
        let color = f_idx as u8;
        let path = xy_path(f.src, f.dst);
        let mut pos = f.src;
        let mut rx = Port::Ramp;
        for &p in &path {
            mesh.set_route(
                pos.0,
                pos.1,
                color,
                Route {
                    rx,
                    tx: PortSet::of(&[p]),
                },
            )
            .expect("the test mesh is valid");
            pos = step_pos(pos, p);
            rx = p.opposite();
        }
        mesh.set_route(
            pos.0,
            pos.1,
            color,
            Route {
                rx,
                tx: PortSet::of(&[Port::Ramp]),
            },
        )
        .expect("the test mesh is valid");
        // Payload = flow index << 16 | sequence number: unique per wavelet.
        let payloads = (0..f.n).map(|i| (f_idx as u32) << 16 | i).collect();
        mesh.load_program(
            f.src.0,
            f.src.1,
            Program::Source {
                color,
                payloads,
                next: 0,
            },
        )
        .expect("the test mesh is valid");
        let sink = Program::Sink {
            color,
            cost: f.sink_cost,
            received: Vec::new(),
        };
        mesh.load_program(f.dst.0, f.dst.1, sink)
            .expect("the test mesh is valid");
    }
    mesh.check_routes().expect("the test mesh is valid");
    mesh
}

fn flows_strategy() -> impl Strategy<Value = (u32, u32, u32, u32, Vec<Flow>)> {
    (1u32..6, 1u32..6, 1u32..4, 1u32..4).prop_flat_map(|(w, h, rq, tq)| {
        let n_pes = (w * h) as usize;
        let max_flows = (n_pes / 2).min(8);
        (
            Just(w),
            Just(h),
            Just(rq),
            Just(tq),
            Just(()).prop_perturb(move |_, mut rng| {
                // A random permutation of PEs; consecutive pairs are (src, dst).
                let mut pes: Vec<usize> = (0..n_pes).collect();
                for i in (1..pes.len()).rev() {
                    let j = (rng.next_u32() as usize) % (i + 1);
                    pes.swap(i, j);
                }
                let n_flows = if max_flows == 0 {
                    0
                } else {
                    1 + rng.next_u32() as usize % max_flows
                };
                (0..n_flows)
                    .map(|k| {
                        let at =
                            |i: usize| ((pes[i] % w as usize) as u32, (pes[i] / w as usize) as u32);
                        Flow {
                            src: at(2 * k),
                            dst: at(2 * k + 1),
                            n: 1 + rng.next_u32() % 40,
                            sink_cost: 1 + rng.next_u32() % 3,
                        }
                    })
                    .collect::<Vec<_>>()
            }),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn unicast_flows_deliver_every_wavelet_exactly_once_in_order(
        (w, h, rq, tq, flows) in flows_strategy()
    ) {
        let mut config = WseConfig::wse2(w, h);
        config.router_queue_depth = rq;
        config.task_queue_depth = tq;
        let mut mesh = build(config, &flows);
        let mut cycles = 0u64;
        loop {
            let outcome = mesh.step();
            prop_assert!(mesh.ledger().balances(), "ledger off at cycle {}: {:?}", cycles, mesh.ledger());
            if outcome == StepOutcome::Finished {
                break;
            }
            cycles += 1;
            prop_assert!(cycles < 100_000, "did not finish");
        }
        let ledger = mesh.ledger();
        prop_assert_eq!(ledger.in_queues, 0);
        let total: u64 = flows.iter().map(|f| u64::from(f.n)).sum();
        prop_assert_eq!(ledger.sent_by_ces, total);
        prop_assert_eq!(ledger.consumed, total);
        for (f_idx, f) in flows.iter().enumerate() {
            let Program::Sink { received, .. } = mesh.program(f.dst.0, f.dst.1).unwrap() else {
                panic!("sink replaced");
            };
            let want: Vec<u32> = (0..f.n).map(|i| (f_idx as u32) << 16 | i).collect();
            prop_assert_eq!(received, &want);
        }
    }

    #[test]
    fn gemv_multicast_conserves_wavelets_and_is_exact(
        w in 1u32..7, h in 1u32..7, d_in in 1u32..20, d_out in 1u32..20, batch in 1u32..4,
        rq in 1u32..4, tq in 1u32..4, fmacs in 1u32..3, seed in any::<u64>()
    ) {
        let mut config = WseConfig::wse2(w, h);
        config.router_queue_depth = rq;
        config.task_queue_depth = tq;
        config.fmacs_per_cycle = fmacs;
        let problem = GemvProblem::random(d_in, d_out, batch, true, true, seed).unwrap();
        let mut run = GemvRun::new(config, problem).unwrap();
        // Slices of 7 cycles, as a page would run per frame.
        let mut status = RunStatus::DeadlineReached;
        while status == RunStatus::DeadlineReached {
            let now = run.now();
            status = run.run_until(now + Cycle(7));
            prop_assert!(run.mesh().ledger().balances());
            prop_assert!(run.now().0 < 1_000_000);
        }
        prop_assert!(matches!(status, RunStatus::Finished { .. }), "{:?}", status);
        let ledger = run.mesh().ledger();
        prop_assert_eq!(ledger.in_queues, 0);
        // Every output leaves exactly once.
        prop_assert_eq!(ledger.left_mesh, u64::from(batch * d_out));
        prop_assert_eq!(run.result().unwrap(), run.reference());
    }
}
