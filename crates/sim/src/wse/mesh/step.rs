//! The cycle loop: the router phase, the injectors, the compute phase, and one step.

use super::queues::{PeRamp, Wavelet};
use super::{EdgeWavelet, Mesh, NC, NONE, PeState, Port};
use crate::engine::{Resource, StepOutcome};
use crate::trace::EventKind;
use crate::units::Cycle;
use crate::wse::ce::{Ce, CeActivity, CeEffects};
use crate::wse::event::WseEvent;

/// Colors collected without allocating before the waiting list spills to the heap.
const SMALL_WAITING: usize = 4;

impl Mesh {
    /// Router phase of one PE.
    fn route_pe(&mut self, pe: usize, now: u64, progress: &mut bool, stall: &mut Option<Resource>) {
        let colors = self.colors_of[pe];
        if colors == 0 || self.rq_count[pe] == 0 {
            return;
        }
        let mut links_used: u8 = 0;
        let mut stalled_here = false;
        // Round robin over the colors waiting: the color served least recently goes first
        // (a queue's `popped_at` is the cycle it last forwarded; never is oldest), so colors
        // sharing a link take turns whatever their IDs.
        // A PE rarely has more than a few colors waiting: collect into a small array and
        // fall back to one of every color only when it overflows (zeroing a 24-entry array
        // per PE per cycle cost a quarter of the mesh's speed).
        let mut small = [(0_u64, 0_u8); SMALL_WAITING];
        let mut all: Vec<(u64, u8)> = Vec::new();
        let mut n_waiting = 0;
        let mut pending = colors;
        while pending != 0 {
            let c = pending.trailing_zeros() as usize;
            pending &= pending - 1;
            let q = self.rq_of[pe * NC + c] as usize;
            if self.rq.peek_ready(q, now).is_some() {
                let entry = (self.rq.popped_at[q].wrapping_add(1), c as u8);
                if n_waiting < SMALL_WAITING {
                    small[n_waiting] = entry;
                } else {
                    if all.is_empty() {
                        all.extend_from_slice(&small);
                    }
                    all.push(entry);
                }
                n_waiting += 1;
            }
        }
        let waiting: &mut [(u64, u8)] = if all.is_empty() {
            &mut small[..n_waiting]
        } else {
            &mut all
        };
        waiting.sort_unstable();
        for &(_, c) in waiting.iter() {
            let c = usize::from(c);
            let q = self.rq_of[pe * NC + c] as usize;
            let Some(route) = self.routes[pe * NC + c] else {
                continue;
            };
            // Check every destination.
            let mut ok = true;
            let mut blocker = None;
            for p in route.tx.iter() {
                if links_used & p.bit() != 0 {
                    ok = false;
                    break;
                }
                match p {
                    Port::Ramp => {
                        let tq = self.tq_of[pe * NC + c] as usize;
                        if !self.tq.has_room(tq, now) {
                            ok = false;
                            let (x, y) = self.xy(pe);
                            blocker = Some(Resource::TaskQueue {
                                x,
                                y,
                                color: c as u8,
                            });
                            break;
                        }
                    }
                    _ => {
                        if let Some(nb) = self.neighbour(pe, p) {
                            let nq = self.rq_of[nb * NC + c];
                            if nq == NONE || !self.rq.has_room(nq as usize, now) {
                                ok = false;
                                let (x, y) = self.xy(nb);
                                blocker = Some(Resource::RouterQueue {
                                    x,
                                    y,
                                    color: c as u8,
                                });
                                break;
                            }
                        }
                    }
                }
            }
            if !ok {
                stalled_here = true;
                if stall.is_none() {
                    *stall = blocker;
                }
                continue;
            }
            let w = self.rq.pop(q, now);
            self.rq_count[pe] -= 1;
            *progress = true;
            let fanout = u64::from(route.tx.len());
            self.ledger.multicast_copies += fanout - 1;
            self.hops += fanout;
            for p in route.tx.iter() {
                links_used |= p.bit();
                match p {
                    Port::Ramp => {
                        let tq = self.tq_of[pe * NC + c] as usize;
                        self.tq.push(
                            tq,
                            Wavelet {
                                payload: w.payload,
                                ready_at: now + 1,
                                from: p as u8,
                            },
                        );
                        self.tq_count[pe] += 1;
                    }
                    _ => match self.neighbour(pe, p) {
                        Some(nb) => {
                            let nq = self.rq_of[nb * NC + c] as usize;
                            let from = p.opposite() as u8;
                            self.rq.push(
                                nq,
                                Wavelet {
                                    payload: w.payload,
                                    ready_at: now + 1,
                                    from,
                                },
                            );
                            self.rq_count[nb] += 1;
                        }
                        None => {
                            let (x, y) = self.xy(pe);
                            self.ledger.left_mesh += 1;
                            self.edge_out.push(EdgeWavelet {
                                cycle: Cycle(now + 1),
                                x,
                                y,
                                port: p,
                                color: c as u8,
                                payload: w.payload,
                            });
                            if self.trace.enabled() {
                                self.trace.push(
                                    Cycle(now + 1),
                                    EventKind::Wse(WseEvent::WaveletLeftMesh {
                                        x,
                                        y,
                                        color: c as u8,
                                    }),
                                );
                            }
                        }
                    },
                }
            }
        }
        if stalled_here {
            self.counters[pe].router_stalls += 1;
        }
    }

