//! A compiled Groq program as public data: every instruction with its slice, port and issue
//! cycle, every vector's stream and arrival cycle, where each tensor lives in MEM, and each
//! op's span of the schedule. [`super::compile()`] makes one; [`super::run`] replays it.

use std::fmt;

use super::config::SliceKind;
use crate::units::{Bytes, Cycle};
use crate::workload::TensorId;

/// Which port of a slice an instruction uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// A functional slice's one issue port.
    Main,
    /// A MEM slice's read port.
    Read,
    /// A MEM slice's write port.
    Write,
}

impl Port {
    /// The port's slot in a slice's table of ports (the compiler's bookkeeping).
    pub(super) fn index(self) -> usize {
        match self {
            Self::Main | Self::Read => 0,
            Self::Write => 1,
        }
    }
}

/// What an instruction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mnemonic {
    /// MEM: read vectors onto a stream.
    Read,
    /// MEM: write vectors arriving on a stream.
    Write,
    /// MXM: load a block of weight rows arriving on a stream.
    LoadWeights,
    /// MXM: multiply the activation rows arriving by the loaded weights, accumulating.
    Multiply,
    /// VXM: elementwise add.
    Add,
    /// VXM: elementwise multiply.
    Mul,
    /// VXM: ReLU.
    Relu,
    /// VXM: GELU.
    Gelu,
    /// SXM: reduce each vector across its lanes (a row's maximum and sum, or mean).
    Reduce,
    /// VXM: keep each row's statistics.
    RowStats,
    /// VXM: softmax of each row with its statistics.
    Softmax,
    /// VXM: layer-normalise each row with its statistics.
    Normalise,
}

impl Mnemonic {
    /// The instruction's short name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::LoadWeights => "load weights",
            Self::Multiply => "multiply",
            Self::Add => "add",
            Self::Mul => "mul",
            Self::Relu => "relu",
            Self::Gelu => "gelu",
            Self::Reduce => "reduce across lanes",
            Self::RowStats => "row statistics",
            Self::Softmax => "softmax rows",
            Self::Normalise => "normalise rows",
        }
    }
}

/// The values an instruction computes on each vector (the run's arithmetic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Moves or reduces data; no output values of its own.
    None,
    /// Vector `i` is row `i` of a matmul job: `out[b, i, n0..n0+n_len] += a[b, i, k0..k0+k_len] · w[k0.., n0..]`.
    MatMulRows {
        /// Op index.
        op: usize,
        /// Product index.
        batch_idx: u64,
        /// First output column of the block.
        n0: u64,
        /// Columns of the block.
        n_len: u64,
        /// First reduction row of the block.
        k0: u64,
        /// Reduction rows of the block.
        k_len: u64,
    },
    /// Vector `i` is elements `i·V .. (i+1)·V` of an elementwise op's output.
    Elementwise {
        /// Op index.
        op: usize,
    },
    /// Vector `i` starts row `i / vectors_per_row` of a softmax or layer norm when it is the
    /// row's first vector.
    Rows {
        /// Op index.
        op: usize,
        /// Vectors per row.
        vectors_per_row: u64,
    },
}

/// One instruction of the schedule: it issues on superlane 0 of `slice` at `issue` and
/// handles `count` vectors, one per cycle (superlane `s` does the same `s` cycles later).
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// Slice index, west to east.
    pub slice: u32,
    /// Port used.
    pub port: Port,
    /// Issue cycle on superlane 0.
    pub issue: Cycle,
    /// Vectors handled, one per cycle.
    pub count: u64,
    /// Cycles from a vector entering to its result leaving (or landing, for a write).
    pub latency: Cycle,
    /// Op it belongs to.
    pub op: usize,
    /// What it does.
    pub mnemonic: Mnemonic,
    /// The tensor it reads, writes or loads, if any.
    pub tensor: Option<TensorId>,
    /// First vector of that tensor (a row index for matmul operands).
    pub first_vector: u64,
    /// The stream transfer it sends its vectors on.
    pub sends: Option<usize>,
    /// The stream transfer whose vectors it consumes on arrival.
    pub receives: Option<usize>,
    /// Values it computes.
    pub work: Work,
}

