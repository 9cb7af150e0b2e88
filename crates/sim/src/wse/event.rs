//! What the mesh records in its trace, worded for the learner.

use std::fmt;

/// Something the WSE mesh did (see [`crate::trace::EventKind::Wse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WseEvent {
    /// A PE started a task.
    TaskStarted {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// Task label.
        task: &'static str,
    },
    /// A PE finished its share of one sample's local compute.
    PartialReady {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// Sample index within the batch.
        sample: u32,
    },
    /// A wavelet left the mesh through an edge port.
    WaveletLeftMesh {
        /// Edge PE column.
        x: u32,
        /// Edge PE row.
        y: u32,
        /// Color.
        color: u8,
    },
}

impl fmt::Display for WseEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WseEvent::TaskStarted { x, y, task } => write!(f, "PE ({x}, {y}) starts {task}"),
            WseEvent::PartialReady { x, y, sample } => {
                write!(f, "PE ({x}, {y}) has its partial sum of sample {sample}")
            }
            WseEvent::WaveletLeftMesh { x, y, color } => {
                write!(
                    f,
                    "a wavelet on color {color} leaves the mesh at PE ({x}, {y})"
                )
            }
        }
    }
}
