//! The parsers the fuzzer drives, each with real seeds and its allocation cap.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::Target;
use course::progress::Progress;
use nn::bert::BertConfig;
use nn::bert::safetensors::SafeTensors;
use nn::bert::weights::{bert_from_safetensors, bert_to_safetensors};
use nn::idx::{IdxLimits, read_images, read_labels};
use nn::text_data::read_labelled_tsv;
use nn::tokenizer::WordPiece;
use testbed_lab::course_data::course;
use testbed_lab::route::{Location, Route};
use testbed_lab::simulation::compare::{CompareSetup, FromCompare, ToCompare};
use testbed_lab::simulation::compile::CompileSetup;
use testbed_lab::simulation::form::SimForm;
use testbed_lab::simulation::{machine, machines};
use testbed_lab::theme::Theme;
use testbed_lab::training::bert::config::BertForm;
use testbed_lab::training::bert::task::Bert;
use testbed_lab::training::homework::cerebras::CerebrasForm;
use testbed_lab::training::homework::dp::{DpForm, FromReplica, ToReplica};
use testbed_lab::training::homework::grid::GridForm;
use testbed_lab::training::homework::groq::GroqForm;
use testbed_lab::training::mnist::config::LabForm;
use testbed_lab::training::mnist::task::Mnist;
use testbed_lab::training::protocol::{FromWorker, ToWorker, decode, encode};

const MIB: usize = 1 << 20;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn public() -> PathBuf {
    root().join("public")
}

fn data(name: &str) -> Vec<u8> {
    let path = public().join("data").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("seed {}: {e}", path.display()))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a bundled file decompresses");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("in memory");
    encoder.finish().expect("in memory")
}

/// The first `n` items of an IDX file with its header's count set to `n`.
fn idx_prefix(raw: &[u8], header: usize, item: usize, n: usize) -> Vec<u8> {
    let mut out = raw[..header + n * item].to_vec();
    out[4..8].copy_from_slice(&(n as u32).to_be_bytes());
    out
}

/// The class of a result: "ok", or the error's first words with digits dropped (so "line 3"
/// and "line 4" are one class).
fn class<T, E: std::fmt::Display>(result: &Result<T, E>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(e) => e
            .to_string()
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .take(48)
            .collect(),
    }
}

fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

// ---------------------------------------------------------------------------------------------

fn idx_image_seeds() -> Vec<Vec<u8>> {
    let raw = gunzip(&data("test-images-idx3-ubyte.gz"));
    let small = idx_prefix(&raw, 16, 784, 3);
    vec![small.clone(), gzip(&small), raw[..16].to_vec()]
}

fn idx_label_seeds() -> Vec<Vec<u8>> {
    let raw = gunzip(&data("test-labels-idx1-ubyte.gz"));
    let small = idx_prefix(&raw, 8, 1, 40);
    vec![small.clone(), gzip(&small)]
}

fn tsv_seeds() -> Vec<Vec<u8>> {
    let raw = gunzip(&data("sentiment-test.tsv.gz"));
    let lines: Vec<&[u8]> = raw.split(|&b| b == b'\n').take(30).collect();
    let small = lines.join(&b'\n');
    vec![small.clone(), gzip(&small)]
}

fn vocab_seeds() -> Vec<Vec<u8>> {
    let raw = data("bert-base-uncased-vocab.txt");
    let lines: Vec<&[u8]> = raw.split(|&b| b == b'\n').take(1_200).collect();
    vec![lines.join(&b'\n')]
}

fn wordpiece() -> &'static WordPiece {
    static VOCAB: OnceLock<WordPiece> = OnceLock::new();
    VOCAB.get_or_init(|| {
        let text = String::from_utf8(data("bert-base-uncased-vocab.txt")).expect("UTF-8");
        WordPiece::from_vocab_txt(&text).expect("the bundled vocabulary")
    })
}

fn sentence_seeds() -> Vec<Vec<u8>> {
    // The vocabulary loads here, not inside the first execution's allocation count.
    let _ = wordpiece();
    let raw = gunzip(&data("sentiment-test.tsv.gz"));
    let mut seeds: Vec<Vec<u8>> = String::from_utf8_lossy(&raw)
        .lines()
        .skip(1)
        .take(20)
        .filter_map(|l| l.split('\t').next_back().map(|s| s.as_bytes().to_vec()))
        .collect();
    let brown = data("brown-subset.txt");
    seeds.extend(brown.split(|&b| b == b'\n').take(10).map(<[u8]>::to_vec));
    for s in [
        "Crème brûlée, naïve café — 3.14 km/h!",
        "東京は大きい都市です。",
        "I love it 😀👍🏽 (really)",
        "unaffable antidisestablishmentarianism",
        "",
    ] {
        seeds.push(s.as_bytes().to_vec());
    }
    seeds
}

