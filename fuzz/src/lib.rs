//! A mutation fuzzer on stable Rust for the site's parsers: everything that reads what a person
//! or a file supplies (data files, weights, progress, stored values, addresses, worker
//! messages, and at build time the lessons and quizzes).
//!
//! Each [`Target`] has real seeds (the bundled files, the lessons, messages the app really
//! sends). An execution takes an input from the corpus, stacks one to four mutations on it
//! (bit flips, interesting bytes and integers, inserted, deleted, duplicated and spliced
//! ranges, tokens from a dictionary taken from the seeds) and runs the parser. The parser's
//! answer is reduced to a class (for example "ok" or the kind of error): an input that reaches
//! a class not seen before joins the corpus, a crude feedback that keeps inputs which get
//! deeper into a format without coverage instrumentation (which needs a nightly compiler).
//!
//! A finding is a panic, an execution over [`HANG_LIMIT`] twice in a row (and one that never
//! returns: after [`STUCK_LIMIT`] a watchdog thread saves the input and ends the process,
//! since a stuck parser cannot be interrupted), or more bytes allocated
//! at once during one execution than the target's stated cap (measured by a counting global
//! allocator). Findings are written to `target/fuzz/findings/<target>/`; a finding fixed
//! becomes a file in `fuzz/regressions/<target>/`, replayed by the crate's tests.

pub mod targets;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use targets::targets;

/// The longest one execution may take. An execution over it is run again alone, and is a
/// finding only if it is slow again (on a shared machine a busy moment can stretch one run).
pub const HANG_LIMIT: Duration = Duration::from_secs(1);

/// When the watchdog gives up on an execution that has not returned: a parser stuck in a loop.
pub const STUCK_LIMIT: Duration = Duration::from_secs(10);

/// Most inputs the corpus keeps per target.
const CORPUS_CAP: usize = 512;

// ---------------------------------------------------------------------------------------------
// Allocation accounting

/// The system allocator, counting the bytes live and the most live since the last reset.
#[derive(Debug)]
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

#[allow(unsafe_code)]
// SAFETY: every call is passed to `System` unchanged; only counters are updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is `System::alloc`'s.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, which is `System`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc` and `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most bytes allocated at once beyond what was
/// live when it started (other threads' allocations count too; the fuzzer runs one).
pub fn peak_bytes_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    (r, peak)
}

// ---------------------------------------------------------------------------------------------
// Targets

/// One parser under test.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// Its name on the command line and in `regressions/`.
    pub name: &'static str,
    /// What it reads, for the report.
    pub what: &'static str,
    /// Executions for a full run (1,000,000; 100,000 for the build-time lesson and quiz parser).
    pub full_execs: u64,
    /// The most bytes one execution may have allocated at once.
    pub cap_bytes: usize,
    /// The longest input the mutator makes.
    pub max_len: usize,
    /// Real inputs to start from.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Runs the parser on an input and names the class of its answer.
    pub run: fn(&[u8]) -> String,
}

