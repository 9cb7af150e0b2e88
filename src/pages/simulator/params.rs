//! The simulator pages' parameters: which workload preset, which sizes, which machine.
//!
//! They live in the URL (`#/simulators/wse?preset=gemv&width=16&…`) so a link reproduces the
//! setup. The form keeps what the learner typed as text; [`SimForm::parse`] turns it into a
//! [`SimSetup`] or a sentence saying what is wrong. Sizes the engine checks itself (zero, above
//! its limits, a block that does not fit a PE, too few colors) are left to the engine so its
//! error value is what the page shows; this module only refuses what cannot be a number and
//! what is too big to animate in a browser tab.

use sim::SimError;

use super::session::sentence;
use sim::workload::{Workload, presets};
use sim::wse::config::{WSE2_COLORS, WseConfig};

/// Which machine a page simulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// The GPU baseline (`#/simulators/gpu`).
    Gpu,
    /// The Cerebras WSE-2 mesh (`#/simulators/wse`).
    Wse,
}

impl Arch {
    /// The route segment (`gpu`, `wse`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gpu => "gpu",
            Self::Wse => "wse",
        }
    }
}

/// A workload preset, as named in lesson links (`?preset=bert-layer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// `y = W·x`, one sample.
    Gemv,
    /// One MNIST MLP layer, 784 → 128 with bias and ReLU.
    Mlp,
    /// The Graphcore MNIST CNN's forward pass.
    Cnn,
    /// One BERT-tiny encoder layer.
    BertLayer,
}

impl Preset {
    /// Every preset, in the order the form lists them.
    pub const ALL: [Preset; 4] = [Self::Gemv, Self::Mlp, Self::Cnn, Self::BertLayer];

    /// The name used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gemv => "gemv",
            Self::Mlp => "mlp",
            Self::Cnn => "cnn",
            Self::BertLayer => "bert-layer",
        }
    }

    /// The name shown in the form.
    pub fn label(self) -> &'static str {
        match self {
            Self::Gemv => "GEMV (matrix × vector)",
            Self::Mlp => "MNIST MLP layer (784 → 128, bias, ReLU)",
            Self::Cnn => "Graphcore MNIST CNN (forward pass)",
            Self::BertLayer => "BERT-tiny encoder layer",
        }
    }

    /// Reads a URL or form value.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text.trim())
    }

    /// The sizes this preset takes (besides the machine's own parameters).
    pub fn fields(self) -> &'static [Field] {
        match self {
            Self::Gemv => &[Field::DIn, Field::DOut],
            Self::Mlp | Self::Cnn => &[Field::Batch],
            Self::BertLayer => &[],
        }
    }
}

/// One parameter of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Width,
    Height,
    Colors,
    DIn,
    DOut,
    Batch,
}

impl Field {
    /// Every size field, in form order.
    pub const ALL: [Field; 6] = [
        Self::Width,
        Self::Height,
        Self::Colors,
        Self::DIn,
        Self::DOut,
        Self::Batch,
    ];

    /// The URL query key, also the form control's `data-testid` suffix.
    pub fn key(self) -> &'static str {
        match self {
            Self::Width => "width",
            Self::Height => "height",
            Self::Colors => "colors",
            Self::DIn => "d_in",
            Self::DOut => "d_out",
            Self::Batch => "batch",
        }
    }

    /// The label shown beside the control.
    pub fn label(self) -> &'static str {
        match self {
            Self::Width => "Mesh width (PEs)",
            Self::Height => "Mesh height (PEs)",
            Self::Colors => "Colors (virtual channels)",
            Self::DIn => "Input length",
            Self::DOut => "Output length",
            Self::Batch => "Batch",
        }
    }

    /// The size in words, as the engine's error messages name it.
    pub fn what(self) -> &'static str {
        match self {
            Self::Width => "mesh width",
            Self::Height => "mesh height",
            Self::Colors => "number of colors",
            Self::DIn => "input length",
            Self::DOut => "output length",
            Self::Batch => "batch",
        }
    }

    /// The fields a page shows for `preset`: the machine's, then the workload's.
    pub fn for_page(arch: Arch, preset: Preset) -> Vec<Field> {
        let machine: &[Field] = match arch {
            Arch::Wse => &[Self::Width, Self::Height, Self::Colors],
            Arch::Gpu => &[],
        };
        machine.iter().chain(preset.fields()).copied().collect()
    }
}

