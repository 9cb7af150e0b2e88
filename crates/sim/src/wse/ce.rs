//! The compute engine (CE) of one PE and the programs it can run.
//!
//! A CE sees its router only through the narrow [`Ramp`] trait: it can look at and take the
//! wavelet at the head of each color's task queue, and offer a wavelet to the router. Tests
//! drive a CE with a fake ramp; the mesh gives it the real one.
//!
//! Task model (after the Cerebras SDK's data tasks): a data task is bound to a color and
//! runs when a wavelet is waiting on that color and the task is not blocked; its payload is
//! the task's argument. A local task runs when the CE's own state activates it. One task runs
//! at a time; a task that costs `c` cycles keeps the CE busy for `c` cycles. A task that
//! produces a wavelet leaves it in the CE's output slot; the slot is offered to the router on
//! the cycle after the task ends, and while the router refuses it (back-pressure) the CE is
//! stalled and starts nothing new.

use crate::units::Bytes;

/// What a CE sees of its router.
pub trait Ramp {
    /// Payload at the head of `color`'s task queue, if one has arrived by this cycle.
    fn peek(&self, color: u8) -> Option<u32>;
    /// Takes the head of `color`'s task queue (`None` if [`Ramp::peek`] would be `None`).
    fn take(&mut self, color: u8) -> Option<u32>;
    /// Whether the router will accept a wavelet on `color` from the CE this cycle.
    fn can_send(&self, color: u8) -> bool;
    /// Hands a wavelet to the router on `color`. Only call after [`Ramp::can_send`].
    fn send(&mut self, color: u8, payload: u32);
}

/// The block of a GEMV/MLP layer one PE owns, and its task state.
///
/// The PE holds `rows × cols` of the weight matrix. `x` elements arrive on `x_color`, one per
/// wavelet, `cols` per sample; each runs the data task `x-axpy`: `acc[s][r] += a[k][r] · x`
/// for all `rows` rows (`ceil(rows / fmacs_per_cycle)` cycles). After the last `x` of a
/// sample its partial sums are ready. Partial sums travel east: a PE with `in_color` runs the
/// data task `reduce` on each incoming partial (1 cycle: add its own, pass it on); this task
/// is blocked until the PE's own partial for that sample is ready. A PE without `in_color`
/// (the west column) runs the local task `send` for each ready row. The east column applies
/// the epilogue (bias, ReLU) before sending.
#[derive(Debug, Clone, PartialEq)]
pub struct GemvBlock {
    /// Color `x` arrives on.
    pub x_color: u8,
    /// Color partial sums arrive on from the west (`None` on the west column).
    pub in_color: Option<u8>,
    /// Color partial sums leave on, to the east.
    pub out_color: u8,
    /// Rows of the block (outputs this PE contributes to).
    pub rows: u32,
    /// Columns of the block (`x` elements this PE consumes per sample).
    pub cols: u32,
    /// Samples in the batch.
    pub batch: u32,
    /// Weights, column by column: `a[k · rows + r]`.
    pub a: Vec<f32>,
    /// Bias for the epilogue (east column only), `rows` long.
    pub bias: Option<Vec<f32>>,
    /// ReLU in the epilogue (east column only).
    pub relu: bool,
    /// Multiply-adds per cycle.
    pub fmacs_per_cycle: u32,
    /// Accumulators, `batch × rows`.
    pub acc: Vec<f32>,
    /// `x` wavelets consumed so far.
    pub x_taken: u64,
    /// Partial sums received from the west so far (or sent, on the west column).
    pub reduced: u64,
}

impl GemvBlock {
    /// Bytes of local memory the block needs: weights, accumulators, bias.
    #[must_use]
    pub fn memory(&self) -> Bytes {
        let words = u64::from(self.rows) * u64::from(self.cols)
            + u64::from(self.batch) * u64::from(self.rows)
            + self.bias.as_ref().map_or(0, |b| b.len() as u64);
        Bytes(4 * words)
    }

    /// Why the block's data does not match its shape, if it does not.
    #[must_use]
    pub fn inconsistency(&self) -> Option<String> {
        let (rows, cols, batch) = (self.rows as usize, self.cols as usize, self.batch as usize);
        if rows == 0 || cols == 0 || batch == 0 || self.fmacs_per_cycle == 0 {
            Some(
                "rows, columns, batch and multiply-adds per cycle must all be at least 1."
                    .to_owned(),
            )
        } else if self.a.len() != rows.saturating_mul(cols) {
            Some(format!(
                "it has {} weights for a {rows}×{cols} block.",
                self.a.len()
            ))
        } else if self.acc.len() != batch.saturating_mul(rows) {
            Some(format!(
                "it has {} accumulators for {batch} samples of {rows} rows.",
                self.acc.len()
            ))
        } else if self.bias.as_ref().is_some_and(|b| b.len() != rows) {
            Some(format!("its bias does not have {rows} values."))
        } else if self.in_color == Some(self.x_color) || self.out_color == self.x_color {
            Some("x and the partial sums need different colors.".to_owned())
        } else {
            None
        }
    }

