//! A simulator's settings: the shared workload part (preset and its sizes) and the machine's
//! own field set, as typed, to and from the URL query.
//!
//! They live in the address (`#/simulators/wse?preset=gemv&width=16&…`) so a link reproduces
//! the setup. The form keeps what the learner typed as text; [`SimForm::parse`] turns it into a
//! [`SimSetup`] or a sentence naming the field. Sizes the engine checks itself (zero, above its
//! limits, a block that does not fit a PE, too few colors) are left to the engine so its error
//! value is what the page shows; this module only refuses what cannot be a number, what the
//! machine's page cannot animate ([`super::Machine::check`]) and what is too big for a tab.

use course::SimArch;
use sim::SimError;
use sim::workload::Workload;

use super::{Machine, sentence};

pub use sim::workload::{Preset, PresetSizes};

/// The workload sizes `preset` takes, as form fields.
pub fn preset_fields(preset: Preset) -> &'static [&'static FieldSpec] {
    if preset.takes_seq() {
        return &[&SEQ];
    }
    match (preset.takes_dims(), preset.takes_batch()) {
        (true, true) => &[&D_IN, &D_OUT, &BATCH],
        (true, false) => &[&D_IN, &D_OUT],
        (false, true) => &[&BATCH],
        (false, false) => &[],
    }
}

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A whole number (a size).
    Size,
    /// One of a list: (URL value, label shown).
    Choice(&'static [(&'static str, &'static str)]),
}

/// One parameter of a simulator's form: a workload size or one of a machine's own settings.
#[derive(Debug)]
pub struct FieldSpec {
    /// The URL query key, also the form control's `data-testid` suffix.
    pub key: &'static str,
    /// The label beside the control.
    pub label: &'static str,
    /// The parameter in words, as the engine's error messages name it.
    pub what: &'static str,
    /// A number or a choice.
    pub kind: FieldKind,
    /// Its default for a preset (sizes that animate well and finish in seconds).
    pub default: fn(Preset) -> &'static str,
}

impl FieldSpec {
    /// Whether `self` and `other` are the same field.
    pub fn is(&self, other: &FieldSpec) -> bool {
        self.key == other.key
    }
}

/// The GEMV's input length.
pub const D_IN: FieldSpec = FieldSpec {
    key: "d_in",
    label: "Input length",
    what: "input length",
    kind: FieldKind::Size,
    default: |_| "256",
};
/// The GEMV's output length.
pub const D_OUT: FieldSpec = FieldSpec {
    key: "d_out",
    label: "Output length",
    what: "output length",
    kind: FieldKind::Size,
    default: |_| "256",
};
/// The batch of the MLP layer and the CNN.
pub const BATCH: FieldSpec = FieldSpec {
    key: "batch",
    label: "Batch",
    what: "batch",
    kind: FieldKind::Size,
    default: |preset| if preset == Preset::Mlp { "4" } else { "1" },
};
/// The BERT layer's sequence length (a new shape: on Groq, a new compile).
pub const SEQ: FieldSpec = FieldSpec {
    key: "seq",
    label: "Sequence length",
    what: "sequence length",
    kind: FieldKind::Size,
    default: |_| "128",
};
/// Every workload field, in form order.
pub const WORKLOAD_FIELDS: [&FieldSpec; 4] = [&D_IN, &D_OUT, &BATCH, &SEQ];

/// Largest weight matrix (elements) a page builds: its values live in the tab's memory.
pub const MAX_PAGE_MATRIX: u64 = 1 << 22;

/// What the form holds: the machine, the preset as typed, and every field's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimForm {
    /// The machine whose page this is.
    pub arch: SimArch,
    /// The preset as typed (an unknown one is kept, so the page can say so).
    pub preset: String,
    /// Every field of the workload and of the machine, by key, as typed.
    pub values: Vec<(&'static str, String)>,
}

