//! The one error type of the crate: every bad parameter becomes one of these, never a panic.
//!
//! Messages are whole sentences a page can show next to the control that caused them.

use crate::units::Bytes;
use thiserror::Error;

/// What went wrong when building or mapping a simulation.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SimError {
    /// A size that must be at least 1 was 0.
    #[error("{what} must be at least 1, but it is 0.")]
    ZeroSize {
        /// Which size, in words (e.g. "mesh width").
        what: &'static str,
    },
    /// A size above what the simulator accepts.
    #[error("{what} is {value}, above the limit of {max}.")]
    TooLarge {
        /// Which size, in words.
        what: &'static str,
        /// The value given.
        value: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// A real-valued parameter outside its range (not finite, zero or negative).
    #[error("{what} must be a finite number above zero, but it is {value}.")]
    BadRate {
        /// Which parameter, in words.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// The data a mapping places on one PE does not fit its local memory.
    #[error(
        "The block placed on PE ({x}, {y}) needs {needed} but a PE has only {capacity} of memory; \
         use a bigger mesh or a smaller matrix."
    )]
    BlockDoesNotFit {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// Bytes the block needs.
        needed: Bytes,
        /// Bytes the PE has.
        capacity: Bytes,
    },
    /// A mapping needs more colors (virtual channels) than the fabric provides.
    #[error("This mapping needs {needed} colors but the fabric has only {available}.")]
    ColorsExhausted {
        /// Colors the mapping needs.
        needed: u32,
        /// Colors the configuration provides.
        available: u32,
    },
    /// The matrix has fewer rows or columns than the mesh it is tiled over.
    #[error(
        "A {what} of {len} cannot be split over {parts} PEs: each PE needs at least one; \
         use a smaller mesh."
    )]
    TooFewToSplit {
        /// Which dimension, in words.
        what: &'static str,
        /// Its length.
        len: u64,
        /// Number of PEs it is split over.
        parts: u64,
    },
    /// A workload graph that is malformed (an op reads a tensor nobody wrote, shapes disagree).
    #[error("Invalid workload: {reason}")]
    InvalidWorkload {
        /// What is wrong, as a sentence.
        reason: String,
    },
    /// A well-formed workload this simulator cannot map.
    #[error("This simulator cannot run that workload: {reason}")]
    UnsupportedWorkload {
        /// Why not, as a sentence.
        reason: String,
    },
    /// A PE coordinate outside the mesh.
    #[error("PE ({x}, {y}) is outside the {width}×{height} mesh.")]
    PeOutOfRange {
        /// Column asked for.
        x: u32,
        /// Row asked for.
        y: u32,
        /// Mesh width.
        width: u32,
        /// Mesh height.
        height: u32,
    },
    /// A program whose data does not match its shape.
    #[error("Bad program for PE ({x}, {y}): {reason}")]
    BadProgram {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// Why, as a sentence.
        reason: String,
    },
    /// A route that sends a color back where it came from, or off the mesh where there is
    /// no edge port, or from a port that has no neighbour.
    #[error("Bad route on PE ({x}, {y}) for color {color}: {reason}")]
    BadRoute {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// The color.
        color: u8,
        /// Why, as a sentence.
        reason: String,
    },
    /// A real-valued parameter outside the range the simulator accepts.
    #[error("{what} is {value:e}, outside the range the simulator accepts ({min:e} to {max:e}).")]
    OutOfRange {
        /// Which parameter, in words (with its unit).
        what: &'static str,
        /// The value given.
        value: f64,
        /// The smallest accepted value.
        min: f64,
        /// The largest accepted value.
        max: f64,
    },
    /// A run whose cycle count would not fit the simulator's counters.
    #[error(
        "{what} would take more than {max} cycles, more than the simulator counts; check the machine's rates."
    )]
    TooManyCycles {
        /// What would take that long, in words starting with a capital.
        what: String,
        /// The largest cycle count the simulator handles.
        max: u64,
    },
    /// Sizes whose simulation data would take more host memory than the budget
    /// ([`crate::budget::HOST_MEMORY_BUDGET`]).
    #[error(
        "{} would need about {estimate} of memory in your browser, above the simulator's budget of {budget}; use smaller sizes.",
        capitalised(what)
    )]
    OverMemoryBudget {
        /// What would take the memory, in words.
        what: String,
        /// Bytes it would take (saturated at `u64::MAX`).
        estimate: Bytes,
        /// The budget.
        budget: Bytes,
    },
    /// An IPU tile index outside the machine.
    #[error("Tile {tile} is outside the machine, which has tiles 0 to {last}.", last = n_tiles.saturating_sub(1))]
    TileOutOfRange {
        /// Tile asked for.
        tile: u32,
        /// Tiles in the machine.
        n_tiles: u32,
    },
    /// What an IPU mapping places on one tile does not fit the tile's SRAM.
    #[error(
        "Tile {tile} would need {needed} for {what}, but a tile has only {capacity} of memory; \
         use more tiles or a smaller layer."
    )]
    TileMemoryExceeded {
        /// The tile.
        tile: u32,
        /// What it holds, in words ("the weights of fc1 and the inputs of conv2").
        what: String,
        /// Bytes needed.
        needed: Bytes,
        /// Bytes a tile has.
        capacity: Bytes,
    },
    /// A tensor larger than one MEM slice of the Groq chip (the compiler keeps each tensor
    /// in one slice).
    #[error(
        "The tensor \"{tensor}\" needs {needed}, but a MEM slice holds only {capacity}; use more superlanes (each adds 128 KiB to every MEM slice) or a smaller workload."
    )]
    GroqTensorTooLarge {
        /// The tensor's name.
        tensor: String,
        /// Bytes it needs (whole vectors).
        needed: Bytes,
        /// Bytes a MEM slice holds.
        capacity: Bytes,
    },
    /// A workload whose tensors do not fit the Groq chip's MEM slices together.
    #[error(
        "The workload's tensors need {needed}, but the {n_slices} MEM slices hold only {capacity} in all; use more superlanes, the TSP floorplan, or a smaller workload."
    )]
    GroqMemoryFull {
        /// Bytes all tensors need.
        needed: Bytes,
        /// Bytes all MEM slices hold.
        capacity: Bytes,
        /// MEM slices.
        n_slices: u32,
    },
    /// A Groq slice index outside the chip.
    #[error("Slice {slice} is outside the chip, which has slices 0 to {last}.", last = n_slices.saturating_sub(1))]
    SliceOutOfRange {
        /// Slice asked for.
        slice: u32,
        /// Slices on the chip.
        n_slices: u32,
    },
    /// An RDU op whose weights and buffers need more PMUs than the whole tile has, so no
    /// section can hold it.
    #[error(
        "Op \"{op}\" needs {needed_pmus} PMUs of {pmu_capacity} for its weights and buffers, \
         but a section has only {available_pmus}; use a bigger tile or a smaller layer."
    )]
    PmuMemoryExceeded {
        /// The op's name.
        op: String,
        /// PMUs it needs.
        needed_pmus: u64,
        /// PMUs in the tile.
        available_pmus: u64,
        /// Bytes per PMU.
        pmu_capacity: Bytes,
    },
    /// A grid cell outside the RDU tile.
    #[error("Unit ({x}, {y}) is outside the tile's {width}×{height} grid.")]
    UnitOutOfRange {
        /// Column asked for.
        x: u32,
        /// Row asked for.
        y: u32,
        /// Grid width.
        width: u32,
        /// Grid height.
        height: u32,
    },
}

