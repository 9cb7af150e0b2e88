//! The compile workflow of one machine, shown (`#/compile`): trace → partition → place →
//! route → schedule → run, each stage a table read from the program or mapping the machine's
//! own compiler made for the workload, and [`diff`] of two shapes (what changed, and whether
//! the machine must compile again, and why).
//!
//! Every figure here is the engine's: the Groq compiler's predicted cycles, the IPU's
//! supersteps and exchange transfers, the RDU's sections, stages and routes, the WSE mapping's
//! blocks and colors, the GPU model's kernels. The names of the real stacks' tools beside each
//! stage are the lessons' (lesson 07 and the machine lessons).

use course::SimArch;
use serde::{Deserialize, Serialize};
use sim::engine::{Engine, RunStatus};
use sim::units::{Bytes, Cycle, thousands};
use sim::workload::Workload;

use super::compare::CompareSetup;
use super::form::{Preset, SimSetup};
use super::text::short_name;
use super::{Machine, sentence};

/// The machines the page compiles for, in course order.
pub const COMPILE_MACHINES: [SimArch; 5] = SimArch::ALL;

/// The six stages, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageName {
    /// The op graph with its shapes.
    Trace,
    /// The graph cut into what the machine runs as a unit (sections, supersteps, chains, kernels).
    Partition,
    /// Which units hold which part.
    Place,
    /// How data moves between them.
    Route,
    /// When each part runs.
    Schedule,
    /// What the run takes.
    Run,
}

impl StageName {
    /// Every stage, in order.
    pub const ALL: [StageName; 6] = [
        Self::Trace,
        Self::Partition,
        Self::Place,
        Self::Route,
        Self::Schedule,
        Self::Run,
    ];

    /// Its key (`compile-stage-<key>` test ids).
    pub fn key(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Partition => "partition",
            Self::Place => "place",
            Self::Route => "route",
            Self::Schedule => "schedule",
            Self::Run => "run",
        }
    }

    /// Its heading.
    pub fn title(self) -> &'static str {
        match self {
            Self::Trace => "1. Trace: the op graph with its shapes",
            Self::Partition => "2. Partition",
            Self::Place => "3. Place",
            Self::Route => "4. Route",
            Self::Schedule => "5. Schedule",
            Self::Run => "6. Run",
        }
    }
}

/// What does this stage on the real machine: the tool of its stack, as the lessons name it.
pub fn tool(arch: SimArch, stage: StageName) -> &'static str {
    use StageName as S;
    match (arch, stage) {
        (SimArch::Groq, S::Trace) => {
            "GroqFlow: groqit(model, inputs) exports the model to ONNX; the example inputs fix the shapes"
        }
        (SimArch::Groq, S::Partition | S::Place | S::Route) => {
            "GroqFlow's compiler (GroqWare SDK), inside groqit"
        }
        (SimArch::Groq, S::Schedule) => {
            "GroqFlow's compiler and assembler: every instruction's cycle fixed; the build is cached under ~/.cache/groqflow/"
        }
        (SimArch::Groq, S::Run) => "call the GroqModel that groqit returned",
        (SimArch::Ipu, S::Trace) => {
            "PopTorch: the first call to poptorch.trainingModel (or inferenceModel) traces the model"
        }
        (SimArch::Ipu, S::Partition) => {
            "Poplar, on that first call: compute sets and exchanges in a control program"
        }
        (SimArch::Ipu, S::Place) => "Poplar's tile mapping of every tensor and vertex",
        (SimArch::Ipu, S::Route) => "Poplar's exchange: compiler-timed copies between tiles",
        (SimArch::Ipu, S::Schedule) => {
            "Poplar's control program, saved as the executable (cached where POPTORCH_CACHE_DIR points)"
        }
        (SimArch::Ipu, S::Run) => "later calls to the PopTorch model run the compiled executable",
        (SimArch::Rdu, S::Trace) => {
            "SambaFlow: samba.from_torch_model_ converts the model; SambaSession.compile() traces it"
        }
        (SimArch::Rdu, S::Partition) => "SambaFlow's graph compiler: the graph cut into sections",
        (SimArch::Rdu, S::Place) => "SambaFlow's kernel compiler: PCUs and PMUs of the tile",
        (SimArch::Rdu, S::Route) => "SambaFlow's kernel compiler: switch routes",
        (SimArch::Rdu, S::Schedule) => {
            "the graph compiler's execution schedule, written into the PEF (compile runs on the host CPU)"
        }
        (SimArch::Rdu, S::Run) => {
            "srun … run --pef=<the PEF>: replicas load the PEF and stream data"
        }
        (SimArch::Wse, S::Trace) => {
            "Cerebras Model Zoo: run.py CSX builds the model's graph in Python"
        }
        (SimArch::Wse, S::Partition) => {
            "the Cerebras compile job: --validate_only stops after matching ops to kernels"
        }
        (SimArch::Wse, S::Place | S::Route) => {
            "the Cerebras compile job (--compile_only stops here): kernels on PEs, routes as colors"
        }
        (SimArch::Wse, S::Schedule) => {
            "no instruction schedule: a PE's task runs when its wavelet arrives"
        }
        (SimArch::Wse, S::Run) => "the same job programs the wafer and trains",
        (SimArch::Gpu, S::Trace) => {
            "PyTorch eager: no graph is traced; each line launches work as Python reaches it"
        }
        (SimArch::Gpu, S::Partition) => "one library kernel (cuBLAS, PyTorch's own) per op",
        (SimArch::Gpu, S::Place) => {
            "the GPU's scheduler spreads each kernel's blocks over the SMs at run time"
        }
        (SimArch::Gpu, S::Route) => "no routes: every kernel reads and writes HBM",
        (SimArch::Gpu, S::Schedule) => "kernels queue on a stream in launch order",
        (SimArch::Gpu, S::Run) => "the script itself: nothing to compile first",
    }
}

/// Whether a new shape makes `arch` compile again, and why, in words.
fn recompile_reason(arch: SimArch) -> (bool, &'static str) {
    match arch {
        SimArch::Groq => (
            true,
            "A Groq program fixes every instruction's cycle for the shapes groqit was given: a new shape is a new build (GroqFlow rebuilds), with a new schedule and a new latency. Real inputs must be padded to the built shapes.",
        ),
        SimArch::Rdu => (
            true,
            "The PEF is compiled for one batch per replica and one sequence length (-b, --max_seq_length): change either and SambaFlow compiles a new PEF, about 13 minutes for BERT-large. Only the number of replicas (--ntasks) is chosen at run time.",
        ),
        SimArch::Ipu => (
            true,
            "Poplar's tile mapping and exchanges are planned for these tensor sizes, so the cached executable does not fit the new shape: expect a new compile on the first call (lesson 07 marks this as reasoning, not something the course's logs show). The old shape's executable stays in the cache.",
        ),
        SimArch::Wse => (
            true,
            "The Cerebras compile maps kernels and routes for the shapes in the model's configuration: a new batch or sequence length is a new compile job (the homework ran one for each batch).",
        ),
        SimArch::Gpu => (
            false,
            "Nothing to recompile: PyTorch launches the same kernels eagerly with a new grid for the new shape.",
        ),
    }
}