impl Instruction {
    /// The cycle after its last vector's result is out on the last superlane.
    #[must_use]
    pub fn completes(&self, n_superlanes: u32) -> Cycle {
        Cycle(self.issue.0 + self.count + self.latency.0 + u64::from(n_superlanes) - 1)
    }

    /// Whether superlane `s` of its slice works on it at `cycle`.
    #[must_use]
    pub fn active_on(&self, superlane: u32, cycle: Cycle) -> bool {
        let start = self.issue.0 + u64::from(superlane);
        (start..start + self.count).contains(&cycle.0)
    }
}

/// Vectors moving on one stream register from one slice to another, one slice per cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// Slice the vectors leave.
    pub from: u32,
    /// Slice that consumes them.
    pub to: u32,
    /// Stream register index (per direction).
    pub stream: u32,
    /// Eastward (towards higher slice indices) or westward.
    pub east: bool,
    /// Cycle the first vector leaves `from` on superlane 0.
    pub depart: Cycle,
    /// Vectors, one per cycle.
    pub count: u64,
}

impl Transfer {
    /// Slices travelled.
    #[must_use]
    pub fn distance(&self) -> u64 {
        u64::from(self.from.abs_diff(self.to))
    }

    /// Cycle the first vector reaches `to` on superlane 0.
    #[must_use]
    pub fn arrival(&self) -> Cycle {
        Cycle(self.depart.0 + self.distance())
    }
}

/// Where a tensor lives.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The tensor's name.
    pub name: String,
    /// MEM slice index.
    pub slice: u32,
    /// Bytes it takes (whole vectors).
    pub bytes: Bytes,
    /// Vectors it takes.
    pub vectors: u64,
    /// Cycle its last vector has landed on superlane 0 (0 for inputs and weights, which are
    /// in memory before the program starts).
    pub ready: Cycle,
}

/// One op as scheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct OpSchedule {
    /// The op's name.
    pub name: String,
    /// Its kind ("matmul").
    pub label: &'static str,
    /// First issue.
    pub start: Cycle,
    /// The cycle after its output has landed on every superlane.
    pub end: Cycle,
    /// Chains it was lowered to.
    pub chains: usize,
    /// Instructions.
    pub instructions: usize,
}

/// Where a tensor is at one cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TensorWhere {
    /// Not written yet.
    NotYetWritten {
        /// The MEM slice it will land in.
        slice: u32,
    },
    /// Being written into its MEM slice.
    Landing {
        /// MEM slice.
        slice: u32,
    },
    /// In its MEM slice; `streams` lists the (stream, eastward) registers carrying copies.
    InMemory {
        /// MEM slice.
        slice: u32,
        /// Streams carrying copies of some of its vectors.
        streams: Vec<(u32, bool)>,
    },
}

/// The compiled program: the chip's row of slices and the whole schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct GroqProgram {
    /// Slices west to east.
    pub slices: Vec<SliceKind>,
    /// Superlanes.
    pub n_superlanes: u32,
    /// Elements per vector.
    pub vector_len: u64,
    /// Every instruction, by issue cycle (then slice).
    pub instructions: Vec<Instruction>,
    /// Every stream transfer.
    pub transfers: Vec<Transfer>,
    /// Every tensor's MEM slice, by tensor index.
    pub placements: Vec<Placement>,
    /// Every op as scheduled, by op index.
    pub ops: Vec<OpSchedule>,
    /// Bytes used per slice (non-zero for MEM slices only).
    pub mem_used: Vec<Bytes>,
    /// Capacity of a MEM slice.
    pub mem_slice_bytes: Bytes,
    /// The program's length: the run ends exactly here.
    pub length: Cycle,
}

impl GroqProgram {
    /// The name a learner reads for slice `idx`: "MXM 0", "SXM W", "MEM 12", "VXM".
    #[must_use]
    pub fn slice_name(&self, idx: u32) -> String {
        slice_name(&self.slices, idx)
    }