impl SimForm {
    /// The fields `machine`'s page shows for `preset`: the machine's, then the workload's.
    pub fn fields_for(machine: &dyn Machine, preset: Preset) -> Vec<&'static FieldSpec> {
        machine
            .fields()
            .iter()
            .copied()
            .chain(preset_fields(preset).iter().copied())
            .collect()
    }

    /// Every field the form keeps (the machine's and all workload fields).
    fn all_fields(machine: &dyn Machine) -> impl Iterator<Item = &'static FieldSpec> {
        machine
            .fields()
            .iter()
            .copied()
            .chain(WORKLOAD_FIELDS.iter().copied())
    }

    /// The defaults of `preset` on `machine`.
    pub fn defaults(machine: &dyn Machine, preset: Preset) -> Self {
        Self {
            arch: machine.arch(),
            preset: preset.as_str().into(),
            values: Self::all_fields(machine)
                .map(|f| (f.key, (f.default)(preset).to_string()))
                .collect(),
        }
    }

    /// The form a URL query describes: the preset's defaults, overridden by what the query
    /// gives. Unknown keys are ignored.
    pub fn from_query(machine: &dyn Machine, query: &[(String, String)]) -> Self {
        let preset_text = crate::query::value(query, "preset")
            .unwrap_or(Preset::Gemv.as_str())
            .to_string();
        let mut form = Self::defaults(machine, Preset::parse(&preset_text).unwrap_or(Preset::Gemv));
        form.preset = preset_text;
        for (key, text) in &mut form.values {
            if let Some(v) = crate::query::value(query, key) {
                *text = v.to_string();
            }
        }
        form
    }

    /// The preset, if it is a known one.
    pub fn preset(&self) -> Option<Preset> {
        Preset::parse(&self.preset)
    }

    /// The text of a field ("" for a field this machine does not have).
    pub fn field(&self, field: &FieldSpec) -> &str {
        self.values
            .iter()
            .find(|(k, _)| *k == field.key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A copy with one field changed.
    pub fn with_field(&self, field: &FieldSpec, value: &str) -> Self {
        let mut form = self.clone();
        if let Some((_, text)) = form.values.iter_mut().find(|(k, _)| *k == field.key) {
            *text = value.trim().to_string();
        }
        form
    }

    /// A copy with another preset: the new preset's workload sizes; a machine setting keeps
    /// what the learner chose unless its default differs between the two presets (the MLP's
    /// mesh is bigger on purpose).
    pub fn with_preset(&self, machine: &dyn Machine, preset: Preset) -> Self {
        let old = self.preset().unwrap_or(Preset::Gemv);
        let mut form = Self::defaults(machine, preset);
        for field in machine.fields() {
            if (field.default)(old) == (field.default)(preset) {
                let kept = self.field(field).to_string();
                form = form.with_field(field, &kept);
            }
        }
        form
    }

    /// The query string (without `?`): the preset and the fields the page uses, so a copied
    /// link reproduces the setup.
    pub fn to_query(&self, machine: &dyn Machine) -> String {
        let preset = self.preset().unwrap_or(Preset::Gemv);
        let fields = Self::fields_for(machine, preset);
        crate::query::write(
            std::iter::once(("preset", self.preset.as_str()))
                .chain(fields.iter().map(|f| (f.key, self.field(f)))),
        )
    }

    /// The `href` of this setup on its machine's page.
    pub fn href(&self, machine: &dyn Machine) -> String {
        format!(
            "#/simulators/{}?{}",
            self.arch.name(),
            self.to_query(machine)
        )
    }

    /// The same workload (preset and its sizes) on `other`'s page, with `other`'s defaults.
    pub fn href_on(&self, other: &dyn Machine) -> String {
        let preset = self.preset().unwrap_or(Preset::Gemv);
        let mut form = Self::defaults(other, preset);
        form.preset.clone_from(&self.preset);
        for field in preset_fields(preset) {
            form = form.with_field(field, self.field(field));
        }
        form.href(other)
    }

    /// Checks the form.
    ///
    /// # Errors
    /// A sentence naming the field: an unknown preset or choice, text that is not a whole
    /// number, or a size too big for the page.
    pub fn parse(&self, machine: &dyn Machine) -> Result<SimSetup, String> {
        let preset = self.preset().ok_or_else(|| {
            format!(
                "There is no preset called \u{201c}{}\u{201d}; choose gemv, mlp, cnn or bert-layer.",
                self.preset
            )
        })?;
        let mut setup = SimSetup {
            arch: machine.arch(),
            preset,
            d_in: 1,
            d_out: 1,
            batch: 1,
            seq: 128,
            machine: Vec::new(),
        };
        for field in Self::fields_for(machine, preset) {
            let text = self.field(field);
            let value = match field.kind {
                FieldKind::Size => FieldValue::Size(parse_size(field, text)?),
                FieldKind::Choice(options) => FieldValue::Choice(
                    options
                        .iter()
                        .find(|(v, _)| *v == text.trim())
                        .map(|(v, _)| *v)
                        .ok_or_else(|| {
                            let names: Vec<&str> = options.iter().map(|(v, _)| *v).collect();
                            format!(
                                "There is no {} called \u{201c}{text}\u{201d}; choose {}.",
                                field.what,
                                or_list(&names)
                            )
                        })?,
                ),
            };
            if field.is(&D_IN) || field.is(&D_OUT) || field.is(&BATCH) || field.is(&SEQ) {
                let FieldValue::Size(n) = value else { continue };
                // Name the size the learner typed, not the tensor dimension it becomes.
                if n == 0 {
                    return Err(sentence(&SimError::ZeroSize { what: field.what }));
                }
                if field.is(&D_IN) {
                    setup.d_in = n;
                } else if field.is(&D_OUT) {
                    setup.d_out = n;
                } else if field.is(&SEQ) {
                    setup.seq = n;
                } else {
                    setup.batch = n;
                }
            } else {
                setup.machine.push((field.key, value));
            }
        }
        let matrix = u64::from(setup.d_in) * u64::from(setup.d_out);
        if preset == Preset::Gemv && matrix > MAX_PAGE_MATRIX {
            return Err(sentence(&SimError::TooLarge {
                what: "The matrix's element count (input × output length)",
                value: matrix,
                max: MAX_PAGE_MATRIX,
            }));
        }
        machine.check(&setup)?;
        Ok(setup)
    }
}

/// `a, b or c`.
fn or_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Reads one size. Zero and too-large values within `u32` are passed on for the engine to
/// judge; text that is not a whole number, or beyond `u32`, is refused here.
fn parse_size(field: &FieldSpec, text: &str) -> Result<u32, String> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "The {} must be a whole number, but it is \u{201c}{text}\u{201d}.",
            field.what
        ));
    }
    let too_large = |value| {
        sentence(&SimError::TooLarge {
            what: field.what,
            value,
            max: u64::from(u32::MAX),
        })
    };
    match text.parse::<u64>() {
        Ok(v) => u32::try_from(v).map_err(|_| too_large(v)),
        Err(_) => Err(too_large(u64::MAX)),
    }
}