    /// Samples whose partial sums are complete on this PE.
    fn samples_ready(&self) -> u64 {
        self.x_taken / u64::from(self.cols)
    }

    fn total_rows(&self) -> u64 {
        u64::from(self.batch) * u64::from(self.rows)
    }

    /// The east column's epilogue (identity elsewhere).
    fn epilogue(&self, row: usize, v: f32, eff: &mut CeEffects) -> f32 {
        let mut v = v;
        if let Some(b) = &self.bias {
            v += b[row];
            eff.flops += 1;
        }
        if self.relu {
            v = v.max(0.0);
            eff.flops += 1;
        }
        v
    }
}

/// What a CE runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Program {
    /// Nothing.
    Empty,
    /// Consumes every wavelet on `color`, `cost` cycles each, and keeps the payloads.
    Sink {
        /// Color consumed.
        color: u8,
        /// Cycles per wavelet (at least 1).
        cost: u32,
        /// Payloads received, in order.
        received: Vec<u32>,
    },
    /// Sends `payloads` on `color`, one per task (a local task, 1 cycle each).
    Source {
        /// Color sent on.
        color: u8,
        /// Payloads to send, in order.
        payloads: Vec<u32>,
        /// How many were sent.
        next: usize,
    },
    /// A block of a GEMV or MLP layer.
    Gemv(Box<GemvBlock>),
}

impl Program {
    /// Local memory the program needs.
    #[must_use]
    pub fn memory(&self) -> Bytes {
        match self {
            Program::Empty => Bytes::ZERO,
            Program::Sink { received, .. } => Bytes(4 * received.capacity() as u64),
            Program::Source { payloads, .. } => Bytes(4 * payloads.len() as u64),
            Program::Gemv(g) => g.memory(),
        }
    }

    /// Whether a local task is activated (work the CE can do without a new wavelet).
    #[must_use]
    pub fn has_local_work(&self) -> bool {
        match self {
            Program::Source { payloads, next, .. } => *next < payloads.len(),
            Program::Gemv(g) => {
                g.in_color.is_none() && g.reduced < g.samples_ready() * u64::from(g.rows)
            }
            Program::Empty | Program::Sink { .. } => false,
        }
    }

    /// Colors whose wavelets this program consumes.
    #[must_use]
    pub fn input_colors(&self) -> Vec<u8> {
        match self {
            Program::Sink { color, .. } => vec![*color],
            Program::Gemv(g) => std::iter::once(g.x_color).chain(g.in_color).collect(),
            Program::Empty | Program::Source { .. } => vec![],
        }
    }
}

/// What one CE cycle did, for the mesh's counters and trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CeEffects {
    /// FLOPs done.
    pub flops: u64,
    /// Local-memory bytes read or written.
    pub sram_bytes: u64,
    /// A wavelet was handed to the router.
    pub sent: bool,
    /// A wavelet was taken from a task queue.
    pub took: bool,
    /// A task started (its label).
    pub started: Option<&'static str>,
    /// A sample's partial sums became ready on this PE.
    pub partial_ready: Option<u32>,
}

/// How a CE spent one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeActivity {
    /// Nothing to do.
    Idle,
    /// Running a task.
    Busy,
    /// Waiting for the router to take its output wavelet on this color.
    Stalled(u8),
    /// A wavelet waits on this color but its task is blocked.
    Blocked(u8),
}

/// A compute engine: its program and the state of the task in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Ce {
    /// The program.
    pub program: Program,
    /// Cycles still to run of the current task, after the current cycle.
    busy_left: u32,
    /// Output wavelet waiting for the router: (color, payload).
    out_slot: Option<(u8, u32)>,
    /// Label of the task in progress (or last run).
    task: Option<&'static str>,
}

impl Ce {
    /// A CE that will run `program`.
    #[must_use]
    pub fn new(program: Program) -> Self {
        Self {
            program,
            busy_left: 0,
            out_slot: None,
            task: None,
        }
    }

