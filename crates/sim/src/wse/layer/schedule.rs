//! The schedule of a load or row phase: when each PE's data arrives, when each row task
//! runs and when each result leaves, from one wavelet per cycle per link and one hop per
//! cycle; replayed cycle by cycle by [`super::LayerRun`].

use crate::units::Bytes;
use crate::wse::config::WseConfig;
use crate::wse::gemv::split_even;
use crate::wse::mesh::{Port, WaveletView};

/// A scheduled phase (load or row tasks): every PE's busy intervals, replayed cycle by cycle.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scheduled {
    /// Cycles into the phase.
    pub(super) now: u64,
    /// Cycles the phase takes.
    pub(super) end: u64,
    /// Per PE, its task intervals `[start, end)`, in order.
    pub(super) busy: Vec<Vec<(u64, u64)>>,
    /// Per PE, the cycle its data (all of it) has arrived.
    pub(super) arrived: Vec<u64>,
    /// Per PE, the memory the phase's data takes there.
    pub(super) memory: Vec<Bytes>,
    /// Per PE, rows (row phase) or words (load phase) it holds.
    pub(super) share: Vec<u64>,
    /// Task label.
    pub(super) task: &'static str,
    /// FLOPs the phase does.
    pub(super) flops: u64,
    /// Word-hops on the fabric, counted when the phase ends.
    pub(super) word_hops: u64,
    /// Local-memory bytes read and written.
    pub(super) sram_bytes: u64,
    /// Streams of wavelets entering the mesh, for the picture.
    pub(super) streams: Vec<Stream>,
    /// Rows of results travelling back west, for the picture.
    pub(super) returns: Vec<Return>,
}

/// A stream of wavelets entering one mesh row (eastward) or column (southward) through its
/// edge link, one per cycle from cycle 0: wavelet `w` is in the router `p` hops in at cycle
/// `w + p`, until it reaches its PE.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stream {
    /// The mesh row (eastward) or column (southward).
    line: u32,
    /// Southward (an operand load) or eastward (a row phase's inputs).
    south: bool,
    /// In sending order: (end of the PE's wavelets, exclusive; the PE's column or row).
    ends: Vec<(u64, u32)>,
}

/// One row's results on their way west: they leave PE `x` when its task ends and leave the
/// mesh through the west edge link by `leaves`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Return {
    done: u64,
    x: u32,
    y: u32,
    leaves: u64,
}

/// Color a scheduled phase's incoming wavelets are drawn in (rows or an operand).
pub const DRAWN_IN_COLOR: u8 = 3;
/// Color a row phase's results are drawn in, on their way back west.
pub const DRAWN_OUT_COLOR: u8 = 4;

impl Scheduled {
    /// The wavelets in routers on cycle `t`, as the picture shows them (at most `limit`, all
    /// when 0); returns how many there are.
    pub(super) fn wavelets_into(&self, t: u64, limit: usize, out: &mut Vec<WaveletView>) -> u64 {
        let mut n = 0u64;
        let mut push = |v: WaveletView| {
            n += 1;
            if limit == 0 || out.len() < limit {
                out.push(v);
            }
        };
        for st in &self.streams {
            let reach = st.ends.iter().map(|&(_, d)| d).max().unwrap_or(0);
            for p in 0..=reach {
                let Some(w) = t.checked_sub(u64::from(p)) else {
                    break;
                };
                let k = st.ends.partition_point(|&(e, _)| e <= w);
                if st.ends.get(k).is_some_and(|&(_, d)| d >= p) {
                    push(if st.south {
                        WaveletView {
                            x: st.line,
                            y: p,
                            color: DRAWN_IN_COLOR,
                            from: Port::North,
                        }
                    } else {
                        WaveletView {
                            x: p,
                            y: st.line,
                            color: DRAWN_IN_COLOR,
                            from: Port::West,
                        }
                    });
                }
            }
        }
        for r in &self.returns {
            if r.done <= t && t < r.leaves {
                let hops = (t - r.done).min(u64::from(r.x)) as u32;
                push(WaveletView {
                    x: r.x - hops,
                    y: r.y,
                    color: DRAWN_OUT_COLOR,
                    from: if hops == 0 { Port::Ramp } else { Port::East },
                });
            }
        }
        n
    }

    pub(super) fn finished(&self) -> bool {
        self.now >= self.end
    }

    pub(super) fn run_until(&mut self, deadline: u64) {
        self.now = self.now.max(deadline.min(self.end));
    }