/// `text` with its first letter upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

/// Checks `min <= value <= max` for a real-valued parameter (NaN is outside).
pub(crate) fn check_range(
    what: &'static str,
    value: f64,
    min: f64,
    max: f64,
) -> Result<(), SimError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(SimError::OutOfRange {
            what,
            value,
            min,
            max,
        })
    }
}

/// Checks `1 <= value <= max` for a named size.
pub(crate) fn check_size(what: &'static str, value: u64, max: u64) -> Result<(), SimError> {
    if value == 0 {
        Err(SimError::ZeroSize { what })
    } else if value > max {
        Err(SimError::TooLarge { what, value, max })
    } else {
        Ok(())
    }
}

/// Checks that a rate is finite and above zero.
pub(crate) fn check_rate(what: &'static str, value: f64) -> Result<(), SimError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(SimError::BadRate { what, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sentences() {
        let e = SimError::BlockDoesNotFit {
            x: 1,
            y: 2,
            needed: Bytes(60_000),
            capacity: Bytes::kib(48),
        };
        assert_eq!(
            e.to_string(),
            "The block placed on PE (1, 2) needs 58.59 KiB but a PE has only 48.00 KiB of memory; \
             use a bigger mesh or a smaller matrix."
        );
        assert_eq!(
            check_size("mesh width", 0, 64),
            Err(SimError::ZeroSize { what: "mesh width" })
        );
        assert!(check_rate("clock", f64::NAN).is_err());
    }
}