    /// Label of the task running (or whose output waits), if any.
    #[must_use]
    pub fn active_task(&self) -> Option<&'static str> {
        if self.busy_left > 0 || self.out_slot.is_some() {
            self.task
        } else {
            None
        }
    }

    /// Whether the CE needs a cycle even with no wavelet waiting.
    #[must_use]
    pub fn has_work(&self) -> bool {
        self.busy_left > 0 || self.out_slot.is_some() || self.program.has_local_work()
    }

    /// Wavelets held in the output slot (0 or 1).
    #[must_use]
    pub fn out_slot_len(&self) -> u64 {
        u64::from(self.out_slot.is_some())
    }

    /// Runs one cycle.
    pub fn step(&mut self, ramp: &mut impl Ramp, eff: &mut CeEffects) -> CeActivity {
        if self.busy_left > 0 {
            self.busy_left -= 1;
            return CeActivity::Busy;
        }
        if let Some((color, payload)) = self.out_slot {
            if !ramp.can_send(color) {
                return CeActivity::Stalled(color);
            }
            ramp.send(color, payload);
            eff.sent = true;
            self.out_slot = None;
        }
        match &mut self.program {
            Program::Empty => CeActivity::Idle,
            Program::Sink {
                color,
                cost,
                received,
            } => match ramp.take(*color) {
                Some(p) => {
                    eff.took = true;
                    received.push(p);
                    self.task = Some("sink");
                    eff.started = self.task;
                    self.busy_left = cost.saturating_sub(1);
                    CeActivity::Busy
                }
                None => CeActivity::Idle,
            },
            Program::Source {
                color,
                payloads,
                next,
            } => {
                if *next < payloads.len() {
                    self.out_slot = Some((*color, payloads[*next]));
                    *next += 1;
                    self.task = Some("source");
                    eff.started = self.task;
                    CeActivity::Busy
                } else {
                    CeActivity::Idle
                }
            }
            Program::Gemv(g) => match gemv_step(g, ramp, eff) {
                GemvChoice::Start { label, cost, out } => {
                    self.task = Some(label);
                    eff.started = Some(label);
                    self.out_slot = out;
                    self.busy_left = cost - 1;
                    CeActivity::Busy
                }
                GemvChoice::Blocked(color) => CeActivity::Blocked(color),
                GemvChoice::Idle => CeActivity::Idle,
            },
        }
    }
}

/// What a GEMV block's CE does on a free cycle.
enum GemvChoice {
    /// Starts task `label`, busy for `cost` cycles (at least 1), leaving `out` for the router.
    Start {
        label: &'static str,
        cost: u32,
        out: Option<(u8, u32)>,
    },
    /// A partial sum waits on this color but the reduce task is blocked.
    Blocked(u8),
    /// Nothing to do.
    Idle,
}