    /// Busy cycles of PE `pe` before cycle `t`.
    pub(super) fn busy_before(&self, pe: usize, t: u64) -> u64 {
        self.busy[pe]
            .iter()
            .map(|&(s, e)| e.min(t).saturating_sub(s))
            .sum()
    }

    pub(super) fn is_busy_at(&self, pe: usize, t: u64) -> bool {
        self.busy[pe].iter().any(|&(s, e)| s <= t && t < e)
    }

    /// The load of a `ph × pw` grid of blocks (`words[j][i]`), each column's blocks entering
    /// through its north edge link, farthest PE first.
    pub(super) fn load(config: &WseConfig, words: &[Vec<u64>]) -> Self {
        let (w, n) = (config.width as usize, config.n_pes());
        let mut s = Self::empty(n, "receive operand");
        let pw = words.first().map_or(0, Vec::len);
        for i in 0..pw {
            let mut sent = 0u64;
            let mut stream = Stream {
                line: i as u32,
                south: true,
                ends: Vec::new(),
            };
            for (j, row) in words.iter().enumerate().rev() {
                let pe = j * w + i;
                let count = row[i];
                sent += count;
                // The last of its wavelets entered on cycle `sent - 1` and takes j + 1 hops.
                let arrival = sent + j as u64;
                s.arrived[pe] = arrival;
                s.end = s.end.max(arrival + 1);
                s.memory[pe] = Bytes(4 * count);
                s.share[pe] = count;
                s.word_hops += count * (j as u64 + 1);
                s.sram_bytes += 4 * count;
                stream.ends.push((sent, j as u32));
            }
            s.streams.push(stream);
        }
        s
    }

    fn empty(n: usize, task: &'static str) -> Self {
        Self {
            now: 0,
            end: 0,
            busy: vec![Vec::new(); n],
            arrived: vec![0; n],
            memory: vec![Bytes::ZERO; n],
            share: vec![0; n],
            task,
            flops: 0,
            word_hops: 0,
            sram_bytes: 0,
            streams: Vec::new(),
            returns: Vec::new(),
        }
    }

    /// The row tasks of an op of `rows × cols` elements with `n_in` input words each.
    pub(super) fn rows(
        config: &WseConfig,
        rows: usize,
        cols: usize,
        n_in: usize,
        costs: (u64, u64),
        task: &'static str,
        flops: u64,
    ) -> Self {
        let (w, n) = (config.width as usize, config.n_pes());
        let mut s = Self::empty(n, task);
        s.flops = flops;
        let row_cost = cols as u64 * costs.0 + costs.1;
        let (cols64, n_in64) = (cols as u64, n_in as u64);
        let mesh_rows = split_even(rows, rows.min(config.height as usize).max(1));
        for (j, &(_, rows_j)) in mesh_rows.iter().enumerate() {
            let shares = split_even(rows_j, rows_j.min(w).max(1));
            // Inputs: farthest PE first through the west link, one wavelet per cycle.
            let mut sent = 0u64;
            let mut stream = Stream {
                line: j as u32,
                south: false,
                ends: Vec::new(),
            };
            // Results reaching the west edge: (cycle, column, words).
            let mut out: Vec<(u64, usize, u64)> = Vec::new();
            for (i, &(_, r_i)) in shares.iter().enumerate().rev() {
                let pe = j * w + i;
                let i64_ = i as u64;
                let mut done = 0u64;
                for _ in 0..r_i {
                    sent += cols64 * n_in64;
                    // The row's last wavelet entered on cycle `sent - 1`, then i + 1 hops.
                    let arrived = sent + i64_;
                    let start = arrived.max(done);
                    done = start + row_cost;
                    s.busy[pe].push((start, done));
                    out.push((done + i64_, i, cols64));
                }
                s.arrived[pe] = sent + i64_;
                let r = r_i as u64;
                s.share[pe] = r;
                s.memory[pe] = Bytes(4 * r * cols64 * (n_in64 + 1));
                s.word_hops += r * cols64 * (n_in64 + 1) * (i64_ + 1);
                // Per element: inputs written from the fabric and read, the result written
                // and read to send.
                s.sram_bytes += 4 * r * cols64 * (2 * n_in64 + 2);
                stream.ends.push((sent, i as u32));
            }
            s.streams.push(stream);
            out.sort_unstable();
            let mut free = 0u64;
            for (ready, i, words) in out {
                free = free.max(ready) + words;
                s.returns.push(Return {
                    done: ready - i as u64,
                    x: i as u32,
                    y: j as u32,
                    leaves: free,
                });
            }
            s.end = s.end.max(free);
        }
        s
    }
}