fn tiny_config() -> BertConfig {
    BertConfig {
        vocab_size: 40,
        hidden: 8,
        n_layers: 1,
        n_heads: 2,
        intermediate: 16,
        max_positions: 16,
        ..BertConfig::bert_tiny()
    }
}

fn safetensors_seeds() -> Vec<Vec<u8>> {
    let config = tiny_config();
    let model = nn::bert::BertClassifier::new(&config, &mut nn::rng::rng_from_seed(1))
        .expect("a tiny model");
    vec![bert_to_safetensors(&model, None)]
}

fn progress_seeds() -> Vec<Vec<u8>> {
    let course = course().expect("the embedded course");
    let mut progress = Progress::default();
    for lesson in course.lessons.iter().take(3) {
        progress.mark_read(&lesson.slug);
    }
    for quiz in course.quizzes.iter().take(2) {
        progress.record_quiz(
            &quiz.id,
            course::grade::Score {
                n_correct: 2,
                n_questions: quiz.questions.len() as u32,
            },
        );
        if let Some(q) = quiz.questions.first() {
            progress.record_question_right(&q.id);
        }
    }
    vec![
        progress.to_json().into_bytes(),
        progress.to_json_pretty().into_bytes(),
        Progress::default().to_json().into_bytes(),
    ]
}

fn url_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for m in machines() {
        for preset in sim::workload::presets::Preset::ALL {
            seeds.push(SimForm::defaults(m, preset).href(m).into_bytes());
        }
    }
    seeds.push(LabForm::from_query(&[]).href().into_bytes());
    seeds.push(BertForm::from_query(&[]).href().into_bytes());
    for preset in ["gemv", "mlp", "cnn", "bert-layer"] {
        seeds.push(format!("#/compare?preset={preset}&batch=4&seq=64").into_bytes());
        seeds.push(format!("#/compile?machine=rdu&preset={preset}&batch=4&seq=64").into_bytes());
    }
    seeds.push(b"#/lessons/why-dataflow?at=the-memory-wall".to_vec());
    seeds.push(b"#/progress".to_vec());
    seeds.push(
        b"#/labs/homework?at=graphcore&ipu-lr=0.0005,0.05&ipu-batch=8,16&ipu-epochs=1,2&ipu-steps=ipu"
            .to_vec(),
    );
    seeds.push(b"#/labs/homework?at=cerebras&cs-batches=2,4,8&cs-seq=32&cs-steps=4".to_vec());
    seeds.push(b"#/labs/homework?at=sambanova&sn-workers=2&sn-model=cnn&sn-batch=64".to_vec());
    seeds.push(b"#/labs/homework?at=groq&groq-len=256&groq-text=a%20fine%20film".to_vec());
    seeds
}

/// Parses an address as the page does, then the settings of the page it names.
fn run_url(bytes: &[u8]) -> String {
    let location = Location::parse(&text(bytes));
    match &location.route {
        Route::Simulator { arch } => match machine(*arch) {
            Some(m) => format!(
                "sim {}",
                class(&SimForm::from_query(m, &location.query).parse(m))
            ),
            None => "sim unknown".into(),
        },
        Route::Compare => format!(
            "compare {}",
            class(&CompareSetup::from_query(&location.query))
        ),
        Route::Compile => format!(
            "compile {}",
            class(&CompileSetup::from_query(&location.query))
        ),
        Route::Lab { name } if name == "mnist" => {
            let form = LabForm::from_query(&location.query);
            format!("mnist {}", form.parse().map_or_else(|e| e.len(), |_| 0))
        }
        Route::Lab { name } if name == "bert" => {
            let form = BertForm::from_query(&location.query);
            format!("bert {}", form.parse().map_or_else(|e| e.len(), |_| 0))
        }
        Route::Lab { name } if name == "homework" => {
            // Every section reads its own keys from the one address.
            let q = &location.query;
            let errors = [
                GridForm::from_query(q)
                    .parse()
                    .map_or_else(|e| e.len(), |_| 0),
                CerebrasForm::from_query(q)
                    .parse()
                    .map_or_else(|e| e.len(), |_| 0),
                DpForm::from_query(q)
                    .parse()
                    .map_or_else(|e| e.len(), |_| 0),
                GroqForm::from_query(q)
                    .parse()
                    .map_or_else(|e| e.len(), |_| 0),
            ];
            format!("homework {errors:?}")
        }
        other => format!("{other:?}").chars().take(12).collect(),
    }
}