/// One stage as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Which stage.
    pub name: StageName,
    /// The real stack's tool for it.
    pub tool: String,
    /// The stage in one or two sentences, with its headline figure.
    pub summary: String,
    /// Column headings of the table.
    pub headers: Vec<String>,
    /// The table, one text per column.
    pub rows: Vec<Vec<String>>,
}

/// A headline figure of a compile, compared by [`diff`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    /// Stable id (`compile-figure-<key>`).
    pub key: String,
    /// In words.
    pub label: String,
    /// The value.
    pub value: u64,
}

/// One machine's compile of one workload, stage by stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompileReport {
    /// The machine.
    pub arch: SimArch,
    /// The workload's name.
    pub workload: String,
    /// The shape: the preset's size fields as `(key, value)`.
    pub shape: Vec<(String, String)>,
    /// The machine's configuration in words.
    pub config: String,
    /// The clock the cycles are counted at.
    pub clock_hz: f64,
    /// The six stages, in order.
    pub stages: Vec<Stage>,
    /// The headline figures.
    pub figures: Vec<Figure>,
    /// The simulator page with the same setup.
    pub simulator_href: String,
}

impl CompileReport {
    /// A headline figure by key.
    pub fn figure(&self, key: &str) -> Option<u64> {
        self.figures.iter().find(|f| f.key == key).map(|f| f.value)
    }

    /// A stage by name.
    pub fn stage(&self, name: StageName) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }
}

/// What changed between two shapes on one machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompileDiff {
    /// Whether the machine compiles again.
    pub recompile: bool,
    /// The verdict, one sentence ("The Groq TSP must recompile: …").
    pub verdict: String,
    /// Why, in the real stack's terms.
    pub reason: String,
    /// `(what, old, new)` for the shape and every figure that changed.
    pub changes: Vec<(String, String, String)>,
}

/// The page's settings: the machine and the workload (`machine=groq&preset=mlp&batch=4`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileSetup {
    /// The machine.
    pub arch: SimArch,
    /// The workload, as the compare page reads it.
    pub workload: CompareSetup,
}

impl CompileSetup {
    /// The setup a URL query describes; Groq and the MLP layer (at its default batch) when
    /// keys are missing.
    ///
    /// # Errors
    /// The sentence for an unknown machine, an unknown preset or a bad size.
    pub fn from_query(query: &[(String, String)]) -> Result<Self, String> {
        let name = crate::query::value(query, "machine").unwrap_or("groq");
        let arch = SimArch::from_name(name.trim())
            .filter(|a| COMPILE_MACHINES.contains(a))
            .ok_or_else(|| {
                format!(
                    "There is no machine called \u{201c}{name}\u{201d}; choose gpu, wse, ipu, rdu or groq."
                )
            })?;
        let workload = if crate::query::value(query, "preset").is_some() {
            CompareSetup::from_query(query)?
        } else {
            let mut with_preset = query.to_vec();
            with_preset.push(("preset".to_owned(), Preset::Mlp.as_str().to_owned()));
            CompareSetup::from_query(&with_preset)?
        };
        Ok(Self { arch, workload })
    }

    /// The URL query.
    pub fn query(&self) -> Vec<(String, String)> {
        std::iter::once(("machine".to_owned(), self.arch.name().to_owned()))
            .chain(self.workload.query())
            .collect()
    }