/// The GPU models a page can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpuMachine {
    /// The A100 40GB SXM, every read from HBM.
    A100,
    /// The A100 with its 40 MiB L2 used as a tensor cache.
    A100L2,
    /// Four SMs at the A100's per-SM rates, for watching single kernels.
    Small,
}

impl GpuMachine {
    pub const ALL: [GpuMachine; 3] = [Self::A100, Self::A100L2, Self::Small];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A100 => "a100",
            Self::A100L2 => "a100-l2",
            Self::Small => "small",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::A100 => "NVIDIA A100 (no cache: every read from HBM)",
            Self::A100L2 => "NVIDIA A100 with its 40 MiB L2 as a cache",
            Self::Small => "Small GPU (4 SMs at A100 rates, 256 KiB cache)",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text.trim())
    }

    /// The engine's configuration for this machine.
    pub fn config(self) -> sim::gpu::GpuConfig {
        match self {
            Self::A100 => sim::gpu::GpuConfig::a100_40gb_sxm(),
            Self::A100L2 => sim::gpu::GpuConfig::a100_40gb_sxm_with_l2(),
            Self::Small => sim::gpu::GpuConfig::small(),
        }
    }
}

/// Largest mesh side the page animates. The engine accepts up to 1,024 (a wafer), but a
/// million PEs per cycle does not fit in an animation frame.
pub const MAX_PAGE_MESH_SIDE: u64 = 128;
/// Largest weight matrix (elements) the page builds: its values live in the tab's memory.
pub const MAX_PAGE_MATRIX: u64 = 1 << 22;

/// What the form holds: the preset and every size as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimForm {
    pub preset: String,
    pub machine: String,
    pub width: String,
    pub height: String,
    pub colors: String,
    pub d_in: String,
    pub d_out: String,
    pub batch: String,
}

impl SimForm {
    /// The defaults of `preset`: sizes that animate well and finish in seconds.
    pub fn defaults(preset: Preset) -> Self {
        let (side, batch) = match preset {
            Preset::Mlp => (32, 4),
            Preset::Gemv | Preset::Cnn | Preset::BertLayer => (16, 1),
        };
        Self {
            preset: preset.as_str().into(),
            machine: GpuMachine::A100.as_str().into(),
            width: side.to_string(),
            height: side.to_string(),
            colors: WSE2_COLORS.to_string(),
            d_in: "256".into(),
            d_out: "256".into(),
            batch: batch.to_string(),
        }
    }