/// One task choice of a GEMV block. Reduction work first (it drains the pipeline toward the
/// output), then `x`. The task's effect on the data happens now; its cost is the cycles the
/// CE stays busy.
fn gemv_step(g: &mut GemvBlock, ramp: &mut impl Ramp, eff: &mut CeEffects) -> GemvChoice {
    let rows = u64::from(g.rows);
    let mut blocked = None;
    // 1. reduce (data task on in_color) or send (local task on the west column).
    if g.reduced < g.total_rows() {
        let sample = g.reduced / rows;
        let row = (g.reduced % rows) as usize;
        let own_ready = sample < g.samples_ready();
        let idx = sample as usize * g.rows as usize + row;
        match g.in_color {
            Some(c) => {
                if ramp.peek(c).is_some() {
                    if own_ready {
                        let incoming = ramp.take(c).map_or(0.0, f32::from_bits);
                        eff.took = true;
                        let v = incoming + g.acc[idx];
                        eff.flops += 1;
                        eff.sram_bytes += 4;
                        let v = g.epilogue(row, v, eff);
                        g.reduced += 1;
                        let out = Some((g.out_color, v.to_bits()));
                        return GemvChoice::Start {
                            label: "reduce",
                            cost: 1,
                            out,
                        };
                    }
                    blocked = Some(c);
                }
            }
            None => {
                if own_ready {
                    let v = g.epilogue(row, g.acc[idx], eff);
                    eff.sram_bytes += 4;
                    g.reduced += 1;
                    let out = Some((g.out_color, v.to_bits()));
                    return GemvChoice::Start {
                        label: "send",
                        cost: 1,
                        out,
                    };
                }
            }
        }
    }
    // 2. x-axpy (data task on x_color).
    let x_total = u64::from(g.batch) * u64::from(g.cols);
    if g.x_taken < x_total
        && let Some(bits) = ramp.take(g.x_color)
    {
        eff.took = true;
        let x = f32::from_bits(bits);
        let cols = u64::from(g.cols);
        let sample = (g.x_taken / cols) as usize;
        let k = (g.x_taken % cols) as usize;
        let r_n = g.rows as usize;
        let acc = &mut g.acc[sample * r_n..(sample + 1) * r_n];
        let col = &g.a[k * r_n..(k + 1) * r_n];
        for (acc_r, &a_r) in acc.iter_mut().zip(col) {
            *acc_r += a_r * x;
        }
        eff.flops += 2 * rows;
        // Per multiply-add: read a, read acc, write acc.
        eff.sram_bytes += 12 * rows;
        g.x_taken += 1;
        if g.x_taken.is_multiple_of(cols) {
            eff.partial_ready = Some(u32::try_from(sample).unwrap_or(u32::MAX));
        }
        let cost = g.rows.div_ceil(g.fmacs_per_cycle);
        return GemvChoice::Start {
            label: "x-axpy",
            cost,
            out: None,
        };
    }
    match blocked {
        Some(c) => GemvChoice::Blocked(c),
        None => GemvChoice::Idle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A stand-in router: unbounded task queues per color, an output list, and a switch
    /// that refuses sends.
    #[derive(Default)]
    struct FakeRamp {
        queues: Vec<VecDeque<u32>>,
        sent: Vec<(u8, u32)>,
        refuse: bool,
    }

    impl FakeRamp {
        fn with(color: u8, payloads: &[u32]) -> Self {
            let mut r = FakeRamp {
                queues: vec![VecDeque::new(); 24],
                ..Default::default()
            };
            r.queues[color as usize].extend(payloads);
            r
        }
    }

    impl Ramp for FakeRamp {
        fn peek(&self, color: u8) -> Option<u32> {
            self.queues[color as usize].front().copied()
        }
        fn take(&mut self, color: u8) -> Option<u32> {
            self.queues[color as usize].pop_front()
        }
        fn can_send(&self, _color: u8) -> bool {
            !self.refuse
        }
        fn send(&mut self, color: u8, payload: u32) {
            self.sent.push((color, payload));
        }
    }

    fn block(in_color: Option<u8>) -> GemvBlock {
        GemvBlock {
            x_color: 0,
            in_color,
            out_color: 2,
            rows: 2,
            cols: 2,
            batch: 1,
            // a[k][r]: column 0 = [1, 2], column 1 = [3, 4].
            a: vec![1.0, 2.0, 3.0, 4.0],
            bias: None,
            relu: false,
            fmacs_per_cycle: 1,
            acc: vec![0.0; 2],
            x_taken: 0,
            reduced: 0,
        }
    }

    #[test]
    fn west_gemv_block_computes_then_sends_with_hand_counted_cycles() {
        // x = [1, 10]. Cycle 0: x-axpy (2 rows → 2 cycles: 0, 1). Cycle 2: x-axpy (2, 3).
        // Cycle 4: send row 0 (busy). Cycle 5: slot goes to router; send row 1. Cycle 6: slot
        // goes out. y = [1·1 + 3·10, 2·1 + 4·10] = [31, 42].
        let mut ce = Ce::new(Program::Gemv(Box::new(block(None))));
        let mut ramp = FakeRamp::with(0, &[1.0f32.to_bits(), 10.0f32.to_bits()]);
        let mut acts = Vec::new();
        for _ in 0..8 {
            let mut eff = CeEffects::default();
            acts.push(ce.step(&mut ramp, &mut eff));
        }
        use CeActivity::*;
        assert_eq!(acts, [Busy, Busy, Busy, Busy, Busy, Busy, Idle, Idle]);
        let ys: Vec<f32> = ramp.sent.iter().map(|&(_, b)| f32::from_bits(b)).collect();
        assert_eq!(ys, [31.0, 42.0]);
        assert!(ramp.sent.iter().all(|&(c, _)| c == 2));
    }

    #[test]
    fn reduce_task_is_blocked_until_own_partial_is_ready_and_back_pressure_stalls() {
        let mut ce = Ce::new(Program::Gemv(Box::new(block(Some(1)))));
        let mut ramp = FakeRamp::with(1, &[100.0f32.to_bits()]);
        let mut eff = CeEffects::default();
        // A partial from the west waits, but no x arrived yet: blocked.
        assert_eq!(ce.step(&mut ramp, &mut eff), CeActivity::Blocked(1));
        ramp.queues[0].extend([1.0f32.to_bits(), 10.0f32.to_bits()]);
        for _ in 0..4 {
            let _ = ce.step(&mut ramp, &mut eff);
        }
        // Partial ready: reduce runs, output waits in the slot.
        assert_eq!(ce.step(&mut ramp, &mut eff), CeActivity::Busy);
        ramp.refuse = true;
        assert_eq!(ce.step(&mut ramp, &mut eff), CeActivity::Stalled(2));
        ramp.refuse = false;
        let _ = ce.step(&mut ramp, &mut eff);
        assert_eq!(ramp.sent, vec![(2, 131.0f32.to_bits())]);
    }
}
