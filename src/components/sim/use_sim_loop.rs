//! `use_sim_loop`: drives a simulation in bounded slices, one per animation frame, with
//! play, pause, single step and a speed, and pauses when the tab is hidden.
//!
//! The engine lives in a `StoredValue` (not a signal); after each slice the page's
//! `publish` copies a small picture of it into signals. A slice simulates at most
//! [`cycles_this_frame`] cycles and stops early when a frame's time budget is spent, so the
//! page never freezes whatever the mesh size or speed.

use leptos::leptos_dom::helpers::AnimationFrameRequestHandle;
use leptos::prelude::*;

use crate::simulation::session::FRAME_TIME_BUDGET_MS;
use crate::simulation::{Phase, SimSession, Slice, cycles_this_frame, phase_after, run_slice};

/// The engine a page drives: any machine's session, or none while the settings are wrong.
pub type SessionSlot = StoredValue<Option<Box<dyn SimSession>>>;
/// With reduced motion, the picture is redrawn at most this often while playing.
pub const REDUCED_MOTION_REDRAW_MS: f64 = 1_000.0;
/// Metrics (which list every unit) are recomputed at most this often while playing.
pub const METRICS_EVERY_MS: f64 = 200.0;

/// What `publish` should refresh after a slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Publish {
    /// Redraw the picture.
    pub picture: bool,
    /// Recompute the metrics.
    pub metrics: bool,
}

/// What [`use_sim_loop`] gives a page.
#[derive(Clone, Copy, Debug)]
pub struct UseSimLoopReturn {
    /// Where the run is.
    pub phase: RwSignal<Phase>,
    /// Index into the page's speeds.
    pub speed_idx: RwSignal<usize>,
    /// Whether the last pause was because the tab was hidden.
    pub paused_hidden: RwSignal<bool>,
    /// Starts or resumes.
    pub play: Callback<()>,
    /// Pauses.
    pub pause: Callback<()>,
    /// Pauses, then advances exactly one cycle.
    pub step: Callback<()>,
    /// Stops any frame in flight and marks the run Ready (call before replacing the engine).
    pub stop: Callback<()>,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Whether the learner asked the system for reduced motion.
pub fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}

struct LoopState {
    frame: Option<AnimationFrameRequestHandle>,
    last_picture: f64,
    last_metrics: f64,
}