    fn inject(&mut self, now: u64, progress: &mut bool, stall: &mut Option<Resource>) {
        if self.injectors_done == self.injectors.len() {
            return;
        }
        for i in 0..self.injectors.len() {
            let inj = &self.injectors[i];
            if inj.next >= inj.payloads.len() {
                continue;
            }
            let pe = inj.pe as usize;
            let q = self.rq_of[pe * NC + usize::from(inj.color)];
            if q == NONE {
                if stall.is_none() {
                    let (x, y) = self.xy(pe);
                    *stall = Some(Resource::NoRoute {
                        x,
                        y,
                        color: inj.color,
                    });
                }
                continue;
            }
            if !self.rq.has_room(q as usize, now) {
                if stall.is_none() {
                    let (x, y) = self.xy(pe);
                    *stall = Some(Resource::RouterQueue {
                        x,
                        y,
                        color: inj.color,
                    });
                }
                continue;
            }
            let w = Wavelet {
                payload: inj.payloads[inj.next],
                ready_at: now + 1,
                from: inj.port as u8,
            };
            self.rq.push(q as usize, w);
            self.rq_count[pe] += 1;
            self.ledger.injected += 1;
            *progress = true;
            let inj = &mut self.injectors[i];
            inj.next += 1;
            if inj.next == inj.payloads.len() {
                self.injectors_done += 1;
            }
        }
    }

    /// Compute phase of one PE. Returns whether the CE still has work after this cycle.
    fn compute_pe(
        &mut self,
        pe: usize,
        now: u64,
        progress: &mut bool,
        stall: &mut Option<Resource>,
    ) -> bool {
        if !self.ces[pe].has_work() && self.tq_count[pe] == 0 {
            self.counters[pe].idle += 1;
            return false;
        }
        let mut eff = CeEffects::default();
        let activity = {
            let Mesh {
                ces,
                tq_of,
                rq_of,
                tq,
                rq,
                tq_count,
                rq_count,
                ..
            } = self;
            let mut ramp = PeRamp {
                pe,
                now,
                tq_of,
                rq_of,
                tq,
                rq,
                tq_count: &mut tq_count[pe],
                rq_count: &mut rq_count[pe],
            };
            ces[pe].step(&mut ramp, &mut eff)
        };
        let cnt = &mut self.counters[pe];
        cnt.last_cycle = now;
        match activity {
            CeActivity::Busy => {
                cnt.busy += 1;
                cnt.last_state = PeState::Busy;
                *progress = true;
            }
            CeActivity::Stalled(color) => {
                cnt.stalled += 1;
                cnt.last_state = PeState::Stalled;
                if stall.is_none() {
                    let (x, y) = self.xy(pe);
                    *stall = Some(Resource::RouterQueue { x, y, color });
                }
            }
            CeActivity::Blocked(_) => {
                cnt.stalled += 1;
                cnt.last_state = PeState::Stalled;
                if stall.is_none() {
                    let (x, y) = self.xy(pe);
                    *stall = Some(Resource::BlockedTask { x, y });
                }
            }
            CeActivity::Idle => {
                cnt.idle += 1;
                cnt.last_state = PeState::Idle;
            }
        }
        if eff.sent {
            self.ledger.sent_by_ces += 1;
            *progress = true;
        }
        if eff.took {
            self.ledger.consumed += 1;
        }
        self.flops += eff.flops;
        self.sram_bytes += eff.sram_bytes;
        if let Some(task) = eff.started {
            self.counters[pe].tasks += 1;
            if self.config.trace_tasks && self.trace.enabled() {
                let (x, y) = self.xy(pe);
                self.trace.push(
                    Cycle(now),
                    EventKind::Wse(WseEvent::TaskStarted { x, y, task }),
                );
            }
        }
        if let Some(sample) = eff.partial_ready
            && self.trace.enabled()
            && self.config.trace_tasks
        {
            let (x, y) = self.xy(pe);
            self.trace.push(
                Cycle(now),
                EventKind::Wse(WseEvent::PartialReady { x, y, sample }),
            );
        }
        self.ces[pe].has_work() || self.tq_count[pe] > 0
    }