fn message_seeds() -> Vec<Vec<u8>> {
    let mnist = LabForm::from_query(&[]).parse().expect("default settings");
    let bert = BertForm::from_query(&[]).parse().expect("default settings");
    let mut seeds = vec![
        encode(&ToWorker::<Mnist>::Start {
            run_id: 3,
            config: mnist,
        }),
        encode(&ToWorker::<Mnist>::Cancel { run_id: 3 }),
        encode(&ToWorker::<Bert>::Start {
            run_id: 1,
            config: bert,
        }),
        encode(&FromWorker::<Mnist>::Ready),
        encode(&FromWorker::<Bert>::Progress {
            run_id: 1,
            progress: testbed_lab::training::protocol::RunProgress {
                n_samples_done: 64,
                n_samples_total: 6400,
                train_ms: 12.5,
                eval_ms: 0.0,
                points: vec![testbed_lab::training::protocol::CurvePoint {
                    epoch: 0.01,
                    loss: 0.69,
                    accuracy: 0.5,
                }],
            },
        }),
        encode(&ToCompare::Start {
            id: 2,
            query: "preset=mlp&batch=4".into(),
        }),
        encode(&FromCompare::Refused {
            id: 2,
            message: "There is no preset called “x”.".into(),
        }),
    ];
    seeds.push(r#"{"type":"apply","run_id":2,"step_idx":7}"#.into());
    seeds.push(r#"{"type":"error","run_id":2,"message":"no data"}"#.into());
    seeds.push(
        r#"{"type":"query","request_id":1,"query":{"sentence":{"text":"a fine film","max_len":64}}}"#
            .into(),
    );
    seeds.into_iter().map(String::into_bytes).collect()
}

/// Decodes a message as each side of each worker would.
fn run_message(bytes: &[u8]) -> String {
    let t = text(bytes);
    [
        class(&decode::<ToWorker<Mnist>>(&t)),
        class(&decode::<FromWorker<Mnist>>(&t)),
        class(&decode::<ToWorker<Bert>>(&t)),
        class(&decode::<FromWorker<Bert>>(&t)),
        class(&decode::<ToCompare>(&t)),
        class(&decode::<FromCompare>(&t)),
        class(&decode::<ToReplica>(&t)),
        class(&decode::<FromReplica>(&t)),
    ]
    .iter()
    .map(|c| if c == "ok" { '1' } else { '0' })
    .collect()
}

fn lesson_seeds() -> Vec<Vec<u8>> {
    files_in(&root().join("lessons"), "md")
}

fn quiz_seeds() -> Vec<Vec<u8>> {
    files_in(&root().join("lessons/quizzes"), "toml")
}

fn files_in(dir: &Path, ext: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        p.extension().is_some_and(|e| e == ext)
            && p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(|c: char| c.is_ascii_digit())
            })
    });
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