/// A checked machine setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValue {
    /// A size.
    Size(u32),
    /// One of the field's choices (its URL value).
    Choice(&'static str),
}

/// A checked setup: what to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimSetup {
    /// The machine.
    pub arch: SimArch,
    /// The workload preset.
    pub preset: Preset,
    /// The GEMV's input length.
    pub d_in: u32,
    /// The GEMV's output length.
    pub d_out: u32,
    /// The batch (MLP, CNN).
    pub batch: u32,
    /// The sequence length (BERT layer).
    pub seq: u32,
    /// The machine's own settings, by key.
    pub machine: Vec<(&'static str, FieldValue)>,
}

impl SimSetup {
    /// A size setting of the machine (0 when the machine has no such field: the engine then
    /// names the size that is missing).
    pub fn size(&self, field: &FieldSpec) -> u32 {
        match self.machine.iter().find(|(k, _)| *k == field.key) {
            Some((_, FieldValue::Size(n))) => *n,
            _ => 0,
        }
    }

    /// A choice setting of the machine (its first choice when absent).
    pub fn choice(&self, field: &FieldSpec) -> &'static str {
        match self.machine.iter().find(|(k, _)| *k == field.key) {
            Some((_, FieldValue::Choice(c))) => c,
            _ => match field.kind {
                FieldKind::Choice(options) => options.first().map_or("", |(v, _)| v),
                FieldKind::Size => "",
            },
        }
    }

    /// The workload graph every machine runs.
    ///
    /// # Errors
    /// The engine's, for a size it refuses.
    pub fn workload(&self) -> Result<Workload, SimError> {
        self.preset.build(&PresetSizes {
            d_in: u64::from(self.d_in),
            d_out: u64::from(self.d_out),
            batch: u64::from(self.batch),
            seq: u64::from(self.seq),
        })
    }
}
