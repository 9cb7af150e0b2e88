//! A compiled IPU program as public data: the supersteps (every tile's vertices, the
//! transfers of each exchange and their cycles), where each op was placed ([`OpSplit`]), and
//! each tile's memory. [`super::compile()`] makes one; [`super::run`] replays it.

use crate::units::{Bytes, Cycle};
use crate::workload::TensorId;

/// Items (layout pieces, ranges, transfers, vertices) a program may hold.
pub const MAX_PROGRAM_ITEMS: u64 = 4_000_000;
/// Bytes of this page's memory an item costs, roughly (for the budget sentence).
pub const BYTES_PER_ITEM: u64 = 48;
/// Bytes of this page's memory a tile's record in one superstep costs, roughly.
pub const BYTES_PER_TILE_STEP: u64 = 144;
/// Memory budget of a simulation in the page (program and values).
pub use crate::budget::HOST_MEMORY_BUDGET;

/// How a GEMM is cut over tiles: `m_parts × k_parts × n_parts` blocks, one per tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GemmSplit {
    /// Parts of the output rows `m`.
    pub m_parts: u32,
    /// Parts of the reduction `k` (more than 1 needs a reduce superstep).
    pub k_parts: u32,
    /// Parts of the output columns `n`.
    pub n_parts: u32,
}

impl GemmSplit {
    /// Tiles used.
    #[must_use]
    pub fn tiles(&self) -> u64 {
        u64::from(self.m_parts) * u64::from(self.k_parts) * u64::from(self.n_parts)
    }
}

/// How one op was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpSplit {
    /// A GEMM grid.
    Gemm(GemmSplit),
    /// A batched GEMM (one product per attention head): the products cut into
    /// `batch_parts` groups of consecutive products, each group on its own
    /// `split.tiles()` tiles, where it is cut like one GEMM (a tile computes its block of
    /// every product in its group).
    BatchedGemm {
        /// Groups of products, each on its own tiles.
        batch_parts: u32,
        /// How each group's products are cut.
        split: GemmSplit,
    },
    /// Even contiguous blocks of the output over `parts` tiles.
    Blocks {
        /// Tiles used.
        parts: u32,
    },
}

impl OpSplit {
    /// The GEMM grid of a matmul or convolution (of each group, for a batched one).
    #[must_use]
    pub fn gemm(&self) -> Option<GemmSplit> {
        match *self {
            Self::Gemm(s) | Self::BatchedGemm { split: s, .. } => Some(s),
            Self::Blocks { .. } => None,
        }
    }

    /// Tiles the op computes on.
    #[must_use]
    pub fn tiles(&self) -> u64 {
        match *self {
            Self::Gemm(s) => s.tiles(),
            Self::BatchedGemm { batch_parts, split } => u64::from(batch_parts) * split.tiles(),
            Self::Blocks { parts } => u64::from(parts),
        }
    }
}

/// One op of the workload as placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpMapping {
    /// Op name.
    pub name: String,
    /// Kind ("gemv", "conv2d", "relu", ...).
    pub label: &'static str,
    /// How it was cut.
    pub split: OpSplit,
    /// FLOPs of the op as the workload counts them.
    pub flops: u64,
    /// Superstep whose compute phase runs it (the partial sums, for a split reduction).
    pub compute_superstep: usize,
    /// Superstep that sums split partial sums, if any.
    pub reduce_superstep: Option<usize>,
}

/// What a vertex computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VertexKind {
    /// Partial dot products over the tile's slice of `k`.
    Partial,
    /// Sums of partial dot products received from other tiles.
    Reduce,
    /// An elementwise (or per-row) op.
    Elementwise,
}

/// A codelet instance run by one worker thread on one tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vertex {
    /// Index of the op in [`IpuProgram::ops`].
    pub op: usize,
    /// What it computes.
    pub kind: VertexKind,
    /// Worker thread that runs it (0-based).
    pub worker: u32,
    /// Output elements it produces.
    pub elements: u64,
    /// FLOPs it does.
    pub flops: u64,
    /// Cycles it takes.
    pub cycles: Cycle,
}

