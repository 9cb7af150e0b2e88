//! Defects found in review of the mesh: a run that can make no progress, counters that
//! disagree with the picture, and unfair color arbitration.

use sim::engine::{Engine, Resource, RunStatus};
use sim::units::Cycle;
use sim::wse::{
    GemvProblem, GemvRun, Mesh, MeshSnapshot, PeInspect, PeState, Port, PortSet, Route, WseConfig,
};

fn route(rx: Port, tx: &[Port]) -> Route {
    Route {
        rx,
        tx: PortSet::of(tx),
    }
}

#[test]
fn a_wavelet_no_program_drains_ends_the_run_at_once_whatever_the_deadline() {
    // 1×1 mesh, color 0 from the west edge into the ramp, no program: the wavelet is in the
    // task queue at cycle 2 (injected 0, ramp 1) and nothing can ever take it.
    let mut mesh = Mesh::new(WseConfig::wse2(1, 1)).unwrap();
    mesh.set_route(0, 0, 0, route(Port::West, &[Port::Ramp]))
        .unwrap();
    mesh.add_injector(0, 0, Port::West, 0, vec![42]).unwrap();
    mesh.check_routes().unwrap();
    let status = mesh.run_until(Cycle(50_000_000));
    assert_eq!(
        status,
        RunStatus::Deadlocked {
            at: Cycle(2),
            on: Resource::TaskQueue {
                x: 0,
                y: 0,
                color: 0
            }
        }
    );
    assert_eq!(mesh.now(), Cycle(3));
    // Asking again returns at once with the same answer.
    assert_eq!(mesh.run_until(Cycle(50_000_000)), status);
    assert_eq!(mesh.now(), Cycle(3));
}

#[test]
fn an_injector_on_a_color_with_no_route_ends_the_run_at_once() {
    let mut mesh = Mesh::new(WseConfig::wse2(1, 1)).unwrap();
    mesh.add_injector(0, 0, Port::West, 5, vec![1, 2]).unwrap();
    let status = mesh.run_until(Cycle(50_000_000));
    assert!(
        matches!(status, RunStatus::Deadlocked { at: Cycle(0), .. }),
        "{status:?}"
    );
    assert_eq!(mesh.now(), Cycle(1));
}

/// What the counter check needs of a mesh or a GEMV run.
trait Drawn: Engine {
    fn picture(&self) -> MeshSnapshot;
    fn counters(&self, x: u32, y: u32) -> PeInspect;
}

impl Drawn for Mesh {
    fn picture(&self) -> MeshSnapshot {
        self.snapshot()
    }
    fn counters(&self, x: u32, y: u32) -> PeInspect {
        self.inspect(x, y).expect("a PE on the mesh")
    }
}

impl Drawn for GemvRun {
    fn picture(&self) -> MeshSnapshot {
        self.snapshot()
    }
    fn counters(&self, x: u32, y: u32) -> PeInspect {
        self.inspect(x, y).expect("a PE on the mesh")
    }
}

/// Steps `run` one cycle at a time until it ends, checking for every PE and every cycle that
/// the counter that grew matches the state drawn; returns the stalled PE-cycles drawn.
fn check_counters_follow_the_picture(run: &mut impl Drawn, w: u32, h: u32) -> usize {
    let n = (w * h) as usize;
    let at = |i: usize| (i as u32 % w, i as u32 / w);
    let mut saw_stalled = 0;
    let mut before: Vec<_> = (0..n).map(|i| run.counters(at(i).0, at(i).1)).collect();
    loop {
        let status = run.run_until(run.now() + Cycle(1));
        let snap = run.picture();
        for (i, pe) in snap.pes.iter().enumerate() {
            let now = run.counters(at(i).0, at(i).1);
            let was = &before[i];
            let grew = (
                now.busy.0 - was.busy.0,
                now.stalled.0 - was.stalled.0,
                now.idle.0 - was.idle.0,
            );
            if run.now() > was.busy + was.stalled + was.idle {
                let want = match pe.state {
                    PeState::Busy => (1, 0, 0),
                    PeState::Stalled => (0, 1, 0),
                    PeState::Idle => (0, 0, 1),
                };
                assert_eq!(grew, want, "PE {i} at cycle {}", run.now().0);
                saw_stalled += usize::from(pe.state == PeState::Stalled);
            }
            assert_eq!(now.busy + now.idle + now.stalled, run.now(), "PE {i}");
            before[i] = now;
        }
        if status != RunStatus::DeadlineReached {
            return saw_stalled;
        }
    }
}

