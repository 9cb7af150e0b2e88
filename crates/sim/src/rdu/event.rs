//! What an RDU run reports as it goes, in the words a learner reads.

use crate::ipu::event::thousands;
use crate::units::{Bytes, Cycle};
use std::fmt;

/// One event of an RDU run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RduEvent {
    /// A section's configuration and weights began loading onto the tile.
    SectionLoading {
        /// Section index.
        section: usize,
        /// Sections in the program.
        n_sections: usize,
        /// The ops it holds, in words.
        ops: String,
        /// PCUs it configures.
        pcus: u32,
        /// PMUs it uses.
        pmus: u32,
        /// Weight bytes read from DDR.
        weight_bytes: Bytes,
        /// Cycles the load takes.
        cycles: Cycle,
    },
    /// Micro-batches began streaming through a loaded section.
    StreamingStarted {
        /// Section index.
        section: usize,
        /// Micro-batches to stream.
        micro_batches: u32,
        /// The slowest stage, which sets the rate.
        bottleneck: String,
        /// Its cycles per micro-batch.
        bottleneck_cycles: Cycle,
    },
    /// The first micro-batch left the section: the pipeline is full.
    PipelineFull {
        /// Section index.
        section: usize,
    },
    /// The last micro-batch entered the section: the pipeline drains.
    Draining {
        /// Section index.
        section: usize,
    },
    /// A micro-batch left the section's last stage.
    MicroBatchOut {
        /// Section index.
        section: usize,
        /// Which micro-batch.
        micro_batch: u32,
    },
    /// Every micro-batch went through a section.
    SectionDone {
        /// Section index.
        section: usize,
        /// Bytes read from DDR while streaming.
        ddr_in: Bytes,
        /// Bytes written to DDR while streaming.
        ddr_out: Bytes,
        /// Cycles from the start of streaming.
        cycles: Cycle,
    },
    /// The replicas began all-reducing their gradients.
    AllReduceStarted {
        /// Replicas.
        tasks: u32,
        /// Gradient bytes per replica.
        bytes: Bytes,
        /// Cycles it takes.
        cycles: Cycle,
    },
    /// The program ended.
    Finished {
        /// Sections run.
        sections: usize,
        /// Cycles of the run.
        cycles: Cycle,
    },
}

impl fmt::Display for RduEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RduEvent::SectionLoading {
                section,
                n_sections,
                ops,
                pcus,
                pmus,
                weight_bytes,
                cycles,
            } => write!(
                f,
                "section {section} of {n_sections} ({ops}): loading its configuration onto {pcus} PCUs and {pmus} PMUs and {weight_bytes} of weights from DDR, {} cycles",
                thousands(cycles.0)
            ),
            RduEvent::StreamingStarted {
                section,
                micro_batches,
                bottleneck,
                bottleneck_cycles,
            } => write!(
                f,
                "section {section}: {micro_batches} micro-batches start streaming; the slowest stage, {bottleneck}, takes {} cycles per micro-batch and sets the rate",
                thousands(bottleneck_cycles.0)
            ),
            RduEvent::PipelineFull { section } => write!(
                f,
                "section {section}: the first micro-batch came out, the pipeline is full (steady state)"
            ),
            RduEvent::Draining { section } => write!(
                f,
                "section {section}: the last micro-batch went in, the pipeline drains"
            ),
            RduEvent::MicroBatchOut {
                section,
                micro_batch,
            } => write!(f, "section {section}: micro-batch {micro_batch} came out"),
            RduEvent::SectionDone {
                section,
                ddr_in,
                ddr_out,
                cycles,
            } => write!(
                f,
                "section {section} done in {} cycles: read {ddr_in} from DDR and wrote {ddr_out} to DDR",
                thousands(cycles.0)
            ),
            RduEvent::AllReduceStarted {
                tasks,
                bytes,
                cycles,
            } => write!(
                f,
                "{tasks} replicas all-reduce {bytes} of gradients each, {} cycles",
                thousands(cycles.0)
            ),
            RduEvent::Finished { sections, cycles } => write!(
                f,
                "program done: {sections} sections in {} cycles",
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
        let e = RduEvent::SectionDone {
            section: 1,
            ddr_in: Bytes(1_024),
            ddr_out: Bytes(2_048),
            cycles: Cycle(12_345),
        };
        assert_eq!(
            e.to_string(),
            "section 1 done in 12,345 cycles: read 1.00 KiB from DDR and wrote 2.00 KiB to DDR"
        );
        assert_eq!(
            RduEvent::PipelineFull { section: 0 }.to_string(),
            "section 0: the first micro-batch came out, the pipeline is full (steady state)"
        );
    }
}