/// One tile in one superstep.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TileStep {
    /// Vertices run in the compute phase.
    pub vertices: Vec<Vertex>,
    /// Cycles of compute (its longest vertex).
    pub compute: Cycle,
    /// Cycle spans (from the start of the exchange phase, end exclusive) in which the tile
    /// sends or receives, merged and sorted.
    pub exchange_busy: Vec<(Cycle, Cycle)>,
    /// Cycles in which the tile sends or receives (total length of `exchange_busy`).
    pub exchange_active: Cycle,
    /// Bytes sent in the exchange phase.
    pub bytes_sent: Bytes,
    /// Bytes received in the exchange phase.
    pub bytes_received: Bytes,
    /// Bytes the next compute phase reads that live on other tiles (what it must receive).
    pub bytes_needed: Bytes,
}

/// A compiler-scheduled copy in an exchange phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// Sending tile.
    pub from: u32,
    /// Receiving tile.
    pub to: u32,
    /// Tensor the bytes belong to (partial sums: the op's output tensor).
    pub tensor: TensorId,
    /// Bytes moved.
    pub bytes: Bytes,
    /// First cycle, counted from the start of the exchange phase.
    pub start: Cycle,
    /// Cycles it takes.
    pub cycles: Cycle,
}

/// One bulk-synchronous superstep: compute, sync, exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superstep {
    /// Position in the program.
    pub index: usize,
    /// What it does, in words ("fc1: partial sums").
    pub label: String,
    /// Every tile's work, by tile index.
    pub tiles: Vec<TileStep>,
    /// Length of the compute phase: the slowest tile's compute.
    pub compute: Cycle,
    /// Transfers of the exchange phase.
    pub exchange: Vec<Transfer>,
    /// Length of the exchange phase.
    pub exchange_cycles: Cycle,
    /// The op whose output is complete after this compute phase.
    pub completes_op: Option<usize>,
    /// Whether the compute phase runs a GEMM (matmul or convolution) vertex.
    pub gemm: bool,
}

impl Superstep {
    /// Bytes moved in the exchange phase.
    #[must_use]
    pub fn exchange_bytes(&self) -> Bytes {
        Bytes(self.exchange.iter().map(|t| t.bytes.0).sum())
    }
}

/// A compiled program: supersteps plus where everything was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpuProgram {
    /// Workload name.
    pub workload: String,
    /// Tiles of the machine.
    pub n_tiles: u32,
    /// The supersteps, in order.
    pub supersteps: Vec<Superstep>,
    /// Placement of each op of the workload.
    pub ops: Vec<OpMapping>,
    /// Peak memory each tile uses (weights plus the largest op's data).
    pub memory_used: Vec<Bytes>,
    /// Weight bytes each tile holds for the whole run.
    pub weight_bytes: Vec<Bytes>,
    /// SRAM per tile.
    pub tile_memory: Bytes,
    /// Tensor that holds the final result (the last op's output).
    pub result_tensor: TensorId,
}

impl IpuProgram {
    /// A vertex in words: "fc1 partial sums (worker 2, 16 outputs, 24 cycles)".
    #[must_use]
    pub fn vertex_name(&self, v: &Vertex) -> String {
        let op = self.ops.get(v.op).map_or("?", |o| o.name.as_str());
        let what = match v.kind {
            VertexKind::Partial => "partial sums",
            VertexKind::Reduce => "reduce",
            VertexKind::Elementwise => "elementwise",
        };
        format!(
            "{op} {what} (worker {}, {} outputs, {} cycles)",
            v.worker, v.elements, v.cycles.0
        )
    }

    /// Total cycles the program takes: Σ compute + sync + exchange over supersteps.
    #[must_use]
    pub fn total_cycles(&self, sync_latency: Cycle) -> Cycle {
        self.supersteps.iter().fold(Cycle::ZERO, |acc, s| {
            acc + s.compute + sync_latency + s.exchange_cycles
        })
    }
}