fn errors_class(errors: &[course::build::ValidationError]) -> String {
    match errors.first() {
        None => "ok".into(),
        Some(e) => format!("{:?}", e.problem)
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------

/// Every target, in the order `cargo xtask fuzz` runs them.
pub fn targets() -> Vec<Target> {
    let limits_cap = IdxLimits::default().max_bytes;
    vec![
        Target {
            name: "idx-images",
            what: "an MNIST images file (IDX, raw or gzip)",
            full_execs: 1_000_000,
            // The decompressed file (at most `IdxLimits::max_bytes`) and the images as f32.
            cap_bytes: 6 * limits_cap,
            max_len: 64 * 1024,
            seeds: idx_image_seeds,
            run: |b| class(&read_images(b, &IdxLimits::default())),
        },
        Target {
            name: "idx-labels",
            what: "an MNIST labels file (IDX, raw or gzip)",
            full_execs: 1_000_000,
            cap_bytes: 2 * limits_cap,
            max_len: 16 * 1024,
            seeds: idx_label_seeds,
            run: |b| class(&read_labels(b, 10, &IdxLimits::default())),
        },
        Target {
            name: "tsv",
            what: "a labelled-sentences TSV file (raw or gzip)",
            full_execs: 1_000_000,
            cap_bytes: 64 * MIB,
            max_len: 32 * 1024,
            seeds: tsv_seeds,
            run: |b| class(&read_labelled_tsv(b)),
        },
        Target {
            name: "vocab",
            what: "a WordPiece vocabulary (vocab.txt)",
            full_execs: 1_000_000,
            cap_bytes: 16 * MIB,
            max_len: 32 * 1024,
            seeds: vocab_seeds,
            run: |b| class(&WordPiece::from_vocab_txt(&text(b))),
        },
        Target {
            name: "tokenizer",
            what: "a sentence the learner types, tokenized to 64 and as a pair to 128",
            full_execs: 1_000_000,
            cap_bytes: 4 * MIB,
            max_len: 4 * 1024,
            seeds: sentence_seeds,
            run: |b| {
                let t = text(b);
                let mut mid = t.len() / 2;
                while !t.is_char_boundary(mid) {
                    mid -= 1;
                }
                let (a, rest) = t.split_at(mid);
                let one = wordpiece().encode(&t, 64);
                let pair = wordpiece().encode_pair(a, rest, 128);
                format!("{} {}", one.n_tokens, pair.n_tokens)
            },
        },
        Target {
            name: "safetensors",
            what: "a safetensors file: its header and every tensor read",
            full_execs: 1_000_000,
            cap_bytes: 16 * MIB,
            max_len: 64 * 1024,
            seeds: safetensors_seeds,
            run: |b| match SafeTensors::parse(b) {
                Ok(file) => {
                    let read = file
                        .tensors
                        .keys()
                        .filter(|name| file.tensor(name).is_ok())
                        .count();
                    format!("ok {}", read.min(1))
                }
                Err(e) => class::<(), _>(&Err(e)),
            },
        },
        Target {
            name: "bert-weights",
            what: "a BERT weights file loaded into a (tiny) BERT classifier",
            full_execs: 1_000_000,
            cap_bytes: 16 * MIB,
            max_len: 64 * 1024,
            seeds: safetensors_seeds,
            run: |b| class(&bert_from_safetensors(b, &tiny_config())),
        },
        Target {
            name: "progress-import",
            what: "a progress file the learner imports (JSON)",
            full_execs: 1_000_000,
            cap_bytes: 4 * MIB,
            max_len: 16 * 1024,
            seeds: progress_seeds,
            run: |b| {
                let course = course().expect("the embedded course");
                class(&Progress::import(&text(b), course))
            },
        },
        Target {
            name: "progress-stored",
            what: "progress and theme as stored in the browser",
            full_execs: 1_000_000,
            cap_bytes: 4 * MIB,
            max_len: 16 * 1024,
            seeds: progress_seeds,
            run: |b| {
                let t = text(b);
                let loaded = Progress::load(&t);
                let theme = Theme::parse(&t);
                format!(
                    "{} {} {}",
                    loaded.notice.is_some(),
                    loaded.read_only,
                    theme.is_some()
                )
            },
        },
        Target {
            name: "url",
            what: "an address: the route and the settings of every simulator, lab and the comparison",
            full_execs: 1_000_000,
            cap_bytes: 4 * MIB,
            max_len: 4 * 1024,
            seeds: url_seeds,
            run: run_url,
        },
        Target {
            name: "worker-messages",
            what: "a message between a page and a worker, decoded by each side of each worker",
            full_execs: 1_000_000,
            cap_bytes: 4 * MIB,
            max_len: 8 * 1024,
            seeds: message_seeds,
            run: run_message,
        },
        Target {
            name: "lesson",
            what: "a lesson's Markdown (build time)",
            full_execs: 100_000,
            cap_bytes: 64 * MIB,
            max_len: 256 * 1024,
            seeds: lesson_seeds,
            run: |b| {
                errors_class(&course::build::check_lesson_text(
                    "fuzzed",
                    &text(b),
                    &public(),
                ))
            },
        },
        Target {
            name: "quiz",
            what: "a quiz's TOML (build time)",
            full_execs: 100_000,
            cap_bytes: 64 * MIB,
            max_len: 128 * 1024,
            seeds: quiz_seeds,
            run: |b| {
                errors_class(&course::build::check_quiz_text(
                    "fuzzed",
                    &text(b),
                    &public(),
                ))
            },
        },
    ]
}