    /// Wavelets in queues, from the running counts.
    fn queued(&self) -> u64 {
        let l = &self.ledger;
        l.injected + l.sent_by_ces + l.multicast_copies - l.consumed - l.left_mesh
    }

    /// Whether nothing is left to do: no wavelet queued, no CE with work, no host data left.
    fn quiescent(&self) -> bool {
        self.queued() == 0
            && self.injectors_done == self.injectors.len()
            && !self.ces.iter().any(Ce::has_work)
    }

    /// A wavelet that waits in a task queue no task takes, as the resource a stuck run
    /// waits on.
    fn undrained_task_queue(&self) -> Option<Resource> {
        let pe = self.tq_count.iter().position(|&n| n > 0)?;
        let color = (0..NC).find(|&c| {
            let q = self.tq_of[pe * NC + c];
            q != NONE && self.tq.len[q as usize] > 0
        })?;
        let (x, y) = self.xy(pe);
        Some(Resource::TaskQueue {
            x,
            y,
            color: color as u8,
        })
    }

    /// Advances one cycle; see the module docs for the phases.
    ///
    /// A cycle in which nothing moved and no CE computed, while work remains, means nothing
    /// ever will (every change to the mesh's state is such progress): the mesh records the
    /// deadlock and [`Engine::run_until`] returns it at once, whatever the deadline.
    pub(super) fn step_inner(&mut self) -> StepOutcome {
        if self.finished || self.quiescent() {
            self.finished = true;
            return StepOutcome::Finished;
        }
        let now = self.now;
        let mut moved = false;
        let mut stall = None;
        let n = self.config.n_pes();
        for pe in 0..n {
            self.route_pe(pe, now, &mut moved, &mut stall);
        }
        self.inject(now, &mut moved, &mut stall);
        let mut ce_work = false;
        let mut computed = false;
        for pe in 0..n {
            ce_work |= self.compute_pe(pe, now, &mut computed, &mut stall);
        }
        let progress = moved || computed;
        let pending = self.queued() > 0 || ce_work || self.injectors_done < self.injectors.len();
        self.now += 1;
        if !pending {
            self.finished = true;
        }
        if computed {
            return StepOutcome::Running;
        }
        if !progress {
            // Work remains (the mesh was not quiescent) but nothing changed: stuck for good.
            let on = stall
                .or_else(|| self.undrained_task_queue())
                .unwrap_or(Resource::BlockedTask { x: 0, y: 0 });
            if self.deadlocked.is_none() {
                self.deadlocked = Some((now, on));
            }
            return StepOutcome::Stalled { on };
        }
        match stall {
            Some(on) => StepOutcome::Stalled { on },
            None => StepOutcome::Running,
        }
    }
}