    /// The form a URL query describes: the preset's defaults, overridden by what the query
    /// gives. An unknown preset is kept as written, so the page can say so.
    pub fn from_query(query: &[(String, String)]) -> Self {
        let value = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_string())
        };
        let preset_text = value("preset").unwrap_or_else(|| Preset::Gemv.as_str().into());
        let mut form = Self::defaults(Preset::parse(&preset_text).unwrap_or(Preset::Gemv));
        form.preset = preset_text;
        if let Some(machine) = value("machine") {
            form.machine = machine;
        }
        for field in Field::ALL {
            if let Some(v) = value(field.key()) {
                *form.field_mut(field) = v;
            }
        }
        form
    }

    /// The text of a size field.
    pub fn field(&self, field: Field) -> &str {
        match field {
            Field::Width => &self.width,
            Field::Height => &self.height,
            Field::Colors => &self.colors,
            Field::DIn => &self.d_in,
            Field::DOut => &self.d_out,
            Field::Batch => &self.batch,
        }
    }

    fn field_mut(&mut self, field: Field) -> &mut String {
        match field {
            Field::Width => &mut self.width,
            Field::Height => &mut self.height,
            Field::Colors => &mut self.colors,
            Field::DIn => &mut self.d_in,
            Field::DOut => &mut self.d_out,
            Field::Batch => &mut self.batch,
        }
    }

    /// A copy with one field changed.
    pub fn with_field(&self, field: Field, value: &str) -> Self {
        let mut form = self.clone();
        *form.field_mut(field) = value.trim().to_string();
        form
    }

    /// A copy with another preset: the new preset's default sizes, the machine kept.
    pub fn with_preset(&self, preset: Preset) -> Self {
        let mut form = Self::defaults(preset);
        form.machine.clone_from(&self.machine);
        if let Preset::Gemv | Preset::Cnn | Preset::BertLayer = preset {
            // Keep a mesh the learner chose; the MLP's default is bigger on purpose.
            form.width.clone_from(&self.width);
            form.height.clone_from(&self.height);
        }
        form.colors.clone_from(&self.colors);
        form
    }

    /// The query string (without `?`) for `arch`: the preset and the fields the page uses,
    /// so a copied link reproduces the setup.
    pub fn to_query(&self, arch: Arch) -> String {
        let preset = Preset::parse(&self.preset).unwrap_or(Preset::Gemv);
        let mut pairs = vec![("preset", encode(&self.preset))];
        if arch == Arch::Gpu {
            pairs.push(("machine", encode(&self.machine)));
        }
        for field in Field::for_page(arch, preset) {
            pairs.push((field.key(), encode(self.field(field))));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The `href` of this setup on `arch`'s page.
    pub fn href(&self, arch: Arch) -> String {
        format!("#/simulators/{}?{}", arch.as_str(), self.to_query(arch))
    }

    /// Checks the form for `arch`.
    ///
    /// # Errors
    /// A sentence naming the field: an unknown preset or machine, text that is not a whole
    /// number, or a size too big for the page.
    pub fn parse(&self, arch: Arch) -> Result<SimSetup, String> {
        let preset = Preset::parse(&self.preset).ok_or_else(|| {
            format!(
                "There is no preset called \u{201c}{}\u{201d}; choose gemv, mlp, cnn or bert-layer.",
                self.preset
            )
        })?;
        let machine = GpuMachine::parse(&self.machine).ok_or_else(|| {
            format!(
                "There is no GPU model called \u{201c}{}\u{201d}; choose a100, a100-l2 or small.",
                self.machine
            )
        })?;
        let mut setup = SimSetup {
            arch,
            preset,
            machine,
            width: 1,
            height: 1,
            colors: WSE2_COLORS,
            d_in: 1,
            d_out: 1,
            batch: 1,
        };
        for field in Field::for_page(arch, preset) {
            let value = parse_size(field, self.field(field))?;
            match field {
                Field::Width => setup.width = value,
                Field::Height => setup.height = value,
                Field::Colors => setup.colors = value,
                Field::DIn => setup.d_in = value,
                Field::DOut => setup.d_out = value,
                Field::Batch => setup.batch = value,
            }
        }
        for field in preset.fields() {
            // Name the size the learner typed, not the tensor dimension it becomes.
            if self.field(*field).trim().trim_start_matches('0').is_empty() {
                return Err(sentence(&SimError::ZeroSize { what: field.what() }));
            }
        }
        for (field, value) in [(Field::Width, setup.width), (Field::Height, setup.height)] {
            if arch == Arch::Wse && u64::from(value) > MAX_PAGE_MESH_SIDE {
                return Err(sentence(&SimError::TooLarge {
                    what: field.what(),
                    value: value.into(),
                    max: MAX_PAGE_MESH_SIDE,
                }));
            }
        }
        // The mesh holds every input value of the batch in the tab's memory (784 per MLP
        // sample); keep that as bounded as the matrix.
        let inputs = u64::from(setup.batch) * 784;
        if arch == Arch::Wse && preset == Preset::Mlp && inputs > MAX_PAGE_MATRIX {
            return Err(sentence(&SimError::TooLarge {
                what: "the number of input values (batch × 784)",
                value: inputs,
                max: MAX_PAGE_MATRIX,
            }));
        }
        let matrix = u64::from(setup.d_in) * u64::from(setup.d_out);
        if preset == Preset::Gemv && matrix > MAX_PAGE_MATRIX {
            return Err(sentence(&SimError::TooLarge {
                what: "The matrix's element count (input × output length)",
                value: matrix,
                max: MAX_PAGE_MATRIX,
            }));
        }
        Ok(setup)
    }
}

/// Reads one size. Zero and too-large values within `u32` are passed on for the engine to
/// judge; text that is not a whole number, or beyond `u32`, is refused here.
fn parse_size(field: Field, text: &str) -> Result<u32, String> {
    let text = text.trim();
    let not_a_number = || {
        format!(
            "The {} must be a whole number, but it is \u{201c}{text}\u{201d}.",
            field.what()
        )
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_number());
    }
    match text.parse::<u64>() {
        Ok(v) => u32::try_from(v).map_err(|_| {
            sentence(&SimError::TooLarge {
                what: field.what(),
                value: v,
                max: u64::from(u32::MAX),
            })
        }),
        Err(_) => Err(sentence(&SimError::TooLarge {
            what: field.what(),
            value: u64::MAX,
            max: u64::from(u32::MAX),
        })),
    }
}

