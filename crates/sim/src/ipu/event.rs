//! What an IPU run reports as it goes, in the words a learner reads.

use crate::units::{Bytes, Cycle};
use std::fmt;

pub use crate::units::thousands;

/// One event of an IPU run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpuEvent {
    /// A superstep began its compute phase.
    SuperstepStarted {
        /// Superstep index.
        superstep: usize,
        /// What it computes.
        label: String,
        /// Tiles with vertices to run.
        tiles_computing: u32,
    },
    /// The slowest tile finished computing.
    ComputeDone {
        /// Superstep index.
        superstep: usize,
        /// The slowest tile.
        slowest_tile: u32,
        /// Length of the compute phase.
        cycles: Cycle,
    },
    /// Every tile passed the sync.
    SyncDone {
        /// Superstep index.
        superstep: usize,
        /// Tiles in the sync.
        tiles: u32,
        /// Tiles that finished computing early and waited for the slowest.
        tiles_waited: u32,
        /// The longest such wait (before the sync latency).
        longest_wait: Cycle,
        /// The sync itself.
        latency: Cycle,
    },
    /// The exchange phase ended.
    ExchangeDone {
        /// Superstep index.
        superstep: usize,
        /// Transfers.
        transfers: u64,
        /// Bytes moved.
        bytes: Bytes,
        /// Length of the exchange phase.
        cycles: Cycle,
    },
    /// The program ended.
    Finished {
        /// Supersteps run.
        supersteps: usize,
        /// Cycles of the run.
        cycles: Cycle,
    },
}

impl fmt::Display for IpuEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpuEvent::SuperstepStarted {
                superstep,
                label,
                tiles_computing: 0,
            } => write!(f, "superstep {superstep}: no compute ({label})"),
            IpuEvent::SuperstepStarted {
                superstep,
                label,
                tiles_computing,
            } => write!(
                f,
                "superstep {superstep}: compute \"{label}\" on {} tiles",
                thousands(u64::from(*tiles_computing))
            ),
            IpuEvent::ComputeDone {
                superstep,
                cycles: Cycle(0),
                ..
            } => write!(
                f,
                "superstep {superstep}: nothing to compute, straight to the sync"
            ),
            IpuEvent::ComputeDone {
                superstep,
                slowest_tile,
                cycles,
            } => write!(
                f,
                "superstep {superstep}: compute done after {} cycles (slowest: tile {slowest_tile})",
                thousands(cycles.0)
            ),
            IpuEvent::SyncDone {
                superstep,
                tiles,
                tiles_waited,
                longest_wait,
                latency,
            } => write!(
                f,
                "superstep {superstep}: sync of {} tiles took {} cycles; {} tiles waited for the slowest, up to {} cycles",
                thousands(u64::from(*tiles)),
                thousands(latency.0),
                thousands(u64::from(*tiles_waited)),
                thousands(longest_wait.0)
            ),
            IpuEvent::ExchangeDone {
                superstep,
                transfers,
                bytes,
                cycles,
            } => write!(
                f,
                "superstep {superstep}: exchange moved {bytes} in {} transfers, {} cycles",
                thousands(*transfers),
                thousands(cycles.0)
            ),
            IpuEvent::Finished { supersteps, cycles } => write!(
                f,
                "program done: {} supersteps in {} cycles",
                thousands(*supersteps as u64),
                thousands(cycles.0)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_sentences() {
        assert_eq!(thousands(1_472), "1,472");
        assert_eq!(thousands(12), "12");
        assert_eq!(thousands(1_000_000), "1,000,000");
        let e = IpuEvent::SyncDone {
            superstep: 3,
            tiles: 1_472,
            tiles_waited: 1_200,
            longest_wait: Cycle(12),
            latency: Cycle(100),
        };
        assert_eq!(
            e.to_string(),
            "superstep 3: sync of 1,472 tiles took 100 cycles; 1,200 tiles waited for the slowest, up to 12 cycles"
        );
        let start = IpuEvent::SuperstepStarted {
            superstep: 0,
            label: "inputs in place".to_owned(),
            tiles_computing: 0,
        };
        assert_eq!(
            start.to_string(),
            "superstep 0: no compute (inputs in place)"
        );
        let conv = IpuEvent::SuperstepStarted {
            superstep: 1,
            label: "conv1".to_owned(),
            tiles_computing: 1_444,
        };
        assert_eq!(
            conv.to_string(),
            "superstep 1: compute \"conv1\" on 1,444 tiles"
        );
    }
}
