//! "Predict, then run": a question whose answer is not in the quiz file but measured by a
//! simulator when the learner has committed a prediction.
//!
//! The quiz file names the setup(s) as the simulator and compare pages write them in their
//! addresses (`groq?preset=bert-layer&seq=128`, `compare?preset=bert-layer`) and what to measure
//! ([`Measure`]). This crate checks the form and the workload (with `sim`'s workload builder,
//! under the `build` feature) at build time and grades a prediction against a [`PredictValue`]
//! the app's engines produced ([`crate::grade::grade_prediction`]); it never runs an engine
//! itself. A machine's own settings belong to the app's pages, so a setup whose machine
//! settings a page refuses is caught by the app's native test that parses and runs every
//! predict question of the course.

use serde::{Deserialize, Serialize};

use crate::content::SimArch;

/// What a predict question runs: one simulator page's setup, or the compare page's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupRef {
    /// Which page's parser reads the query.
    pub target: SetupTarget,
    /// The query string as that page's address holds it, without `?` (`preset=mlp&batch=8`).
    pub query: String,
}

/// The page a [`SetupRef`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "page", content = "arch")]
pub enum SetupTarget {
    /// `#/simulators/<arch>?…`: one machine.
    Simulator(SimArch),
    /// `#/compare?…`: every machine on one workload.
    Compare,
}

impl SetupRef {
    /// Reads `wse?preset=gemv&width=4` or `compare?preset=bert-layer`.
    ///
    /// # Errors
    /// A sentence saying what is wrong with the text (an unknown page, a missing `?`, a pair
    /// without `=`, an empty key or a key given twice). Whether the values are valid is for the
    /// page's own parser.
    pub fn parse(text: &str) -> Result<SetupRef, String> {
        let text = text.trim();
        let Some((page, query)) = text.split_once('?') else {
            return Err(format!(
                "the setup \u{201c}{text}\u{201d} has no `?`; write it as a page and its query, e.g. groq?preset=bert-layer&seq=128"
            ));
        };
        let target = match page {
            "compare" => SetupTarget::Compare,
            name => SetupTarget::Simulator(SimArch::from_name(name).ok_or_else(|| {
                format!(
                    "the setup \u{201c}{text}\u{201d} names the page \u{201c}{name}\u{201d}; use compare or a simulator: gpu, wse, ipu, rdu or groq"
                )
            })?),
        };
        let mut keys: Vec<&str> = Vec::new();
        for pair in query.split('&') {
            let Some((key, _)) = pair.split_once('=') else {
                return Err(format!(
                    "the setup \u{201c}{text}\u{201d} has \u{201c}{pair}\u{201d}, which is not key=value"
                ));
            };
            if key.is_empty() {
                return Err(format!(
                    "the setup \u{201c}{text}\u{201d} has a value without a key"
                ));
            }
            if keys.contains(&key) {
                return Err(format!(
                    "the setup \u{201c}{text}\u{201d} gives \u{201c}{key}\u{201d} twice"
                ));
            }
            keys.push(key);
        }
        if !keys.contains(&"preset") {
            return Err(format!(
                "the setup \u{201c}{text}\u{201d} has no preset; add preset=gemv, mlp, cnn or bert-layer"
            ));
        }
        Ok(SetupRef {
            target,
            query: query.to_owned(),
        })
    }

    /// The text the quiz file holds (`groq?preset=bert-layer`).
    pub fn text(&self) -> String {
        let page = match self.target {
            SetupTarget::Simulator(arch) => arch.name(),
            SetupTarget::Compare => "compare",
        };
        format!("{page}?{}", self.query)
    }
}

/// What a predict question measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The run's length in cycles (one simulator setup). A number.
    Cycles,
    /// The run's length in µs at the machine's clock (one simulator setup). A number.
    TimeUs,
    /// The second setup's cycles divided by the first's (two simulator setups). A number.
    CyclesRatio,
    /// Whether the two setups take exactly as many cycles (two simulator setups). Yes or no.
    SameCycles,
    /// Which machine finishes the workload first, in time (one compare setup). A machine.
    Fastest,
}

impl Measure {
    /// Every measure, in the order `lessons/FORMAT.md` lists them.
    pub const ALL: [Measure; 5] = [
        Measure::Cycles,
        Measure::TimeUs,
        Measure::CyclesRatio,
        Measure::SameCycles,
        Measure::Fastest,
    ];

    /// The name the quiz file uses (`cycles_ratio`).
    pub fn name(self) -> &'static str {
        match self {
            Measure::Cycles => "cycles",
            Measure::TimeUs => "time_us",
            Measure::CyclesRatio => "cycles_ratio",
            Measure::SameCycles => "same_cycles",
            Measure::Fastest => "fastest",
        }
    }

    /// The measure with this quiz-file name.
    pub fn from_name(name: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The setups it needs: how many, and whether they are compare setups.
    pub fn setups_needed(self) -> (usize, bool) {
        match self {
            Measure::Cycles | Measure::TimeUs => (1, false),
            Measure::CyclesRatio | Measure::SameCycles => (2, false),
            Measure::Fastest => (1, true),
        }
    }

    /// Whether the prediction is a number (graded with a tolerance) rather than a choice.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Measure::Cycles | Measure::TimeUs | Measure::CyclesRatio
        )
    }

    /// The unit shown beside a numeric prediction.
    pub fn unit(self) -> Option<&'static str> {
        match self {
            Measure::Cycles => Some("cycles"),
            Measure::TimeUs => Some("µs"),
            Measure::CyclesRatio => Some("×"),
            Measure::SameCycles | Measure::Fastest => None,
        }
    }

    /// The choices of a choice measure, in the order shown (empty for numbers); a
    /// [`crate::Response::Choices`] index points into this list.
    pub fn choices(self) -> Vec<PredictValue> {
        match self {
            Measure::SameCycles => vec![PredictValue::YesNo(true), PredictValue::YesNo(false)],
            Measure::Fastest => SimArch::ALL
                .into_iter()
                .map(|arch| PredictValue::Machines(vec![arch]))
                .collect(),
            Measure::Cycles | Measure::TimeUs | Measure::CyclesRatio => Vec::new(),
        }
    }
}