/// Percent-encodes what a query value must not contain raw.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A checked setup: what to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimSetup {
    pub arch: Arch,
    pub preset: Preset,
    pub machine: GpuMachine,
    pub width: u32,
    pub height: u32,
    pub colors: u32,
    pub d_in: u32,
    pub d_out: u32,
    pub batch: u32,
}

impl SimSetup {
    /// The workload graph both machines run.
    ///
    /// # Errors
    /// The engine's, for a size it refuses.
    pub fn workload(&self) -> Result<Workload, SimError> {
        let batch = u64::from(self.batch);
        match self.preset {
            Preset::Gemv => presets::gemv(u64::from(self.d_in), u64::from(self.d_out)),
            Preset::Mlp => presets::mnist_mlp_layer(batch),
            Preset::Cnn => presets::graphcore_mnist_cnn(batch),
            Preset::BertLayer => presets::bert_tiny_encoder_layer(),
        }
    }

    /// The mesh configuration. The page keeps milestone events and every wavelet leaving
    /// the mesh, not every task start.
    pub fn wse_config(&self) -> WseConfig {
        let mut config = WseConfig::wse2(self.width, self.height);
        config.n_colors = self.colors;
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> Vec<(String, String)> {
        crate::route::Location::parse(&format!("#/simulators/wse?{text}")).query
    }

    #[test]
    fn a_lesson_link_with_only_a_preset_gets_that_presets_defaults() {
        let form = SimForm::from_query(&query("preset=mlp"));
        assert_eq!(form, SimForm::defaults(Preset::Mlp));
        let setup = form.parse(Arch::Wse).unwrap();
        assert_eq!((setup.width, setup.height, setup.batch), (32, 32, 4));
        // No preset at all: the GEMV.
        assert_eq!(SimForm::from_query(&[]), SimForm::defaults(Preset::Gemv));
    }

    #[test]
    fn query_round_trips_through_the_url() {
        let form = SimForm::from_query(&query("preset=gemv&width=8&height=4&d_in=64&d_out=32"));
        assert_eq!(
            form.to_query(Arch::Wse),
            "preset=gemv&width=8&height=4&colors=24&d_in=64&d_out=32"
        );
        let again = SimForm::from_query(&query(&form.to_query(Arch::Wse)));
        assert_eq!(again, form);
        // The GPU page has no mesh, but a machine.
        assert_eq!(
            form.to_query(Arch::Gpu),
            "preset=gemv&machine=a100&d_in=64&d_out=32"
        );
        assert_eq!(
            SimForm::defaults(Preset::BertLayer).href(Arch::Gpu),
            "#/simulators/gpu?preset=bert-layer&machine=a100"
        );
        // Junk is encoded, not injected into the query.
        let junk = form.with_field(Field::Width, "1&preset=cnn");
        assert!(junk.to_query(Arch::Wse).contains("width=1%26preset%3Dcnn"));
        assert_eq!(SimForm::from_query(&query(&junk.to_query(Arch::Wse))), junk);
    }

    fn check_err(text: &str, arch: Arch, expected: &str) {
        let err = SimForm::from_query(&query(text)).parse(arch).unwrap_err();
        assert_eq!(err, expected, "{text}");
    }

    #[test]
    fn bad_values_are_sentences_that_name_the_field() {
        check_err(
            "preset=resnet",
            Arch::Wse,
            "There is no preset called \u{201c}resnet\u{201d}; choose gemv, mlp, cnn or bert-layer.",
        );
        check_err(
            "preset=gemv&machine=h100",
            Arch::Gpu,
            "There is no GPU model called \u{201c}h100\u{201d}; choose a100, a100-l2 or small.",
        );
        check_err(
            "width=abc",
            Arch::Wse,
            "The mesh width must be a whole number, but it is \u{201c}abc\u{201d}.",
        );
        check_err(
            "height=-3",
            Arch::Wse,
            "The mesh height must be a whole number, but it is \u{201c}-3\u{201d}.",
        );
        check_err(
            "d_in=99999999999",
            Arch::Wse,
            "Input length is 99999999999, above the limit of 4294967295.",
        );
        check_err(
            "d_in=999999999999999999999999",
            Arch::Wse,
            "Input length is 18446744073709551615, above the limit of 4294967295.",
        );
        check_err(
            "width=500",
            Arch::Wse,
            "Mesh width is 500, above the limit of 128.",
        );
        check_err(
            "preset=mlp&batch=65536",
            Arch::Wse,
            "The number of input values (batch × 784) is 51380224, above the limit of 4194304.",
        );
        check_err(
            "d_in=4096&d_out=4096",
            Arch::Gpu,
            "The matrix's element count (input × output length) is 16777216, above the limit of 4194304.",
        );
    }

    #[test]
    fn zero_and_engine_limits_are_left_to_the_engine() {
        // Zero parses: the engine's message is the one the page shows.
        let form = SimForm::from_query(&query("preset=gemv&width=0"));
        let setup = form.parse(Arch::Wse).unwrap();
        assert_eq!(setup.width, 0);
        assert_eq!(
            setup.wse_config().validate().unwrap_err().to_string(),
            "mesh width must be at least 1, but it is 0."
        );
        // The GPU page ignores mesh fields entirely.
        let gpu = SimForm::from_query(&query("preset=cnn&width=abc&batch=3"))
            .parse(Arch::Gpu)
            .unwrap();
        assert_eq!(gpu.batch, 3);
        assert_eq!(gpu.workload().unwrap().ops.len(), 9);
    }

    #[test]
    fn changing_preset_resets_sizes_but_keeps_the_machine() {
        let form = SimForm::from_query(&query("preset=gemv&machine=small&width=8&d_in=3"));
        let mlp = form.with_preset(Preset::Mlp);
        assert_eq!(mlp.machine, "small");
        assert_eq!(mlp.width, "32");
        let cnn = form.with_preset(Preset::Cnn);
        assert_eq!((cnn.width.as_str(), cnn.d_in.as_str()), ("8", "256"));
    }
}