    /// The query as one string (`machine=groq&preset=mlp&batch=4`).
    pub fn query_string(&self) -> String {
        let q = self.query();
        crate::query::write(q.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The address of the compile page with this setup.
    pub fn href(&self) -> String {
        format!("#/compile?{}", self.query_string())
    }

    fn machine(&self) -> Result<&'static dyn Machine, String> {
        super::machine(self.arch).ok_or_else(|| "This machine's simulator is not built.".into())
    }

    /// The simulator page with the same setup.
    pub fn simulator_href(&self) -> String {
        self.machine()
            .map(|m| self.workload.machine_href(m))
            .unwrap_or_default()
    }

    /// Compiles the workload for the machine (as its simulator page would) and reads each
    /// stage from the program.
    ///
    /// # Errors
    /// The machine's or the engine's sentence (a workload it does not compile, sizes too big).
    pub fn compile(&self) -> Result<CompileReport, String> {
        let machine = self.machine()?;
        let setup = self.workload.machine_setup(machine)?;
        let workload = setup.workload().map_err(|e| sentence(&e))?;
        let trace = trace_stage(self.arch, &workload);
        let built = match self.arch {
            SimArch::Groq => groq(&setup, &workload),
            SimArch::Ipu => ipu(&setup, &workload),
            SimArch::Rdu => rdu(&setup, &workload),
            SimArch::Wse => wse(&setup, &workload),
            SimArch::Gpu => gpu(&setup, &workload),
        }?;
        let mut stages = vec![trace];
        stages.extend(built.stages);
        Ok(CompileReport {
            arch: self.arch,
            workload: workload.name.clone(),
            shape: self
                .workload
                .sizes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            config: built.config,
            clock_hz: built.clock_hz,
            stages,
            figures: built.figures,
            simulator_href: self.simulator_href(),
        })
    }
}

/// What a machine's part adds to the trace.
struct Built {
    config: String,
    clock_hz: f64,
    stages: Vec<Stage>,
    figures: Vec<Figure>,
}

fn stage(
    arch: SimArch,
    name: StageName,
    summary: String,
    headers: &[&str],
    rows: Vec<Vec<String>>,
) -> Stage {
    Stage {
        name,
        tool: tool(arch, name).to_owned(),
        summary,
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

fn figure(key: &str, label: &str, value: u64) -> Figure {
    Figure {
        key: key.to_owned(),
        label: label.to_owned(),
        value,
    }
}

fn shape_text(shape: &[u64]) -> String {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    format!("[{}]", dims.join(", "))
}

fn us(c: Cycle, clock_hz: f64) -> String {
    format!("{:.3} µs", c.seconds_at(clock_hz) * 1e6)
}

/// "3 to 7", "3", or "none": a list of unit indices as ranges.
fn ranges(ids: &[u32]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
        i += 1;
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// The op graph with its shapes: the same on every machine.
fn trace_stage(arch: SimArch, w: &Workload) -> Stage {
    let rows = w
        .ops
        .iter()
        .map(|op| {
            let reads: Vec<String> = op
                .inputs
                .iter()
                .map(|&t| {
                    let t = w.tensor(t);
                    format!("{} {}", t.name, shape_text(&t.shape))
                })
                .collect();
            let out = w.tensor(op.output);
            vec![
                op.name.clone(),
                op.kind.label().to_owned(),
                reads.join(", "),
                format!("{} {}", out.name, shape_text(&out.shape)),
                thousands(op.kind.flops()),
            ]
        })
        .collect();
    stage(
        arch,
        StageName::Trace,
        format!(
            "{}: {} ops on {} tensors, {} FLOPs, {} of weights. Every machine starts from this graph; the shapes are fixed here.",
            w.name,
            w.ops.len(),
            w.tensors.len(),
            thousands(w.flops()),
            w.weight_bytes()
        ),
        &["Op", "Kind", "Reads", "Writes", "FLOPs"],
        rows,
    )
}

fn groq(setup: &SimSetup, w: &Workload) -> Result<Built, String> {
    let arch = SimArch::Groq;
    let config = super::groq::groq_config(setup);
    let p = sim::groq::compile(&config, w).map_err(|e| sentence(&e))?;
    let partition = p
        .ops
        .iter()
        .map(|o| {
            vec![
                o.name.clone(),
                o.label.to_owned(),
                o.chains.to_string(),
                thousands(o.instructions as u64),
            ]
        })
        .collect();
    let place = p
        .placements
        .iter()
        .map(|pl| {
            vec![
                pl.name.clone(),
                p.slice_name(pl.slice),
                thousands(pl.vectors),
                pl.bytes.to_string(),
                if pl.ready == Cycle::ZERO {
                    "in memory at the start".to_owned()
                } else {
                    format!("cycle {}", thousands(pl.ready.0))
                },
            ]
        })
        .collect();
    // Transfers grouped by the slices they join.
    let mut routes: Vec<(u32, u32, bool, u64, u64, std::collections::BTreeSet<u32>)> = Vec::new();
    for t in &p.transfers {
        match routes
            .iter_mut()
            .find(|r| r.0 == t.from && r.1 == t.to && r.2 == t.east)
        {
            Some(r) => {
                r.3 += 1;
                r.4 += t.count;
                r.5.insert(t.stream);
            }
            None => routes.push((
                t.from,
                t.to,
                t.east,
                1,
                t.count,
                std::iter::once(t.stream).collect(),
            )),
        }
    }
    let n_routes = routes.len();
    let route_rows = routes
        .into_iter()
        .map(|(from, to, east, n, vectors, streams)| {
            let streams: Vec<u32> = streams.into_iter().collect();
            vec![
                p.slice_name(from),
                p.slice_name(to),
                format!(
                    "{} ({} slice{})",
                    if east { "east" } else { "west" },
                    from.abs_diff(to),
                    if from.abs_diff(to) == 1 { "" } else { "s" }
                ),
                ranges(&streams),
                thousands(n),
                thousands(vectors),
            ]
        })
        .collect();
    let schedule = p
        .ops
        .iter()
        .map(|o| {
            vec![
                o.name.clone(),
                thousands(o.start.0),
                thousands(o.end.0),
                thousands(o.end.0.saturating_sub(o.start.0)),
            ]
        })
        .collect();
    let mem: u64 = p.mem_used.iter().map(|b| b.0).sum();
    let vectors: u64 = p.transfers.iter().map(|t| t.count).sum();
    let stages = vec![
        stage(
            arch,
            StageName::Partition,
            format!(
                "Each op is lowered to chains (a MEM read streaming to a functional slice, its results streaming back to a MEM write): {} chains, {} instructions in all.",
                thousands(p.ops.iter().map(|o| o.chains as u64).sum()),
                thousands(p.instructions.len() as u64)
            ),
            &["Op", "Kind", "Chains", "Instructions"],
            partition,
        ),
        stage(
            arch,
            StageName::Place,
            format!(
                "Every tensor lives in one MEM slice of the {} slices ({} superlanes × 16 lanes, vectors of {} elements): {} of MEM used.",
                p.slices.len(),
                p.n_superlanes,
                p.vector_len,
                Bytes(mem)
            ),
            &["Tensor", "MEM slice", "Vectors", "Bytes", "Landed by"],
            place,
        ),
        stage(
            arch,
            StageName::Route,
            format!(
                "{} stream transfers on {} routes between slices carry {} vectors, one slice per cycle; each transfer holds a stream register for its vectors.",
                thousands(p.transfers.len() as u64),
                n_routes,
                thousands(vectors)
            ),
            &["From", "To", "Direction", "Streams", "Transfers", "Vectors"],
            route_rows,
        ),
        stage(
            arch,
            StageName::Schedule,
            format!(
                "Every instruction has its issue cycle before the run: the program is {} cycles long, including the {} cycles the superlane stagger adds once.",
                thousands(p.length.0),
                p.n_superlanes.saturating_sub(1)
            ),
            &[
                "Op",
                "First issue (cycle)",
                "Done on every superlane (cycle)",
                "Cycles",
            ],
            schedule,
        ),
        stage(
            arch,
            StageName::Run,
            format!(
                "The compiler predicts {} cycles ({} at {:.0} MHz): the run takes exactly that, whatever the input values.",
                thousands(p.length.0),
                us(p.length, config.clock_hz),
                config.clock_hz / 1e6
            ),
            &["Figure", "Value"],
            vec![
                vec!["Predicted cycles".into(), thousands(p.length.0)],
                vec!["Latency".into(), us(p.length, config.clock_hz)],
                vec![
                    "Instructions".into(),
                    thousands(p.instructions.len() as u64),
                ],
                vec!["Slices".into(), p.slices.len().to_string()],
            ],
        ),
    ];
    Ok(Built {
        config: config.name.clone(),
        clock_hz: config.clock_hz,
        stages,
        figures: vec![
            figure("cycles", "Predicted cycles", p.length.0),
            figure("instructions", "Instructions", p.instructions.len() as u64),
            figure("transfers", "Stream transfers", p.transfers.len() as u64),
            figure("mem_bytes", "MEM bytes used", mem),
        ],
    })
}

fn ipu(setup: &SimSetup, w: &Workload) -> Result<Built, String> {
    let arch = SimArch::Ipu;
    let config = super::ipu::ipu_config(setup);
    let p = sim::ipu::compile(&config, w).map_err(|e| sentence(&e))?;
    let total = p.total_cycles(config.sync_latency);
    let partition = p
        .supersteps
        .iter()
        .map(|s| {
            let busy = s.tiles.iter().filter(|t| !t.vertices.is_empty()).count();
            vec![
                s.index.to_string(),
                s.label.clone(),
                thousands(busy as u64),
                thousands(s.tiles.iter().map(|t| t.vertices.len() as u64).sum()),
            ]
        })
        .collect();
    let place = p
        .ops
        .iter()
        .map(|o| {
            let split = match o.split {
                sim::ipu::OpSplit::Gemm(g) => {
                    format!(
                        "GEMM {} × {} × {} (m × k × n)",
                        g.m_parts, g.k_parts, g.n_parts
                    )
                }
                sim::ipu::OpSplit::BatchedGemm { batch_parts, split } => format!(
                    "{batch_parts} groups of heads, each {} × {} × {}",
                    split.m_parts, split.k_parts, split.n_parts
                ),
                sim::ipu::OpSplit::Blocks { parts } => format!("{parts} blocks of rows"),
            };
            vec![
                o.name.clone(),
                o.label.to_owned(),
                split,
                thousands(o.split.tiles()),
                o.reduce_superstep.map_or_else(
                    || o.compute_superstep.to_string(),
                    |r| format!("{} (reduce {r})", o.compute_superstep),
                ),
            ]
        })
        .collect();
    let route = p
        .supersteps
        .iter()
        .map(|s| {
            let senders: std::collections::BTreeSet<u32> =
                s.exchange.iter().map(|t| t.from).collect();
            let receivers: std::collections::BTreeSet<u32> =
                s.exchange.iter().map(|t| t.to).collect();
            vec![
                s.index.to_string(),
                thousands(s.exchange.len() as u64),
                thousands(senders.len() as u64),
                thousands(receivers.len() as u64),
                s.exchange_bytes().to_string(),
                thousands(s.exchange_cycles.0),
            ]
        })
        .collect();
    let mut at = Cycle::ZERO;
    let schedule = p
        .supersteps
        .iter()
        .map(|s| {
            let start = at;
            at = at + s.compute + config.sync_latency + s.exchange_cycles;
            vec![
                s.index.to_string(),
                thousands(start.0),
                thousands(s.compute.0),
                thousands(config.sync_latency.0),
                thousands(s.exchange_cycles.0),
                thousands(at.0),
            ]
        })
        .collect();
    let transfers: u64 = p.supersteps.iter().map(|s| s.exchange.len() as u64).sum();
    let exchanged: u64 = p.supersteps.iter().map(|s| s.exchange_bytes().0).sum();
    let exchange_cycles: u64 = p.supersteps.iter().map(|s| s.exchange_cycles.0).sum();
    let peak = p.memory_used.iter().map(|b| b.0).max().unwrap_or(0);
    let tiles_used = p.ops.iter().map(|o| o.split.tiles()).max().unwrap_or(0);
    let stages = vec![
        stage(
            arch,
            StageName::Partition,
            format!(
                "The graph becomes {} bulk-synchronous supersteps: compute on every tile, a sync, then an exchange.",
                p.supersteps.len()
            ),
            &["Superstep", "Computes", "Tiles computing", "Vertices"],
            partition,
        ),
        stage(
            arch,
            StageName::Place,
            format!(
                "Each op is cut over tiles (up to {} of the {}); the fullest tile holds {} of its {}.",
                thousands(tiles_used),
                thousands(u64::from(p.n_tiles)),
                Bytes(peak),
                p.tile_memory
            ),
            &["Op", "Kind", "Cut", "Tiles", "Superstep"],
            place,
        ),
        stage(
            arch,
            StageName::Route,
            format!(
                "{} exchange transfers, each a copy from one tile to another at a cycle the compiler fixed, move {} in all.",
                thousands(transfers),
                Bytes(exchanged)
            ),
            &[
                "Superstep",
                "Transfers",
                "Tiles sending",
                "Tiles receiving",
                "Bytes",
                "Exchange cycles",
            ],
            route,
        ),
        stage(
            arch,
            StageName::Schedule,
            format!(
                "A superstep takes its slowest tile's compute, the sync ({} cycles) and its exchange: {} cycles in all, {} of them exchange.",
                config.sync_latency.0,
                thousands(total.0),
                thousands(exchange_cycles)
            ),
            &[
                "Superstep",
                "Starts (cycle)",
                "Compute",
                "Sync",
                "Exchange",
                "Ends (cycle)",
            ],
            schedule,
        ),
        stage(
            arch,
            StageName::Run,
            format!(
                "The program takes {} cycles ({} at {:.2} GHz); the simulator's run ends on exactly that cycle.",
                thousands(total.0),
                us(total, config.clock_hz),
                config.clock_hz / 1e9
            ),
            &["Figure", "Value"],
            vec![
                vec!["Predicted cycles".into(), thousands(total.0)],
                vec!["Time".into(), us(total, config.clock_hz)],
                vec!["Supersteps".into(), p.supersteps.len().to_string()],
                vec!["Bytes exchanged".into(), Bytes(exchanged).to_string()],
            ],
        ),
    ];
    Ok(Built {
        config: config.name.clone(),
        clock_hz: config.clock_hz,
        stages,
        figures: vec![
            figure("cycles", "Predicted cycles", total.0),
            figure("supersteps", "Supersteps", p.supersteps.len() as u64),
            figure("transfers", "Exchange transfers", transfers),
            figure("exchange_bytes", "Bytes exchanged", exchanged),
            figure("peak_tile_bytes", "Fullest tile's bytes", peak),
        ],
    })
}

fn rdu(setup: &SimSetup, w: &Workload) -> Result<Built, String> {
    use sim::rdu::{Endpoint, StageKind};
    let arch = SimArch::Rdu;
    let config = super::rdu::rdu_config(setup);
    let micro_batches = setup.size(&super::rdu::MICRO_BATCHES);
    let tasks = setup.size(&super::rdu::TASKS);
    let p = sim::rdu::compile(&config, w, micro_batches, tasks).map_err(|e| sentence(&e))?;
    let partition = p
        .sections
        .iter()
        .map(|s| {
            vec![
                s.index.to_string(),
                s.op_names(w),
                s.stages.len().to_string(),
                s.pcus_used.to_string(),
                s.pmus_used.to_string(),
                format!(
                    "{} in, {} out",
                    s.ddr_in_per_micro_batch, s.ddr_out_per_micro_batch
                ),
            ]
        })
        .collect();
    let mut place = Vec::new();
    for s in &p.sections {
        for st in &s.stages {
            let units = if st.pcus.is_empty() {
                "the AGCU".to_owned()
            } else {
                format!("PCU {}", ranges(&st.pcus))
            };
            place.push(vec![
                s.index.to_string(),
                st.label.clone(),
                units,
                thousands(st.cycles.0),
            ]);
        }
        for b in &s.buffers {
            place.push(vec![
                s.index.to_string(),
                format!("buffer {} (×{})", b.label, b.depth),
                format!("PMU {}", ranges(&b.pmus)),
                String::new(),
            ]);
        }
        for wt in &s.weights {
            place.push(vec![
                s.index.to_string(),
                format!("weights {}", wt.label),
                format!("PMU {}", ranges(&wt.pmus)),
                String::new(),
            ]);
        }
    }
    let end = |e: Endpoint| match e {
        Endpoint::Agcu => "AGCU".to_owned(),
        Endpoint::Pcu(i) => format!("PCU {i}"),
        Endpoint::Pmu(i) => format!("PMU {i}"),
    };
    let mut route = Vec::new();
    for s in &p.sections {
        for r in &s.routes {
            route.push(vec![
                s.index.to_string(),
                end(r.from),
                end(r.to),
                s.buffers
                    .get(r.buffer)
                    .map_or_else(String::new, |b| b.label.clone()),
                r.hops.to_string(),
            ]);
        }
    }
    let n_routes = route.len();
    let mut at = Cycle::ZERO;
    let schedule = p
        .sections
        .iter()
        .map(|s| {
            let start = at;
            let (slow, rate) = s.bottleneck();
            let streaming = s.estimated_cycles(p.micro_batches);
            at = at + s.load_cycles + streaming;
            vec![
                s.index.to_string(),
                thousands(start.0),
                thousands(s.load_cycles.0),
                s.stages.get(slow).map_or_else(String::new, |st| {
                    format!("{} ({} cycles)", st.label, thousands(rate.0))
                }),
                thousands(streaming.0),
                thousands(at.0),
            ]
        })
        .collect();
    let cycles = p.estimated_cycles();
    let ddr = p.ddr_bytes();
    let boundary = p.boundary_bytes(w);
    let pcus = p.sections.iter().map(|s| s.pcus_used).max().unwrap_or(0);
    let op_stages = p
        .sections
        .iter()
        .flat_map(|s| &s.stages)
        .filter(|st| matches!(st.kind, StageKind::Op(_)))
        .count();
    let stages = vec![
        stage(
            arch,
            StageName::Partition,
            format!(
                "Ops are taken in order into sections while they fit the tile ({} × {} PCUs): {} section{}, each a pipeline of the AGCU's load, one stage per op ({} in all) and the AGCU's store.",
                config.rows,
                config.pcu_columns,
                p.sections.len(),
                if p.sections.len() == 1 { "" } else { "s" },
                op_stages
            ),
            &[
                "Section",
                "Ops",
                "Stages",
                "PCUs",
                "PMUs",
                "DDR per micro-batch",
            ],
            partition,
        ),
        stage(
            arch,
            StageName::Place,
            format!(
                "Each op stage takes PCUs (spare ones go to the slowest stage), each buffer and weight tensor PMUs of {}: at most {} PCUs in one section.",
                config.pmu_capacity, pcus
            ),
            &[
                "Section",
                "Stage or buffer",
                "Units",
                "Cycles per micro-batch",
            ],
            place,
        ),
        stage(
            arch,
            StageName::Route,
            format!(
                "{} switch routes, producer → buffer PMU → consumer, each as long as its Manhattan distance in hops.",
                n_routes
            ),
            &["Section", "From", "To", "Buffer", "Hops"],
            route,
        ),
        stage(
            arch,
            StageName::Schedule,
            format!(
                "Sections run one after another; inside one, micro-batches stream through the stages, one leaving every slowest-stage time. {} cross between sections through DDR.",
                boundary
            ),
            &[
                "Section",
                "Starts (cycle)",
                "Load",
                "Slowest stage",
                "Streaming",
                "Ends (cycle)",
            ],
            schedule,
        ),
        stage(
            arch,
            StageName::Run,
            format!(
                "{} micro-batch{} through {} section{}: about {} cycles ({} at {:.1} GHz) by the chain estimate; the simulator measures the run.",
                p.micro_batches,
                if p.micro_batches == 1 { "" } else { "es" },
                p.sections.len(),
                if p.sections.len() == 1 { "" } else { "s" },
                thousands(cycles.0),
                us(cycles, config.clock_hz),
                config.clock_hz / 1e9
            ),
            &["Figure", "Value"],
            vec![
                vec!["Estimated cycles".into(), thousands(cycles.0)],
                vec!["Time".into(), us(cycles, config.clock_hz)],
                vec!["Sections".into(), p.sections.len().to_string()],
                vec!["DDR traffic".into(), ddr.to_string()],
            ],
        ),
    ];
    Ok(Built {
        config: config.name.clone(),
        clock_hz: config.clock_hz,
        stages,
        figures: vec![
            figure("cycles", "Estimated cycles", cycles.0),
            figure("sections", "Sections", p.sections.len() as u64),
            figure("pcus", "Most PCUs in a section", u64::from(pcus)),
            figure("ddr_bytes", "DDR bytes", ddr.0),
        ],
    })
}

fn wse(setup: &SimSetup, w: &Workload) -> Result<Built, String> {
    use sim::wse::gemv::{X_COLOR, reduce_color};
    let arch = SimArch::Wse;
    let config = super::wse::wse_config(setup);
    let run = super::wse::WseRun::map(config.clone(), w, super::session::VALUES_SEED)
        .map_err(|e| sentence(&e))?;
    let mesh_name = format!("WSE-2 mesh, {} × {} PEs", config.width, config.height);
    match run {
        super::wse::WseRun::Gemv(mut g) => {
            let rows_b = g.row_blocks().to_vec();
            let cols_b = g.col_blocks().to_vec();
            let (pw, ph) = (cols_b.len() as u32, rows_b.len() as u32);
            let mut partition = Vec::new();
            for (i, &(k0, n)) in cols_b.iter().enumerate() {
                partition.push(vec![
                    format!("PE column {i}"),
                    format!("inputs {k0}–{}", k0 + n - 1),
                    n.to_string(),
                ]);
            }
            for (j, &(r0, n)) in rows_b.iter().enumerate() {
                partition.push(vec![
                    format!("PE row {j}"),
                    format!("outputs {r0}–{}", r0 + n - 1),
                    n.to_string(),
                ]);
            }
            let mesh = g.mesh();
            let mut route = Vec::new();
            let colors = [
                (X_COLOR, "x, broadcast down each column from the north edge"),
                (reduce_color(0), "partial sums east, from even columns"),
                (reduce_color(1), "partial sums east, from odd columns"),
            ];
            let mut used = 0u64;
            for (c, what) in colors {
                let mut n = 0u64;
                for y in 0..config.height {
                    for x in 0..config.width {
                        if matches!(mesh.route(x, y, c), Ok(Some(_))) {
                            n += 1;
                        }
                    }
                }
                if n > 0 {
                    used += 1;
                    route.push(vec![c.to_string(), what.to_owned(), thousands(n)]);
                }
            }
            let block = g.max_block_bytes();
            let batch = g.problem().batch;
            let status = g.run_until(Cycle(u64::MAX));
            let measured = match status {
                RunStatus::Finished { at } => at,
                _ => g.now(),
            };
            let stages = vec![
                stage(
                    arch,
                    StageName::Partition,
                    format!(
                        "The layer's W [{} × {}] is cut into {} column blocks (inputs) × {} row blocks (outputs), one block per PE.",
                        g.problem().d_out,
                        g.problem().d_in,
                        pw,
                        ph
                    ),
                    &["Part", "Holds", "Elements"],
                    partition,
                ),
                stage(
                    arch,
                    StageName::Place,
                    format!(
                        "The blocks take a {pw} × {ph} region at the mesh's north-west corner ({} of {} PEs); the biggest block is {} of a PE's {}.",
                        thousands(u64::from(pw * ph)),
                        thousands(u64::from(config.width * config.height)),
                        block,
                        config.memory_per_pe
                    ),
                    &["Figure", "Value"],
                    vec![
                        vec!["Region".into(), format!("{pw} × {ph} PEs")],
                        vec!["Biggest block".into(), block.to_string()],
                        vec![
                            "East edge".into(),
                            "the last column adds the bias and applies the ReLU".into(),
                        ],
                    ],
                ),
                stage(
                    arch,
                    StageName::Route,
                    format!(
                        "{used} colors, each PE told where each color comes from and goes to: the routes are fixed before the run."
                    ),
                    &["Color", "Carries", "PEs with a route"],
                    route,
                ),
                stage(
                    arch,
                    StageName::Schedule,
                    format!(
                        "No cycle is fixed in advance: a PE's task runs when a wavelet arrives on its color. The {batch} samples stream one after another, so the mesh fills, works as a pipeline and drains."
                    ),
                    &["Figure", "Value"],
                    vec![
                        vec!["Samples streamed".into(), batch.to_string()],
                        vec!["Triggered by".into(), "wavelet arrival".into()],
                    ],
                ),
                stage(
                    arch,
                    StageName::Run,
                    format!(
                        "Run wavelet by wavelet, the mesh took {} cycles ({} at {:.1} GHz): measured, not predicted.",
                        thousands(measured.0),
                        us(measured, config.clock_hz),
                        config.clock_hz / 1e9
                    ),
                    &["Figure", "Value"],
                    vec![
                        vec!["Measured cycles".into(), thousands(measured.0)],
                        vec!["Time".into(), us(measured, config.clock_hz)],
                    ],
                ),
            ];
            Ok(Built {
                config: mesh_name,
                clock_hz: config.clock_hz,
                stages,
                figures: vec![
                    figure("cycles", "Measured cycles", measured.0),
                    figure("pes", "PEs holding W", u64::from(pw * ph)),
                    figure("block_bytes", "Biggest block's bytes", block.0),
                    figure("colors", "Colors", used),
                ],
            })
        }
        super::wse::WseRun::Layer(l) => {
            let plan = l.plan();
            let rows = plan
                .iter()
                .enumerate()
                .map(|(i, ph)| {
                    let op = &w.ops[ph.op_idx];
                    let what = match ph.kind {
                        sim::wse::layer::PhaseKind::MatMul { head } => {
                            format!("matmul on the GEMV dataflow (head {head})")
                        }
                        sim::wse::layer::PhaseKind::Load { head } => {
                            format!("load the right operand into the PEs (head {head})")
                        }
                        sim::wse::layer::PhaseKind::Rows => "row tasks".to_owned(),
                    };
                    vec![(i + 1).to_string(), op.name.clone(), what]
                })
                .collect::<Vec<_>>();
            let block = l.max_block_bytes();
            let stages = vec![
                stage(
                    arch,
                    StageName::Partition,
                    format!(
                        "The graph is mapped op by op: {} phases, each on the whole mesh in turn (a real compile would give each op its own region and pipeline them).",
                        plan.len()
                    ),
                    &["Phase", "Op", "What"],
                    rows.clone(),
                ),
                stage(
                    arch,
                    StageName::Place,
                    format!(
                        "Every weight matrix stays resident, a block per PE; the biggest block is {block} of a PE's {}.",
                        config.memory_per_pe
                    ),
                    &["Figure", "Value"],
                    vec![
                        vec![
                            "Mesh".into(),
                            format!("{} × {} PEs", config.width, config.height),
                        ],
                        vec!["Biggest block".into(), block.to_string()],
                    ],
                ),
                stage(
                    arch,
                    StageName::Route,
                    "Matmuls use the GEMV's colors (0: x down each column; 1 and 2: partial sums east); row tasks take rows in through the west edge and send results back west.".to_owned(),
                    &["Color", "Carries"],
                    vec![
                        vec![X_COLOR.to_string(), "x, broadcast down each column".into()],
                        vec![
                            format!("{} and {}", reduce_color(0), reduce_color(1)),
                            "partial sums east".into(),
                        ],
                    ],
                ),
                stage(
                    arch,
                    StageName::Schedule,
                    format!(
                        "The {} phases run in graph order; inside each, tasks run when their wavelets arrive.",
                        plan.len()
                    ),
                    &["Phase", "Op", "What"],
                    rows,
                ),
                stage(
                    arch,
                    StageName::Run,
                    "The mapping fixes no cycle count: the simulator page runs the layer phase by phase, its matmuls wavelet by wavelet, and measures it (too long to run here).".to_owned(),
                    &["Figure", "Value"],
                    vec![vec!["Phases".into(), plan.len().to_string()]],
                ),
            ];
            Ok(Built {
                config: mesh_name,
                clock_hz: config.clock_hz,
                stages,
                figures: vec![
                    figure("phases", "Phases", plan.len() as u64),
                    figure("block_bytes", "Biggest block's bytes", block.0),
                ],
            })
        }
    }
}

fn gpu(setup: &SimSetup, w: &Workload) -> Result<Built, String> {
    let arch = SimArch::Gpu;
    let config = super::gpu::gpu_config(setup.choice(&super::gpu::GPU_MODEL));
    let g = sim::gpu::GpuSim::new(config.clone(), w).map_err(|e| sentence(&e))?;
    let kernels = g.kernels();
    let partition = kernels
        .iter()
        .map(|k| vec![k.name.clone(), k.kind.to_owned(), thousands(k.flops)])
        .collect();
    let place = kernels
        .iter()
        .map(|k| vec![k.name.clone(), k.active_sms.to_string()])
        .collect();
    let route = kernels
        .iter()
        .map(|k| {
            vec![
                k.name.clone(),
                k.hbm_read.to_string(),
                k.hbm_written.to_string(),
            ]
        })
        .collect();
    let schedule = kernels
        .iter()
        .map(|k| {
            vec![
                k.name.clone(),
                thousands(k.start.0),
                thousands(k.launch.0),
                thousands(k.end().0),
            ]
        })
        .collect();
    let total = g.total_cycles();
    let hbm: u64 = kernels.iter().map(|k| k.hbm_read.0 + k.hbm_written.0).sum();
    let stages = vec![
        stage(
            arch,
            StageName::Partition,
            format!("{} kernels, one per op.", kernels.len()),
            &["Kernel", "Kind", "FLOPs"],
            partition,
        ),
        stage(
            arch,
            StageName::Place,
            format!(
                "Decided at run time, not compiled: each kernel's blocks go to free SMs (of {}).",
                config.n_sms
            ),
            &["Kernel", "SMs busy"],
            place,
        ),
        stage(
            arch,
            StageName::Route,
            format!(
                "No routes between units: every kernel reads its inputs from HBM and writes its output back, {} in all.",
                Bytes(hbm)
            ),
            &["Kernel", "HBM read", "HBM written"],
            route,
        ),
        stage(
            arch,
            StageName::Schedule,
            "Kernels run one after another in launch order, each paying a launch overhead."
                .to_owned(),
            &["Kernel", "Starts (cycle)", "Launch", "Ends (cycle)"],
            schedule,
        ),
        stage(
            arch,
            StageName::Run,
            format!(
                "{} cycles ({} at {:.2} GHz) in the roofline model.",
                thousands(total.0),
                us(total, config.clock_hz),
                config.clock_hz / 1e9
            ),
            &["Figure", "Value"],
            vec![
                vec!["Cycles".into(), thousands(total.0)],
                vec!["Time".into(), us(total, config.clock_hz)],
                vec!["HBM traffic".into(), Bytes(hbm).to_string()],
            ],
        ),
    ];
    Ok(Built {
        config: config.name.clone(),
        clock_hz: config.clock_hz,
        stages,
        figures: vec![
            figure("cycles", "Cycles", total.0),
            figure("kernels", "Kernels", kernels.len() as u64),
            figure("hbm_bytes", "HBM bytes", hbm),
        ],
    })
}

/// What changed from `old` to `new` (the same machine, two shapes), and whether the machine
/// compiles again.
pub fn diff(old: &CompileReport, new: &CompileReport) -> CompileDiff {
    let mut changes = Vec::new();
    for (k, v) in &new.shape {
        let before = old
            .shape
            .iter()
            .find(|(ok, _)| ok == k)
            .map_or("", |(_, v)| v.as_str());
        if before != v {
            changes.push((format!("Shape: {k}"), before.to_owned(), v.clone()));
        }
    }
    let same_shape = changes.is_empty() && old.workload == new.workload;
    for f in &new.figures {
        let before = old.figure(&f.key);
        if before != Some(f.value) {
            changes.push((
                f.label.clone(),
                before.map_or_else(|| "—".to_owned(), thousands),
                thousands(f.value),
            ));
        }
    }
    let name = short_name(new.arch);
    if same_shape {
        return CompileDiff {
            recompile: false,
            verdict: format!(
                "The same shape: the {name} reuses its compiled program, which is the same cycle for cycle."
            ),
            reason: "A compile depends on the graph and its shapes only, not on input values."
                .into(),
            changes,
        };
    }
    let (recompile, reason) = recompile_reason(new.arch);
    let cycles = match (old.figure("cycles"), new.figure("cycles")) {
        (Some(a), Some(b)) => format!(
            " {} → {} cycles ({} → {}).",
            thousands(a),
            thousands(b),
            us(Cycle(a), old.clock_hz),
            us(Cycle(b), new.clock_hz)
        ),
        _ => String::new(),
    };
    let verdict = if recompile {
        let what = match new.arch {
            SimArch::Groq => "a new schedule and a new latency",
            SimArch::Rdu => "a new PEF",
            SimArch::Ipu => "a new executable (the cached one is for the old shape)",
            SimArch::Wse => "a new compile for the new shape",
            SimArch::Gpu => "",
        };
        format!("The {name} must recompile: {what}.{cycles}")
    } else {
        format!("The {name} does not recompile.{cycles}")
    };
    CompileDiff {
        recompile,
        verdict,
        reason: reason.to_owned(),
        changes,
    }
}

/// One machine's answer to a change of shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineVerdict {
    /// The machine.
    pub arch: SimArch,
    /// What changed and whether it recompiles, or why it cannot compile the workload.
    pub diff: Result<CompileDiff, String>,
}

/// The same change of shape on every machine: which must recompile, and what changes.
pub fn every_machine(old: &CompareSetup, new: &CompareSetup) -> Vec<MachineVerdict> {
    COMPILE_MACHINES
        .iter()
        .map(|&arch| {
            let compile = |workload: &CompareSetup| {
                CompileSetup {
                    arch,
                    workload: workload.clone(),
                }
                .compile()
            };
            MachineVerdict {
                arch,
                diff: compile(old).and_then(|a| compile(new).map(|b| diff(&a, &b))),
            }
        })
        .collect()
}

/// The table of [`every_machine`]: machine, recompiles or not, and the verdict.
pub fn verdict_rows(verdicts: &[MachineVerdict]) -> Vec<Vec<String>> {
    verdicts
        .iter()
        .map(|v| {
            let (yes, text) = match &v.diff {
                Ok(d) => (
                    if d.recompile { "yes" } else { "no" }.to_owned(),
                    d.verdict.clone(),
                ),
                Err(why) => ("cannot compile it".to_owned(), why.clone()),
            };
            vec![short_name(v.arch).to_owned(), yes, text]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(query: &str) -> CompileReport {
        CompileSetup::from_query(&crate::query::parse(query))
            .unwrap()
            .compile()
            .unwrap()
    }

    fn setup_of(query: &str) -> SimSetup {
        let s = CompileSetup::from_query(&crate::query::parse(query)).unwrap();
        s.workload
            .machine_setup(super::super::machine(s.arch).unwrap())
            .unwrap()
    }

    #[test]
    fn every_machine_gives_six_stages_in_order_with_its_tools() {
        for arch in COMPILE_MACHINES {
            let r = report(&format!("machine={}&preset=mlp", arch.name()));
            let names: Vec<StageName> = r.stages.iter().map(|s| s.name).collect();
            assert_eq!(names, StageName::ALL, "{arch:?}");
            for s in &r.stages {
                assert!(!s.rows.is_empty(), "{arch:?} {:?}", s.name);
                assert!(
                    s.rows.iter().all(|row| row.len() == s.headers.len()),
                    "{arch:?} {:?}",
                    s.name
                );
                assert!(!s.tool.is_empty());
            }
            // The trace is the shared workload: fc1, bias, relu.
            assert_eq!(r.stages[0].rows.len(), 3, "{arch:?}");
            assert!(r.stages[0].rows[0][3].contains("[4, 128]"), "{arch:?}");
            assert!(r.simulator_href.starts_with("#/simulators/"));
        }
    }

    #[test]
    fn groq_figures_are_the_compilers_own() {
        for query in [
            "machine=groq&preset=mlp&batch=4",
            "machine=groq&preset=bert-layer&seq=64",
        ] {
            let r = report(query);
            let s = setup_of(query);
            let p =
                sim::groq::compile(&super::super::groq::groq_config(&s), &s.workload().unwrap())
                    .unwrap();
            assert_eq!(r.figure("cycles"), Some(p.length.0), "{query}");
            assert_eq!(
                r.figure("instructions"),
                Some(p.instructions.len() as u64),
                "{query}"
            );
            let run = r.stage(StageName::Run).unwrap();
            assert_eq!(run.rows[0][1], thousands(p.length.0));
            // And the run ends where the compiler said.
            let mut g = sim::groq::GroqRun::timing_only(
                super::super::groq::groq_config(&s),
                &s.workload().unwrap(),
            )
            .unwrap();
            assert!(matches!(
                g.run_until(Cycle(u64::MAX)),
                RunStatus::Finished { at } if at == p.length
            ));
            assert_eq!(
                r.stage(StageName::Schedule).unwrap().rows.len(),
                p.ops.len()
            );
        }
    }

    #[test]
    fn ipu_figures_are_the_compilers_own() {
        for query in [
            "machine=ipu&preset=mlp&batch=4",
            "machine=ipu&preset=gemv&d_in=64&d_out=32",
        ] {
            let r = report(query);
            let s = setup_of(query);
            let config = super::super::ipu::ipu_config(&s);
            let p = sim::ipu::compile(&config, &s.workload().unwrap()).unwrap();
            assert_eq!(
                r.figure("supersteps"),
                Some(p.supersteps.len() as u64),
                "{query}"
            );
            assert_eq!(
                r.figure("cycles"),
                Some(p.total_cycles(config.sync_latency).0)
            );
            assert_eq!(
                r.stage(StageName::Partition).unwrap().rows.len(),
                p.supersteps.len()
            );
            // The schedule's last superstep ends on the predicted cycle.
            let last = r.stage(StageName::Schedule).unwrap().rows.last().unwrap();
            assert_eq!(last[5], thousands(p.total_cycles(config.sync_latency).0));
        }
    }

    #[test]
    fn rdu_figures_are_the_compilers_own() {
        for query in ["machine=rdu&preset=mlp", "machine=rdu&preset=bert-layer"] {
            let r = report(query);
            let s = setup_of(query);
            let p = sim::rdu::compile(
                &super::super::rdu::rdu_config(&s),
                &s.workload().unwrap(),
                1,
                1,
            )
            .unwrap();
            assert_eq!(r.figure("sections"), Some(p.sections.len() as u64));
            assert_eq!(r.figure("cycles"), Some(p.estimated_cycles().0));
            assert_eq!(
                r.stage(StageName::Partition).unwrap().rows.len(),
                p.sections.len()
            );
        }
        // The small tile cuts the BERT layer into two sections (as the RDU page says).
        assert_eq!(
            report("machine=rdu&preset=bert-layer").figure("sections"),
            Some(2)
        );
    }

    #[test]
    fn wse_and_gpu_read_their_mapping() {
        let r = report("machine=wse&preset=mlp&batch=2");
        // 784 inputs over 32 columns, 128 outputs over 32 rows.
        assert_eq!(r.figure("pes"), Some(32 * 32));
        assert_eq!(r.figure("colors"), Some(3));
        assert!(r.figure("cycles").unwrap() > 0);
        let r = report("machine=gpu&preset=mlp");
        assert_eq!(r.figure("kernels"), Some(3));
    }

    #[test]
    fn a_batch_change_recompiles_every_accelerator_and_not_the_gpu() {
        for arch in COMPILE_MACHINES {
            let old = report(&format!("machine={}&preset=mlp&batch=4", arch.name()));
            let new = report(&format!("machine={}&preset=mlp&batch=8", arch.name()));
            let d = diff(&old, &new);
            assert_eq!(d.recompile, arch != SimArch::Gpu, "{arch:?}");
            assert_eq!(
                d.changes[0],
                ("Shape: batch".to_owned(), "4".to_owned(), "8".to_owned())
            );
            assert!(d.reason.len() > 40);
            if let (Some(a), Some(b)) = (old.figure("cycles"), new.figure("cycles")) {
                assert!(b > a, "{arch:?}: twice the batch, more cycles");
                assert!(d.verdict.contains(&thousands(b)), "{}", d.verdict);
            }
            // The same shape again: nothing to do.
            let same = diff(&old, &old);
            assert!(!same.recompile && same.changes.is_empty(), "{arch:?}");
        }
        let groq = diff(
            &report("machine=groq&preset=mlp&batch=4"),
            &report("machine=groq&preset=mlp&batch=8"),
        );
        assert!(
            groq.verdict
                .starts_with("The Groq TSP must recompile: a new schedule and a new latency.")
        );
        let rdu = diff(
            &report("machine=rdu&preset=mlp&batch=4"),
            &report("machine=rdu&preset=mlp&batch=8"),
        );
        assert!(rdu.verdict.contains("a new PEF"));
        assert!(rdu.reason.contains("-b"));
    }

    #[test]
    fn a_link_reproduces_the_setup_and_bad_values_are_sentences() {
        let s = CompileSetup::from_query(&crate::query::parse(
            "machine=ipu&preset=bert-layer&seq=64&x=1",
        ))
        .unwrap();
        assert_eq!(s.href(), "#/compile?machine=ipu&preset=bert-layer&seq=64");
        let bad = |q: &str| CompileSetup::from_query(&crate::query::parse(q)).unwrap_err();
        assert_eq!(
            bad("machine=tpu"),
            "There is no machine called \u{201c}tpu\u{201d}; choose gpu, wse, ipu, rdu or groq."
        );
        assert!(bad("machine=groq&preset=mlp&batch=abc").contains("\u{201c}abc\u{201d}"));
        assert!(bad("preset=nope").contains("no preset"));
        // Nothing given: Groq and the MLP layer.
        let default = CompileSetup::from_query(&[]).unwrap();
        assert_eq!(default.href(), "#/compile?machine=groq&preset=mlp&batch=4");
        // A workload a machine does not compile: the engine's sentence, not a panic.
        let cnn = CompileSetup::from_query(&crate::query::parse("machine=groq&preset=cnn"))
            .unwrap()
            .compile()
            .unwrap_err();
        assert!(cnn.contains("conv"), "{cnn}");
    }

    #[test]
    fn a_new_sequence_length_on_every_machine() {
        let setup = |q: &str| CompareSetup::from_query(&crate::query::parse(q)).unwrap();
        let verdicts = every_machine(
            &setup("preset=bert-layer&seq=64"),
            &setup("preset=bert-layer&seq=128"),
        );
        let rows = verdict_rows(&verdicts);
        let answer: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect();
        assert_eq!(
            answer,
            [
                ("GPU", "no"),
                ("WSE mesh", "yes"),
                ("IPU", "yes"),
                ("RDU", "yes"),
                ("Groq TSP", "yes"),
            ]
        );
        // The CNN: the Groq compiler refuses it, and says why, on both shapes.
        let cnn = every_machine(&setup("preset=cnn&batch=1"), &setup("preset=cnn&batch=2"));
        let groq = cnn.iter().find(|v| v.arch == SimArch::Groq).unwrap();
        assert!(groq.diff.as_ref().is_err_and(|e| e.contains("conv")));
    }

    #[test]
    fn ranges_are_compact() {
        assert_eq!(ranges(&[3, 1, 2, 7, 9, 8]), "1–3, 7–9");
        assert_eq!(ranges(&[5]), "5");
        assert_eq!(ranges(&[]), "none");
    }
}