/// Drives `session` frame by frame at `speeds[speed_idx]` cycles per frame.
/// `publish(session, slice, what)` runs after every slice, with the engine only borrowed
/// for reading (so what it triggers may read the engine too).
pub fn use_sim_loop<F>(
    session: SessionSlot,
    speeds: &'static [u64],
    initial_speed_idx: usize,
    publish: F,
) -> UseSimLoopReturn
where
    F: Fn(&dyn SimSession, &Slice, Publish) + Copy + Send + Sync + 'static,
{
    let phase = RwSignal::new(Phase::Ready);
    let speed_idx = RwSignal::new(initial_speed_idx.min(speeds.len().saturating_sub(1)));
    let paused_hidden = RwSignal::new(false);
    let state = StoredValue::new(LoopState {
        frame: None,
        last_picture: f64::NEG_INFINITY,
        last_metrics: f64::NEG_INFINITY,
    });
    let reduced_motion = prefers_reduced_motion();

    // One slice of `cycles`, in chunks, stopping early when the frame's time is spent.
    let run_slice = move |cycles: u64, force: bool| -> Option<Slice> {
        let total = session
            .try_update_value(|maybe| {
                let s = maybe.as_mut()?;
                Some(run_slice(
                    s.as_mut(),
                    cycles,
                    FRAME_TIME_BUDGET_MS,
                    &mut now_ms,
                ))
            })
            .flatten()?;
        let t = now_ms();
        let over = total.status != sim::engine::RunStatus::DeadlineReached;
        let what = state
            .try_update_value(|st| {
                let picture = force
                    || over
                    || !reduced_motion
                    || t - st.last_picture >= REDUCED_MOTION_REDRAW_MS;
                let metrics = force || over || t - st.last_metrics >= METRICS_EVERY_MS;
                if picture {
                    st.last_picture = t;
                }
                if metrics {
                    st.last_metrics = t;
                }
                Publish { picture, metrics }
            })
            .unwrap_or(Publish {
                picture: true,
                metrics: true,
            });
        session.try_with_value(|maybe| {
            if let Some(s) = maybe {
                publish(s.as_ref(), &total, what);
            }
        });
        Some(total)
    };

    fn schedule<G: Fn() + Copy + 'static>(state: StoredValue<LoopState>, tick: G) {
        let pending = state
            .try_with_value(|st| st.frame.is_some())
            .unwrap_or(true);
        if pending {
            return;
        }
        if let Ok(handle) = request_animation_frame_with_handle(tick) {
            state.try_update_value(|st| st.frame = Some(handle));
        }
    }

    // The frame callback re-schedules itself while playing. A plain fn pointer keeps the
    // recursion free of self-referential closures.
    fn on_frame<R: Fn(u64, bool) -> Option<Slice> + Copy + 'static>(
        state: StoredValue<LoopState>,
        phase: RwSignal<Phase>,
        speed_idx: RwSignal<usize>,
        speeds: &'static [u64],
        units: impl Fn() -> u64 + Copy + 'static,
        run_slice: R,
    ) {
        state.try_update_value(|st| st.frame = None);
        if phase.try_get_untracked() != Some(Phase::Running) {
            return;
        }
        let speed = speed_idx
            .try_get_untracked()
            .and_then(|i| speeds.get(i).copied())
            .unwrap_or(1);
        let Some(slice) = run_slice(cycles_this_frame(speed, units()), false) else {
            phase.try_set(Phase::Ready);
            return;
        };
        let next = phase_after(slice.status, true);
        phase.try_set(next);
        if next == Phase::Running {
            schedule(state, move || {
                on_frame(state, phase, speed_idx, speeds, units, run_slice);
            });
        }
    }

    let units = move || {
        session
            .try_with_value(|s| s.as_ref().map(|s| s.units()))
            .flatten()
            .unwrap_or(1)
    };
    let start_frames = move || {
        schedule(state, move || {
            on_frame(state, phase, speed_idx, speeds, units, run_slice);
        });
    };
    let cancel_frame = move || {
        if let Some(Some(handle)) = state.try_update_value(|st| st.frame.take()) {
            handle.cancel();
        }
    };

    let play = Callback::new(move |()| {
        let has_session = session.with_value(Option::is_some);
        if !has_session || phase.get_untracked().is_over() {
            return;
        }
        paused_hidden.set(false);
        phase.set(Phase::Running);
        start_frames();
    });
    let pause = Callback::new(move |()| {
        cancel_frame();
        if phase.get_untracked() == Phase::Running {
            phase.set(Phase::Paused);
        }
    });
    let step = Callback::new(move |()| {
        cancel_frame();
        if phase.get_untracked().is_over() {
            return;
        }
        if let Some(slice) = run_slice(1, true) {
            phase.set(phase_after(slice.status, false));
        }
    });
    let stop = Callback::new(move |()| {
        cancel_frame();
        phase.set(Phase::Ready);
    });

    // A hidden tab gets no frames anyway; pausing says so and keeps the state honest.
    let hidden = window_event_listener_untyped("visibilitychange", move |_| {
        let is_hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if is_hidden && phase.try_get_untracked() == Some(Phase::Running) {
            pause.run(());
            paused_hidden.try_set(true);
        }
    });
    on_cleanup(move || {
        hidden.remove();
        if let Some(Some(handle)) = state.try_update_value(|st| st.frame.take()) {
            handle.cancel();
        }
    });

    UseSimLoopReturn {
        phase,
        speed_idx,
        paused_hidden,
        play,
        pause,
        step,
        stop,
    }
}