/// What a fuzzing run found and how fast it went.
#[derive(Debug, Default)]
pub struct Report {
    pub execs: u64,
    pub elapsed: Duration,
    pub corpus: usize,
    pub classes: usize,
    pub slowest: Duration,
    pub peak_bytes: usize,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn execs_per_s(&self) -> f64 {
        self.execs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A panic, or an allocation beyond the cap (a hang ends the process: see [`Watchdog`]).
#[derive(Debug)]
pub struct Finding {
    pub what: String,
    pub input: Vec<u8>,
}

// ---------------------------------------------------------------------------------------------
// Random numbers and mutations

/// SplitMix64: small, fast and good enough to drive mutations reproducibly from a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

const INTERESTING_BYTES: &[u8] = &[0, 1, 0x7f, 0x80, 0xff, b'0', b'9', b'"', b'\\', b'\n', b'#'];
const INTERESTING_U32: &[u32] = &[
    0,
    1,
    2,
    28,
    255,
    784,
    60_000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
];
const TEXT_TOKENS: &[&str] = &[
    "0",
    "-1",
    "1e309",
    "NaN",
    "inf",
    "18446744073709551616",
    "\u{0}",
    "\u{feff}",
    "é",
    "中",
    "🎉",
    "\u{202e}",
    "%",
    "%zz",
    "&",
    "=",
    "?",
    "#",
    "/",
    "[[",
    "]]",
    "{",
    "}",
    "\"",
    "'''",
    "```",
    "\n",
    "\r\n",
    "\t",
    "    ",
];

/// Mutates inputs, with a dictionary of tokens from the seeds and common troublemakers.
#[derive(Debug)]
pub struct Mutator {
    dictionary: Vec<Vec<u8>>,
    max_len: usize,
}

impl Mutator {
    /// A dictionary from the seeds: their words and punctuation runs (up to 2,000 of them).
    pub fn new(seeds: &[Vec<u8>], max_len: usize) -> Self {
        let mut words = BTreeSet::new();
        for seed in seeds {
            let mut start = 0;
            for (i, &b) in seed
                .iter()
                .enumerate()
                .chain(std::iter::once((seed.len(), &b' ')))
            {
                let word_char = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
                if !word_char {
                    if i > start && i - start <= 24 {
                        words.insert(seed[start..i].to_vec());
                    }
                    if i < seed.len() && !b.is_ascii_whitespace() {
                        words.insert(vec![b]);
                    }
                    start = i + 1;
                }
            }
            if words.len() > 2_000 {
                break;
            }
        }
        let mut dictionary: Vec<Vec<u8>> = words.into_iter().take(2_000).collect();
        dictionary.extend(TEXT_TOKENS.iter().map(|t| t.as_bytes().to_vec()));
        Self {
            dictionary,
            max_len,
        }
    }

    /// One to four stacked mutations of `input`; `other` is another corpus entry to splice.
    pub fn mutate(&self, rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..=rng.below(4) {
            self.mutate_once(rng, &mut out, other);
        }
        out.truncate(self.max_len);
        out
    }

    fn mutate_once(&self, rng: &mut Rng, out: &mut Vec<u8>, other: &[u8]) {
        let len = out.len();
        match rng.below(11) {
            0 if len > 0 => {
                let at = rng.below(len);
                out[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                out[at] = if rng.below(2) == 0 {
                    INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())]
                } else {
                    rng.next_u64() as u8
                };
            }
            2 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                out.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).clamp(1, 64));
                out.drain(at..(at + n).min(len));
            }
            4 if len > 0 => {
                let from = rng.below(len);
                let n = 1 + rng.below((len - from).min(256));
                let chunk = out[from..from + n].to_vec();
                let at = rng.below(len + 1);
                out.splice(at..at, chunk);
            }
            5 | 6 => {
                let token = &self.dictionary[rng.below(self.dictionary.len())];
                let at = rng.below(len + 1);
                if rng.below(2) == 0 || at == len {
                    out.splice(at..at, token.iter().copied());
                } else {
                    let end = (at + 1 + rng.below(8)).min(len);
                    out.splice(at..end, token.iter().copied());
                }
            }
            7 if !other.is_empty() => {
                let cut = rng.below(len + 1);
                let from = rng.below(other.len());
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
            8 if len > 0 => out.truncate(rng.below(len)),
            9 if len >= 4 => {
                let at = rng.below(len - 3);
                let value = INTERESTING_U32[rng.below(INTERESTING_U32.len())]
                    .wrapping_add(rng.below(3) as u32)
                    .wrapping_sub(1);
                let bytes = if rng.below(2) == 0 {
                    value.to_be_bytes()
                } else {
                    value.to_le_bytes()
                };
                out[at..at + 4].copy_from_slice(&bytes);
            }
            _ => {
                // Repeat a short run many times: long lines, deep nesting, huge counts.
                if len > 0 {
                    let from = rng.below(len);
                    let n = 1 + rng.below((len - from).min(8));
                    let chunk = out[from..from + n].to_vec();
                    let times = 1 + rng.below(512);
                    let at = rng.below(len + 1);
                    out.splice(at..at, chunk.iter().copied().cycle().take(n * times));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The watchdog

/// A thread that ends the process when one execution runs past [`STUCK_LIMIT`], after saving
/// the input to `findings/<target>/hang-*` (a stuck parser cannot be interrupted).
#[derive(Debug)]
pub struct Watchdog {
    started_ms: Arc<AtomicU64>,
    current: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    epoch: Instant,
}

impl Watchdog {
    pub fn start(target: &'static str, findings_dir: PathBuf) -> Self {
        let started_ms = Arc::new(AtomicU64::new(0));
        let current = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let epoch = Instant::now();
        let (s, c, st) = (started_ms.clone(), current.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let began = s.load(Ordering::Relaxed);
                if began == 0 {
                    continue;
                }
                let now = epoch.elapsed().as_millis() as u64 + 1;
                if now.saturating_sub(began) > STUCK_LIMIT.as_millis() as u64 {
                    let input = c.lock().map(|i| i.clone()).unwrap_or_default();
                    let path = save_finding(&findings_dir, target, "hang", &input);
                    eprintln!(
                        "fuzz: {target}: an execution ran over {STUCK_LIMIT:?}; input saved to {}",
                        path.display()
                    );
                    std::process::exit(2);
                }
            }
        });
        Self {
            started_ms,
            current,
            stop,
            epoch,
        }
    }

    fn begin(&self, input: &[u8]) {
        if let Ok(mut current) = self.current.lock() {
            current.clear();
            current.extend_from_slice(input);
        }
        let now = self.epoch.elapsed().as_millis() as u64 + 1;
        self.started_ms.store(now, Ordering::Relaxed);
    }

    fn end(&self) {
        self.started_ms.store(0, Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Writes a finding's input as `<dir>/<target>/<kind>-<fnv hash>` and returns the path.
pub fn save_finding(dir: &Path, target: &str, kind: &str, input: &[u8]) -> PathBuf {
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let folder = dir.join(target);
    let path = folder.join(format!("{kind}-{hash:016x}"));
    let _ = std::fs::create_dir_all(&folder);
    let _ = std::fs::write(&path, input);
    path
}

// ---------------------------------------------------------------------------------------------
// Running

/// The last panic's message, kept by the quiet panic hook the fuzzer installs.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

/// Runs one input through `target`, catching a panic; `Err` carries the panic's message.
pub fn execute(target: &Target, input: &[u8]) -> Result<(String, usize), String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| peak_bytes_of(|| (target.run)(input))));
    outcome.map_err(|_| {
        LAST_PANIC
            .lock()
            .map(|m| m.clone())
            .unwrap_or_else(|_| "a panic".into())
    })
}

/// Fuzzes `target` for `execs` executions from `seed`, saving findings under `findings_dir`.
pub fn fuzz(target: &Target, execs: u64, seed: u64, findings_dir: &Path) -> Report {
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = info.to_string();
        }
    }));
    let watchdog = Watchdog::start(target.name, findings_dir.to_path_buf());
    let seeds = (target.seeds)();
    let mutator = Mutator::new(&seeds, target.max_len);
    let mut corpus: Vec<Vec<u8>> = seeds;
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let mut classes = BTreeSet::new();
    let mut rng = Rng::new(seed);
    let mut report = Report::default();
    let started = Instant::now();
    let check = |input: &[u8], report: &mut Report, classes: &mut BTreeSet<String>| {
        watchdog.begin(input);
        let t = Instant::now();
        let outcome = execute(target, input);
        let mut took = t.elapsed();
        if took > HANG_LIMIT && outcome.is_ok() {
            // Again, alone: a busy machine can stretch one run; a slow parser is slow twice.
            let t = Instant::now();
            let _ = execute(target, input);
            took = took.min(t.elapsed());
            if took > HANG_LIMIT {
                let path = save_finding(findings_dir, target.name, "slow", input);
                report.findings.push(Finding {
                    what: format!(
                        "took {:.1} s twice, over the {HANG_LIMIT:?} limit ({})",
                        took.as_secs_f64(),
                        path.display()
                    ),
                    input: input.to_vec(),
                });
            }
        }
        watchdog.end();
        report.execs += 1;
        report.slowest = report.slowest.max(took);
        match outcome {
            Ok((class, peak)) => {
                report.peak_bytes = report.peak_bytes.max(peak);
                if peak > target.cap_bytes {
                    let path = save_finding(findings_dir, target.name, "alloc", input);
                    report.findings.push(Finding {
                        what: format!(
                            "allocated {peak} bytes at once, over the cap of {} ({})",
                            target.cap_bytes,
                            path.display()
                        ),
                        input: input.to_vec(),
                    });
                }
                classes.insert(class)
            }
            Err(message) => {
                let path = save_finding(findings_dir, target.name, "panic", input);
                report.findings.push(Finding {
                    what: format!("panicked: {message} ({})", path.display()),
                    input: input.to_vec(),
                });
                false
            }
        }
    };
    // The seeds themselves first.
    for input in corpus.clone() {
        check(&input, &mut report, &mut classes);
    }
    while report.execs < execs && report.findings.len() < 10 {
        let a = rng.below(corpus.len());
        let b = rng.below(corpus.len());
        let input = mutator.mutate(&mut rng, &corpus[a], &corpus[b]);
        let new_class = check(&input, &mut report, &mut classes);
        if new_class {
            if corpus.len() >= CORPUS_CAP {
                let drop = rng.below(corpus.len());
                corpus.swap_remove(drop);
            }
            corpus.push(input);
        }
    }
    report.elapsed = started.elapsed();
    report.corpus = corpus.len();
    report.classes = classes.len();
    drop(watchdog);
    std::panic::set_hook(previous_hook);
    report
}

/// The regression inputs kept for `target` (`fuzz/regressions/<target>/*`).
pub fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)))
        .collect();
    files.sort();
    files
}
