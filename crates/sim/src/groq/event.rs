//! What a Groq run reports as it goes, in the words a learner reads.

use crate::units::Cycle;
use std::fmt;

/// One event of a Groq run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroqEvent {
    /// An instruction entered superlane 0 of its slice.
    Issued {
        /// The slice's name ("MEM 3").
        slice: String,
        /// The instruction in words ("read x, rows 0 to 127 (128 vectors), onto eastward stream 2").
        what: String,
        /// The op it belongs to.
        op: String,
    },
    /// The first instruction of an op issued.
    OpStarted {
        /// The op's name.
        op: String,
        /// Its kind ("matmul").
        label: &'static str,
    },
    /// The last vector of an op landed in MEM on the last superlane.
    OpDone {
        /// The op's name.
        op: String,
    },
    /// The program ended.
    Finished {
        /// Cycles the run took.
        cycles: Cycle,
        /// Cycles the compiler predicted.
        predicted: Cycle,
    },
}

impl fmt::Display for GroqEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Issued { slice, what, op } => {
                write!(
                    f,
                    "{slice} issues \u{201c}{what}\u{201d} for {op}; it reaches the next superlane up one cycle later"
                )
            }
            Self::OpStarted { op, label } => write!(f, "{op} ({label}) starts"),
            Self::OpDone { op } => write!(
                f,
                "{op} is done: its last result vector has landed in memory on every superlane"
            ),
            Self::Finished { cycles, predicted } => {
                if cycles == predicted {
                    write!(
                        f,
                        "the program ends after {} cycles, exactly the {} the compiler predicted: nothing stalled",
                        cycles.0, predicted.0
                    )
                } else {
                    write!(
                        f,
                        "the program ends after {} cycles, but the compiler predicted {}",
                        cycles.0, predicted.0
                    )
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_sentences() {
        let e = GroqEvent::Finished {
            cycles: Cycle(42),
            predicted: Cycle(42),
        };
        assert_eq!(
            e.to_string(),
            "the program ends after 42 cycles, exactly the 42 the compiler predicted: nothing stalled"
        );
    }
}