#[test]
fn pe_counters_agree_with_the_picture_every_cycle() {
    use sim::wse::ce::{GemvBlock, Program};
    // 8×1 mesh. PE (0, 0) sends one partial sum east to PE (1, 0) (there at cycle 4), whose
    // GEMV block (1 row, 3 columns) needs 3 x elements that a source on PE (7, 0) sends
    // west over 6 hops (the first is there at cycle 9). From 4 to 9 PE (1, 0)'s reduce task
    // is blocked: drawn as stalled, so it must be counted as stalled, not idle.
    let mut mesh = Mesh::new(WseConfig::wse2(8, 1)).unwrap();
    mesh.set_route(0, 0, 1, route(Port::Ramp, &[Port::East]))
        .unwrap();
    mesh.set_route(1, 0, 1, route(Port::West, &[Port::Ramp]))
        .unwrap();
    mesh.set_route(1, 0, 2, route(Port::Ramp, &[Port::South]))
        .unwrap();
    mesh.set_route(7, 0, 0, route(Port::Ramp, &[Port::West]))
        .unwrap();
    for x in 2..7 {
        mesh.set_route(x, 0, 0, route(Port::East, &[Port::West]))
            .unwrap();
    }
    mesh.set_route(1, 0, 0, route(Port::East, &[Port::Ramp]))
        .unwrap();
    let source = |color, payloads| Program::Source {
        color,
        payloads,
        next: 0,
    };
    mesh.load_program(0, 0, source(1, vec![0])).unwrap();
    let ones = vec![1.0_f32.to_bits(); 3];
    mesh.load_program(7, 0, source(0, ones)).unwrap();
    let block = GemvBlock {
        x_color: 0,
        in_color: Some(1),
        out_color: 2,
        rows: 1,
        cols: 3,
        batch: 1,
        a: vec![1.0; 3],
        bias: None,
        relu: false,
        fmacs_per_cycle: 1,
        acc: vec![0.0],
        x_taken: 0,
        reduced: 0,
    };
    mesh.load_program(1, 0, Program::Gemv(Box::new(block)))
        .unwrap();
    mesh.check_routes().unwrap();
    let stalled = check_counters_follow_the_picture(&mut mesh, 8, 1);
    assert!(mesh.is_finished());
    assert!(stalled >= 4, "{stalled} stalled PE-cycles drawn");
    assert!(mesh.inspect(1, 0).unwrap().stalled >= Cycle(4));

    // And a whole GEMV, where every cycle of every PE is checked the same way.
    let p = GemvProblem::random(40, 24, 3, true, true, 11).unwrap();
    let mut run = GemvRun::new(WseConfig::wse2(5, 6), p).unwrap();
    let _ = check_counters_follow_the_picture(&mut run, 5, 6);
    assert!(run.is_finished());
}

/// Two colors entering PE (0, 0) from the west and north edges, both sent east over the one
/// link to PE (1, 0) and on off the mesh: returns how many of each left in `cycles`.
fn shares(a: u8, b: u8, cycles: u64) -> (usize, usize) {
    let mut mesh = Mesh::new(WseConfig::wse2(2, 1)).expect("a valid mesh");
    for (color, from) in [(a, Port::West), (b, Port::North)] {
        mesh.set_route(0, 0, color, route(from, &[Port::East]))
            .expect("a valid route");
        mesh.set_route(1, 0, color, route(Port::West, &[Port::East]))
            .expect("a valid route");
        mesh.add_injector(0, 0, from, color, vec![u32::from(color); 1_000])
            .expect("a valid route");
    }
    mesh.check_routes().expect("routes that join up");
    let status = mesh.run_until(Cycle(cycles));
    assert_eq!(status, RunStatus::DeadlineReached);
    let out = mesh.edge_output();
    let count = |c: u8| out.iter().filter(|w| w.color == c).count();
    (count(a), count(b))
}

#[test]
fn two_colors_sharing_a_link_get_shares_within_one_of_each_other() {
    for (a, b) in [(0, 1), (0, 12), (1, 0), (5, 23), (22, 23)] {
        let (na, nb) = shares(a, b, 240);
        // The link is never idle once the first wavelet reaches it.
        assert!(na + nb >= 235, "colors {a} and {b}: {na} + {nb}");
        assert!(na.abs_diff(nb) <= 1, "colors {a} and {b}: {na} vs {nb}");
    }
}