    /// An instruction in words.
    #[must_use]
    pub fn describe(&self, instr: &Instruction) -> String {
        let tensor = instr
            .tensor
            .and_then(|t| self.placements.get(t.0))
            .map_or("", |p| p.name.as_str());
        let stream = |t: Option<usize>| {
            t.and_then(|i| self.transfers.get(i)).map(|t| {
                format!(
                    "{} stream {}",
                    if t.east { "eastward" } else { "westward" },
                    t.stream
                )
            })
        };
        let span = if instr.count == 1 {
            format!("vector {}", instr.first_vector)
        } else {
            format!(
                "vectors {} to {}",
                instr.first_vector,
                instr.first_vector + instr.count - 1
            )
        };
        match instr.mnemonic {
            Mnemonic::Read => format!(
                "read {tensor} {span} onto the {}",
                stream(instr.sends).unwrap_or_default()
            ),
            Mnemonic::Write => format!(
                "write {span} of {tensor} from the {}",
                stream(instr.receives).unwrap_or_default()
            ),
            Mnemonic::LoadWeights => format!(
                "load {} weight rows of {tensor} from the {}",
                instr.count,
                stream(instr.receives).unwrap_or_default()
            ),
            m => {
                let from = stream(instr.receives)
                    .map(|s| format!(" arriving on the {s}"))
                    .unwrap_or_default();
                let to = stream(instr.sends)
                    .map(|s| format!(", results onto the {s}"))
                    .unwrap_or_default();
                format!("{} {} vectors{from}{to}", m.name(), instr.count)
            }
        }
    }

    /// Where tensor `t` is at `cycle`: not yet written, landing, or in memory (with the
    /// streams carrying copies of it).
    #[must_use]
    pub fn tensor_at(&self, t: TensorId, cycle: Cycle) -> Option<TensorWhere> {
        let p = self.placements.get(t.0)?;
        let writes = self
            .instructions
            .iter()
            .filter(|i| i.mnemonic == Mnemonic::Write && i.tensor == Some(t));
        let first_write = writes.map(|i| i.issue).min();
        if let Some(first) = first_write
            && cycle < first
        {
            return Some(TensorWhere::NotYetWritten { slice: p.slice });
        }
        if cycle < p.ready {
            return Some(TensorWhere::Landing { slice: p.slice });
        }
        let streams = self
            .instructions
            .iter()
            .filter(|i| i.mnemonic == Mnemonic::Read && i.tensor == Some(t))
            .filter_map(|i| i.sends.and_then(|s| self.transfers.get(s)))
            .filter(|tr| {
                let end = tr.depart.0 + tr.count + tr.distance() + u64::from(self.n_superlanes);
                (tr.depart.0..end).contains(&cycle.0)
            })
            .map(|tr| (tr.stream, tr.east))
            .collect();
        Some(TensorWhere::InMemory {
            slice: p.slice,
            streams,
        })
    }

    /// Busy cycles of each slice's ports over the whole program (superlane 0).
    #[must_use]
    pub fn busy_per_slice(&self) -> Vec<u64> {
        let mut busy = vec![0u64; self.slices.len()];
        for i in &self.instructions {
            if let Some(b) = busy.get_mut(i.slice as usize) {
                *b += i.count;
            }
        }
        busy
    }
}

/// The name of slice `idx` of a row: kind and index among its kind, west to east.
#[must_use]
pub fn slice_name(slices: &[SliceKind], idx: u32) -> String {
    let Some(kind) = slices.get(idx as usize) else {
        return format!("slice {idx}");
    };
    if *kind == SliceKind::Vxm {
        return "VXM".to_owned();
    }
    let nth = slices[..idx as usize].iter().filter(|k| *k == kind).count();
    format!("{kind} {nth}")
}

impl fmt::Display for GroqProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} instructions on {} slices, {} cycles",
            self.instructions.len(),
            self.slices.len(),
            self.length.0
        )?;
        for i in &self.instructions {
            writeln!(
                f,
                "  {:>7} {:<8} {}",
                i.issue.0,
                self.slice_name(i.slice),
                self.describe(i)
            )?;
        }
        Ok(())
    }
}