/// A predict question: the setups, what is measured, and how close a number must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predict {
    /// The setups to run, as many as [`Measure::setups_needed`] says.
    pub setups: Vec<SetupRef>,
    /// What is measured.
    pub measure: Measure,
    /// For a numeric measure, the accepted relative deviation from the engine's value
    /// (`0.1`: within 10 %); 0 for choices.
    pub tolerance: f64,
}

/// A value of a measure: what the engine measured, or what the learner predicted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum PredictValue {
    /// Cycles, µs or a ratio.
    Number(f64),
    /// Same cycles or not.
    YesNo(bool),
    /// The fastest machine(s): one, or several when they tie exactly.
    Machines(Vec<SimArch>),
}

impl PredictValue {
    /// The value in words, with `unit` after a number (`1,234 cycles`, `yes`, `the GPU`).
    pub fn describe(&self, unit: Option<&str>) -> String {
        match self {
            PredictValue::Number(x) => {
                let number = number_text(*x);
                match unit {
                    Some("×") => format!("{number}×"),
                    Some(unit) => format!("{number} {unit}"),
                    None => number,
                }
            }
            PredictValue::YesNo(true) => "yes".to_owned(),
            PredictValue::YesNo(false) => "no".to_owned(),
            PredictValue::Machines(machines) => {
                let names: Vec<&str> = machines.iter().map(|a| machine_name(*a)).collect();
                match names.as_slice() {
                    [] => "no machine".to_owned(),
                    [one] => (*one).to_owned(),
                    [rest @ .., last] => format!("{} and {last} (a tie)", rest.join(", ")),
                }
            }
        }
    }
}

/// The machine as a choice reads ("the Groq LPU").
pub fn machine_name(arch: SimArch) -> &'static str {
    match arch {
        SimArch::Gpu => "the GPU",
        SimArch::Wse => "the Cerebras WSE-2",
        SimArch::Ipu => "the Graphcore IPU",
        SimArch::Rdu => "the SambaNova RDU",
        SimArch::Groq => "the Groq LPU",
    }
}

/// A number as a person reads it: thousands separated by commas when whole and large, else at
/// most four significant decimals (`12,345`, `1.96`, `0.0123`).
pub fn number_text(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        // Whole and below 2^53: the cast is exact.
        let whole = x.abs() as u64;
        let digits = whole.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        return if x < 0.0 { format!("-{out}") } else { out };
    }
    let magnitude = x.abs();
    let decimals = if magnitude >= 100.0 {
        1
    } else if magnitude >= 1.0 {
        3
    } else {
        4
    };
    let text = format!("{x:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setups_read_as_the_pages_write_them() {
        let s = SetupRef::parse("groq?preset=bert-layer&seq=128").unwrap();
        assert_eq!(s.target, SetupTarget::Simulator(SimArch::Groq));
        assert_eq!(s.query, "preset=bert-layer&seq=128");
        assert_eq!(s.text(), "groq?preset=bert-layer&seq=128");
        let c = SetupRef::parse(" compare?preset=mlp ").unwrap();
        assert_eq!(c.target, SetupTarget::Compare);
    }

    #[test]
    fn a_bad_setup_is_a_sentence() {
        let check = |text: &str, needle: &str| {
            let e = SetupRef::parse(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        };
        check("preset=mlp", "no `?`");
        check("tpu?preset=mlp", "\u{201c}tpu\u{201d}");
        check("gpu?preset=mlp&batch", "not key=value");
        check("gpu?=3&preset=mlp", "without a key");
        check("gpu?preset=mlp&preset=cnn", "twice");
        check("gpu?batch=4", "no preset");
    }

    #[test]
    fn measures_round_trip_their_names() {
        for m in Measure::ALL {
            assert_eq!(Measure::from_name(m.name()), Some(m));
            assert_eq!(m.is_numeric(), m.choices().is_empty());
            assert_eq!(m.is_numeric(), m.unit().is_some());
        }
        assert_eq!(Measure::from_name("speed"), None);
    }

    #[test]
    fn values_read_as_words() {
        assert_eq!(
            PredictValue::Number(12_345.0).describe(Some("cycles")),
            "12,345 cycles"
        );
        assert_eq!(PredictValue::Number(1.96).describe(Some("×")), "1.96×");
        assert_eq!(PredictValue::Number(2.0 / 3.0).describe(None), "0.6667");
        assert_eq!(
            PredictValue::Number(123.456).describe(Some("µs")),
            "123.5 µs"
        );
        assert_eq!(PredictValue::YesNo(false).describe(None), "no");
        assert_eq!(
            PredictValue::Machines(vec![SimArch::Groq]).describe(None),
            "the Groq LPU"
        );
        assert!(
            PredictValue::Machines(vec![SimArch::Gpu, SimArch::Wse])
                .describe(None)
                .contains("tie")
        );
    }
}
