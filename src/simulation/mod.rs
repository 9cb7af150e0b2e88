//! The simulators as plain, natively tested Rust: settings ↔ URL, one session per machine
//! over its engine, the bounded slice of work per frame, and the text a page shows.
//!
//! One structure for every machine: a machine is a [`Machine`] (its settings, speeds, lesson,
//! and how to build a run) and a [`SimSession`] (the run: engine, metrics, inspection, result
//! check, log lines). [`machine`] is the one dispatch from a [`SimArch`] to its descriptor;
//! the page shell in `pages/simulator` is written against the two traits only.

pub mod compare;
pub mod compile;
pub mod form;
pub mod gpu;
pub mod groq;
pub mod ipu;
pub mod predict;
pub mod rdu;
pub mod session;
pub mod text;
pub mod wse;

pub use form::{FieldKind, FieldSpec, FieldValue, Preset, SimForm, SimSetup};
pub use session::{
    InspectRows, Machine, Phase, SimSession, Slice, UnitAt, advance, cycles_this_frame, ending,
    phase_after, run_slice,
};
pub use text::{CompareTable, MetricRow, compare_rows, metric_rows, roofline_data, sentence};

use course::SimArch;

/// The machine descriptor of `arch`, or `None` while its simulator is not built.
pub fn machine(arch: SimArch) -> Option<&'static dyn Machine> {
    match arch {
        SimArch::Gpu => Some(&gpu::GpuMachine),
        SimArch::Wse => Some(&wse::WseMachine),
        SimArch::Ipu => Some(&ipu::IpuMachine),
        SimArch::Rdu => Some(&rdu::RduMachine),
        SimArch::Groq => Some(&groq::GroqMachine),
    }
}

/// The built machines, in course order.
pub fn machines() -> impl Iterator<Item = &'static dyn Machine> {
    SimArch::ALL.into_iter().filter_map(machine)
}

#[cfg(test)]
mod tests {
    use super::session::FRAME_TIME_BUDGET_MS;
    use super::*;
    use sim::engine::RunStatus;

    #[test]
    fn frame_budget_is_bounded_by_the_mesh_size() {
        // 32×32 = 1,024 PEs: at most 65,536 / 1,024 = 64 cycles a frame.
        assert_eq!(cycles_this_frame(1_000, 1_024), 64);
        assert_eq!(cycles_this_frame(4, 1_024), 4);
        // 128×128: 4 cycles; a bigger mesh still makes progress, one cycle a frame.
        assert_eq!(cycles_this_frame(64, 128 * 128), 4);
        assert_eq!(cycles_this_frame(64, 1 << 20), 1);
        assert_eq!(cycles_this_frame(0, 1), 1);
        // The GPU's model is closed form: one unit.
        assert_eq!(cycles_this_frame(10_000, 1), 10_000);
    }

    fn gemv_session() -> Box<dyn SimSession> {
        let m = machine(SimArch::Wse).unwrap();
        // 64×64 on 4×4 PEs: a few hundred cycles, longer than any slice below.
        let q = crate::query::parse("preset=gemv&width=4&height=4&d_in=64&d_out=64");
        m.build(&SimForm::from_query(m, &q).parse(m).unwrap())
            .unwrap()
    }

    #[test]
    fn a_slice_stops_when_its_time_is_spent() {
        // A clock that advances 4 ms per reading: started at 0, then 4, 8, 12 after the
        // first, second and third chunks; 12 ≥ 10 stops it after three chunks of 10 cycles.
        let mut s = gemv_session();
        let mut t = 0.0;
        let mut clock = || {
            let now = t;
            t += 4.0;
            now
        };
        let slice = run_slice(s.as_mut(), 40, FRAME_TIME_BUDGET_MS, &mut clock);
        assert_eq!(slice.cycle.0, 30);
        assert_eq!(slice.status, RunStatus::DeadlineReached);
        // A frozen clock lets all four chunks run.
        let mut s = gemv_session();
        let slice = run_slice(s.as_mut(), 40, FRAME_TIME_BUDGET_MS, &mut || 0.0);
        assert_eq!(slice.cycle.0, 40);
        // A clock already past the budget still runs the first chunk: progress every frame.
        let mut s = gemv_session();
        let mut late = 0.0;
        let slice = run_slice(s.as_mut(), 40, FRAME_TIME_BUDGET_MS, &mut || {
            late += 100.0;
            late
        });
        assert_eq!(slice.cycle.0, 10);
        // A run that ends inside the slice stops there.
        let mut s = gemv_session();
        let slice = run_slice(s.as_mut(), u64::MAX / 2, FRAME_TIME_BUDGET_MS, &mut || 0.0);
        assert!(matches!(slice.status, RunStatus::Finished { .. }));
    }

    #[test]
    fn every_built_machine_names_itself_and_its_lesson() {
        for m in machines() {
            assert_eq!(machine(m.arch()).map(Machine::arch), Some(m.arch()));
            let (slug, _) = m.lesson();
            assert!(
                crate::catalog::LESSONS.iter().any(|l| l.slug == slug),
                "{slug}"
            );
            assert!(!m.speeds().is_empty());
        }
    }
}
