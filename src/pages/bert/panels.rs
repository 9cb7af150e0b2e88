//! The BERT lab's own panels; the shared ones (run, curves, epochs, confusion, runs) are in
//! `components::lab`.

use leptos::html::{Canvas, Input};
use leptos::prelude::*;

use super::{BertState, load_files};
use crate::charts::canvas::{css_width, use_resize_tick};
use crate::charts::heatmap::{draw_heatmap, strongest_links};
use crate::charts::palette::use_palette;
use crate::components::lab::{FormFields, RunActions, percent, thousands};
use crate::files::read_file;
use crate::route::Route;
use crate::training::bert::config::{BertField, LENGTHS};
use crate::training::bert::task::{
    BertAnswer, BertDataInfo, BertFile, BertQuery, BertSource, CLASSES, DUMMY_ID,
};
use crate::training::state::DataState;

/// Largest TSV file the lab reads (the bundled training file is 1 MB unpacked).
const MAX_UPLOAD_BYTES: f64 = 20.0 * 1024.0 * 1024.0;

/// One of the form's settings, through the shared settings field.
fn field(
    state: BertState,
    field: BertField,
    label: &'static str,
    hint: &'static str,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    FormFields::lab(state.form, Signal::derive(move || state.lab.is_running()))
        .field(field, label, hint, options)
}

/// The settings, start and cancel.
#[component]
pub fn BertSettingsPanel(state: BertState) -> impl IntoView {
    let invalid = Memo::new(move |_| state.form.with(|f| f.parse().is_err()));
    let data_ready = move || state.lab.data.with(|d| matches!(d, DataState::Ready(_)));
    let lengths = vec![
        ("64", "64 tokens"),
        ("128", "128 (Groq's first run)"),
        ("256", "256 (Groq's rebuild)"),
    ];
    let starts = vec![
        ("new", "new random weights (the seed)"),
        ("current", "the weights in use"),
    ];
    let objectives = vec![
        ("sentiment", "the sentiment classifier"),
        ("mlm", "masked LM on the corpus (pre-training demo)"),
    ];
    view! {
        <form
            class="lab-panel lab-form"
            data-testid="bert-settings"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                state.start_from_form();
            }
        >
            <h2 class="lab-panel__title">"Settings"</h2>
            {field(state, BertField::Objective, "Train", "The classifier learns from the labelled sentences; masked LM learns to guess hidden words in the corpus text (see “Masked-LM pre-training”).", objectives)}
            {field(state, BertField::Batch, "Batch size", "Sentences (or packed sequences) per AdamW step, 1 to 128.", vec![])}
            {field(state, BertField::Lr, "Peak learning rate", "After a 10 % warm-up, decays linearly to 0 (e.g. 0.001).", vec![])}
            {field(state, BertField::Epochs, "Epochs", "Passes over the training sentences or the corpus, 1 to 20.", vec![])}
            {field(state, BertField::Len, "Sequence length", "", lengths)}
            {field(state, BertField::Seed, "Seed", "Same seed, same settings: the same numbers.", vec![])}
            {field(state, BertField::Train, "Training sentences", "“all”, or the first N (at least 32) for a quick run; for masked LM, the corpus's first N.", vec![])}
            {field(state, BertField::Init, "Start from", "New weights: BERT-tiny from scratch. The weights in use: fine-tune a loaded file (a pre-trained encoder such as Google's BERT-tiny) or continue the last run.", starts)}
            <RunActions
                prefix="bert"
                start_disabled=Signal::derive(move || invalid.get() || state.lab.is_running() || !data_ready())
                running=Signal::derive(move || state.lab.is_running())
                on_cancel=move || state.lab.cancel()
            />
            <p class="lab-form__hint">
                "The defaults are those of "<code>"cargo xtask bert"</code>
                ", which trains the same model natively: its test accuracy with seed 1 was 0.7805 (seeds 2 and 3: 0.7786, 0.7766)."
            </p>
            <p class="lab-form__hint" data-testid="bert-invalid-note">
                {move || invalid.get().then_some("Fix the settings marked above to start; the address keeps what you typed.")}
            </p>
        </form>
    }
}

fn data_status(data: &DataState<BertDataInfo>) -> String {
    match data {
        DataState::Loading => "Loading and tokenizing the bundled sentences…".into(),
        DataState::Failed(message) => message.clone(),
        DataState::Ready(info) => {
            let whose = match &info.source {
                BertSource::Bundled => "the bundled sentences".to_string(),
                BertSource::Uploaded { train, test } => {
                    let names: Vec<&str> = [train, test]
                        .into_iter()
                        .flatten()
                        .map(String::as_str)
                        .collect();
                    format!("your files ({})", names.join(", "))
                }
            };
            format!(
                "In use: {whose}, {} training and {} test sentences, {} WordPieces in the vocabulary.",
                thousands(info.n_train),
                thousands(info.n_test),
                thousands(info.vocab_size)
            )
        }
    }
}

/// Which sentences are in use, where they come from, and using the learner's own TSV files.
#[component]
pub fn BertDataPanel(state: BertState) -> impl IntoView {
    let train_input = NodeRef::<Input>::new();
    let test_input = NodeRef::<Input>::new();
    let failed = move || state.lab.data.with(|d| matches!(d, DataState::Failed(_)));
    let error_for = move |file: Option<BertFile>| {
        state.lab.rejection.with(|r| {
            r.as_ref()
                .filter(|(f, _)| *f == file)
                .map(|(_, m)| m.clone())
        })
    };
    let upload = move |_| {
        let mut chosen = Vec::new();
        for (file, node) in [(BertFile::Train, train_input), (BertFile::Test, test_input)] {
            if let Some(f) = node
                .get_untracked()
                .and_then(|i| i.files())
                .and_then(|l| l.get(0))
            {
                if f.size() > MAX_UPLOAD_BYTES {
                    state.lab.set_rejection(Some((
                        Some(file),
                        format!(
                            "{} is {:.0} MB; the lab reads sentence files of at most 20 MB.",
                            f.name(),
                            f.size() / 1_048_576.0
                        ),
                    )));
                    return;
                }
                chosen.push((file, f));
            }
        }
        if chosen.is_empty() {
            state.lab.set_rejection(Some((
                None,
                "Choose a training file, a test file, or both.".into(),
            )));
            return;
        }
        state.lab.set_rejection(None);
        state.lab.set_uploading(true);
        leptos::task::spawn_local(async move {
            let mut replace = Vec::new();
            let (mut train, mut test) = (None, None);
            for (file, f) in &chosen {
                match read_file(f).await {
                    Ok(buffer) => replace.push((*file, buffer)),
                    Err(message) => {
                        state.lab.set_uploading(false);
                        state
                            .lab
                            .set_rejection(Some((Some(*file), format!("{message}."))));
                        return;
                    }
                }
                match file {
                    BertFile::Train => train = Some(f.name()),
                    _ => test = Some(f.name()),
                }
            }
            load_files(state.lab, BertSource::Uploaded { train, test }, replace);
        });
    };
    let using_upload = move || {
        state.lab.data.with(|d| {
            matches!(
                d,
                DataState::Ready(BertDataInfo {
                    source: BertSource::Uploaded { .. },
                    ..
                })
            )
        })
    };
    let truncation = move || {
        state.lab.data.with(|d| match d {
            DataState::Ready(info) => {
                let parts: Vec<String> = info
                    .n_cut
                    .iter()
                    .map(|(len, n)| format!("{} at {len}", thousands(*n)))
                    .collect();
                Some(format!(
                    "Training sentences longer than the sequence length lose their tail: {}. Positive labels: {:.1} %.",
                    parts.join(", "),
                    info.positive_share * 100.0
                ))
            }
            _ => None,
        })
    };
    let file_row = move |file: BertFile, node: NodeRef<Input>, label: &'static str| {
        view! {
            <div class="lab-form__row">
                <label class="lab-form__label" for=format!("bert-file-{}", file.key())>{label}</label>
                <input
                    id=format!("bert-file-{}", file.key())
                    class="lab-upload__input"
                    type="file"
                    accept=".tsv,.txt,.gz,text/tab-separated-values,text/plain"
                    data-testid=format!("bert-file-{}", file.key())
                    node_ref=node
                    prop:disabled=move || state.lab.is_running() || state.lab.uploading.get()
                />
                <p class="lab-form__error" data-testid=format!("bert-file-error-{}", file.key()) role="alert">
                    {move || error_for(Some(file))}
                </p>
            </div>
        }
    };
    view! {
        <section class="lab-panel" aria-labelledby="bert-data-title">
            <h2 class="lab-panel__title" id="bert-data-title">"Data"</h2>
            <p class="lab-data__status" class:lab-data__status--error=failed data-testid="bert-data-status">
                {move || state.lab.data.with(data_status)}
            </p>
            <p class="lab-form__hint" data-testid="bert-truncation">{truncation}</p>
            <p class="lab-form__hint">
                "The sentences are the Rotten Tomatoes snippets (from Pang and Lee's review data) that "
                "SST was built from, labelled by the sign of VADER's mean crowd rating (Hutto and Gilbert, "
                "ICWSM 2014; near-zero ratings dropped). They are not SST-2's own labels, so figures here "
                "are not SST-2 figures. The vocabulary is bert-base-uncased's 30,522 WordPieces. The "
                "masked-LM text is a subset of the Brown Corpus (Francis and Kučera, Brown University, "
                "1964; revised 1979), one sentence a line. "
                <a href="public/data/README.md">"Provenance and checksums"</a>"."
            </p>
            <details class="lab-upload" data-testid="bert-upload-details">
                <summary>"Use your own sentences"</summary>
                <p class="lab-form__hint">
                    "SST-2-style TSV: a sentence, a tab, then 0 (negative) or 1 (positive) on each line; "
                    "a header line is allowed; plain or gzip. Read here, in your browser; if a file is "
                    "wrong, the sentences in use stay in use."
                </p>
                {file_row(BertFile::Train, train_input, "Training sentences")}
                {file_row(BertFile::Test, test_input, "Test sentences")}
                <div class="lab-form__actions">
                    <button
                        type="button"
                        class="lab-button"
                        data-testid="bert-upload"
                        prop:disabled=move || state.lab.is_running() || state.lab.uploading.get()
                        on:click=upload
                    >
                        {move || if state.lab.uploading.get() { "Reading…" } else { "Use these files" }}
                    </button>
                    <button
                        type="button"
                        class="lab-button"
                        data-testid="bert-use-bundled"
                        prop:hidden=move || !using_upload()
                        prop:disabled=move || state.lab.is_running()
                        on:click=move |_| {
                            state.lab.set_data_state(DataState::Loading);
                            load_files(state.lab, BertSource::Bundled, Vec::new());
                        }
                    >
                        "Back to the bundled sentences"
                    </button>
                </div>
                <p class="lab-form__error" data-testid="bert-upload-error" role="alert">
                    {move || {
                        error_for(None)
                            .or_else(|| error_for(Some(BertFile::Vocab)))
                            .or_else(|| error_for(Some(BertFile::Corpus)))
                    }}
                </p>
            </details>
        </section>
    }
}

/// Naive Bayes on the same split, beside the transformer.
#[component]
pub fn BaselinePanel(state: BertState) -> impl IntoView {
    let nb = move || {
        state.lab.data.with(|d| match d {
            DataState::Ready(info) => Some(info.naive_bayes_accuracy),
            _ => None,
        })
    };
    // A masked-LM run's accuracy is of guessed words, not of sentiment labels.
    let bert = move || {
        if state.mlm_run() {
            return None;
        }
        state.lab.epochs.with(|e| e.last().map(|r| r.test_accuracy))
    };
    let bert_label = move || {
        let from_weights = state.lab.current.with(|c| {
            c.as_ref()
                .is_some_and(|r| r.config.init == crate::training::bert::config::BertInit::Current)
        });
        if from_weights {
            "BERT-tiny fine-tuned from the weights in use (this page's last run)"
        } else {
            "BERT-tiny from scratch (this page's last run)"
        }
    };
    view! {
        <section class="lab-panel" aria-labelledby="bert-baseline-title">
            <h2 class="lab-panel__title" id="bert-baseline-title">"Against a baseline"</h2>
            <table class="lab-table" data-testid="bert-baseline">
                <thead>
                    <tr><th scope="col">"Model"</th><th scope="col">"Test accuracy"</th><th scope="col">"Parameters"</th></tr>
                </thead>
                <tbody>
                    <tr>
                        <td>"Naive Bayes on WordPiece counts (fitted when the data loaded)"</td>
                        <td data-testid="bert-nb-accuracy">{move || nb().map_or("–".into(), |a| format!("{a:.4}"))}</td>
                        <td>"2 × 30,522 counts"</td>
                    </tr>
                    <tr>
                        <td data-testid="bert-last-label">{bert_label}</td>
                        <td data-testid="bert-last-accuracy">{move || bert().map_or("–".into(), |a| format!("{a:.4}"))}</td>
                        <td>"4,386,178"</td>
                    </tr>
                </tbody>
            </table>
            <p class="lab-form__hint">
                "A transformer trained from nothing on eight thousand sentences has no knowledge of "
                "English to draw on: it learns which words lean positive, much as the word-counting "
                "baseline does, and the two land close together. What BERT buys is pre-training on "
                "billions of words, which this page does not do. The Groq homework's BERT-tiny was "
                "pre-trained by Google and fine-tuned on SST-2; it scored 77.47 % on the SST test "
                "sentences, on the CPU and on the GroqChip alike (the student's Groq.txt). That figure "
                "is on SST-2's labels, these are VADER's: the two are not directly comparable."
            </p>
        </section>
    }
}

/// The test sentences the model got wrong, most confident first.
#[component]
pub fn MistakesPanel(state: BertState) -> impl IntoView {
    view! {
        <section class="lab-panel lab-pair__item" aria-labelledby="bert-mistakes-title">
            <h2 class="lab-panel__title" id="bert-mistakes-title">"Misclassified test sentences"</h2>
            {move || {
                let report = state.lab.report.get().mistakes;
                if report.shown.is_empty() {
                    return view! { <p class="lab-empty">"At the end of a run: the sentences it got wrong, most confident first."</p> }.into_any();
                }
                view! {
                    <p class="lab-form__hint">
                        {format!("{} of {} mistakes shown.", report.shown.len(), thousands(report.n_total))}
                    </p>
                    <ol class="lab-sentences" data-testid="bert-mistakes">
                        {report.shown.into_iter().map(|m| {
                            let label = |c: u8| CLASSES.get(usize::from(c)).copied().unwrap_or("?");
                            view! {
                                <li>
                                    <q>{m.text}</q>
                                    <span class="lab-sentences__verdict">
                                        {format!(" {} → {} ({})", label(m.label), label(m.predicted), percent(m.confidence))}
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

/// One attention map on a canvas, with its text alternative.
#[component]
fn AttentionMap(
    layer: usize,
    head: usize,
    matrix: Vec<Vec<f32>>,
    tokens: Vec<String>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let palette = use_palette();
    let resized = use_resize_tick();
    let links = strongest_links(&matrix, &tokens);
    let cls = links
        .first()
        .map(|(_, to, p)| format!("[CLS] attends most to “{to}” ({:.0} %)", p * 100.0));
    Effect::new(move |_| {
        resized.track();
        let palette = palette.get();
        if let Some(c) = canvas.get() {
            let width = css_width(&c).min(420.0);
            draw_heatmap(&c, &matrix, &tokens, width, &palette);
        }
    });
    view! {
        <figure class="lab-attention__map">
            <canvas
                class="lab-attention__canvas"
                node_ref=canvas
                role="img"
                data-testid=format!("bert-attention-{layer}-{head}")
                aria-label=format!("Attention of layer {}, head {}: rows are the tokens that attend, columns the tokens attended to. {}.", layer + 1, head + 1, cls.clone().unwrap_or_default())
            ></canvas>
            <figcaption>{format!("Layer {}, head {}", layer + 1, head + 1)}{cls.map(|c| format!(": {c}"))}</figcaption>
        </figure>
    }
}

/// The words the pieces spell (`##` pieces joined to the one before), without `[CLS]` and
/// `[SEP]`: the sentence as the model read it (lower-cased, accents stripped).
fn words(pieces: &[String]) -> String {
    let mut out = String::new();
    for piece in pieces.iter().filter(|p| *p != "[CLS]" && *p != "[SEP]") {
        match piece.strip_prefix("##") {
            Some(rest) => out.push_str(rest),
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(piece);
            }
        }
    }
    out
}

fn is_dummy(answer: &BertAnswer) -> bool {
    answer.ids.len() == answer.max_len && answer.ids.iter().all(|&id| id == DUMMY_ID)
}

/// Type a sentence (or take the Groq example's dummy input): its WordPieces, the padding to
/// the chosen length, the prediction, and the attention maps.
#[component]
pub fn AskPanel(state: BertState) -> impl IntoView {
    let text = RwSignal::new(String::from("A gripping, beautifully acted film."));
    let len = RwSignal::new(String::from("128"));
    // Every answer of this visit, for the dummy-versus-sentence table.
    let history = RwSignal::new(Vec::<(String, usize, f32)>::new());
    Effect::new(move |_| {
        if let Some(a) = state.lab.answer.get() {
            let what = if is_dummy(&a.answer) {
                "dummy input (all ids 1)".to_string()
            } else {
                format!("“{}”", words(&a.answer.pieces))
            };
            let p = a.answer.probabilities.get(1).copied().unwrap_or(0.0);
            history.update(|h| {
                h.retain(|(w, l, _)| !(w == &what && *l == a.answer.max_len));
                h.push((what, a.answer.max_len, p));
            });
        }
    });
    let max_len = move || len.with(|l| l.parse::<usize>().unwrap_or(128));
    let ask = move |dummy: bool| {
        let query = if dummy {
            BertQuery::Dummy { max_len: max_len() }
        } else {
            BertQuery::Sentence {
                text: text.get_untracked(),
                max_len: max_len(),
            }
        };
        state.lab.query(query);
    };
    let fill = move || {
        state.lab.query(BertQuery::FillMask {
            text: text.get_untracked(),
            max_len: max_len(),
        });
    };
    let answer_view = move || {
        let answered = state.lab.answer.get()?;
        let a = answered.answer;
        let n_real = a.ids.len();
        let padding = a.max_len.saturating_sub(n_real);
        let top = if a.probabilities.get(1).copied().unwrap_or(0.0) > 0.5 {
            1
        } else {
            0
        };
        let whose = if answered.run_id == 0 {
            let name = state.lab.loaded_weights.get_untracked().unwrap_or_default();
            format!("the weights loaded from {name}")
        } else if answered.while_training {
            format!("run {}'s weights, still training", answered.run_id)
        } else {
            format!("run {}'s weights", answered.run_id)
        };
        let shown_tokens: Vec<String> = a
            .pieces
            .iter()
            .take(
                a.attention
                    .first()
                    .and_then(|l| l.first())
                    .map_or(0, Vec::len),
            )
            .cloned()
            .collect();
        Some(view! {
            <p class="lab-form__hint" data-testid="bert-shape">
                {format!(
                    "{n_real} token{} + {padding} padding = length {}{} ({whose}).",
                    if n_real == 1 { "" } else { "s" },
                    a.max_len,
                    if a.truncated { ", the sentence's tail cut off" } else { "" }
                )}
            </p>
            <ol class="lab-pieces" data-testid="bert-pieces" aria-label="WordPieces and their ids">
                {a.pieces.iter().zip(&a.ids).take(64).map(|(piece, id)| view! {
                    <li class="lab-pieces__piece"><span>{piece.clone()}</span><small>{*id}</small></li>
                }).collect_view()}
                {(n_real > 64).then(|| view! { <li class="lab-pieces__more">{format!("… {} more", n_real - 64)}</li> })}
                {(padding > 0).then(|| view! { <li class="lab-pieces__pad">{format!("[PAD] × {padding}")}</li> })}
            </ol>
            {a.note.clone().map(|note| view! {
                <p class="lab-warning" data-testid="bert-answer-note">{note}</p>
            })}
            <p class="lab-answer" data-testid="bert-prediction">
                "The model says "<strong>{CLASSES[top]}</strong>
                {format!(
                    ": P(negative) = {:.3}, P(positive) = {:.3}.",
                    a.probabilities.first().copied().unwrap_or(0.0),
                    a.probabilities.get(1).copied().unwrap_or(0.0)
                )}
            </p>
            {(!a.fills.is_empty()).then(|| view! {
                <div data-testid="bert-fills">
                    <h3 class="lab-panel__subtitle">"The masked-LM head's guesses"</h3>
                    <ul class="lab-fills">
                        {a.fills.iter().map(|f| view! {
                            <li data-testid="bert-fill">
                                {format!("[MASK] at position {}: ", f.position)}
                                {f.guesses.iter().enumerate().map(|(rank, (piece, p))| view! {
                                    <span>
                                        {(rank > 0).then_some(" · ")}
                                        {if rank == 0 {
                                            view! { <strong>{piece.clone()}</strong> }.into_any()
                                        } else {
                                            view! { <span>{piece.clone()}</span> }.into_any()
                                        }}
                                        {format!(" {p:.3}")}
                                    </span>
                                }).collect_view()}
                            </li>
                        }).collect_view()}
                    </ul>
                    <p class="lab-form__hint">
                        "What the pre-training objective learns: the probability of each WordPiece at a hidden "
                        "position, from the words on both sides. The sentiment head above is a separate layer "
                        "on the same encoder."
                    </p>
                </div>
            })}
            <p class="lab-form__hint">
                "Each map: a row is a token attending, a column a token attended to; the darkest square "
                "is the map's strongest link. Each row sums to 1 over the real tokens (padding gets none)."
            </p>
            <div class="lab-attention" data-testid="bert-attention">
                {a.attention.iter().enumerate().flat_map(|(layer, heads)| {
                    let tokens = shown_tokens.clone();
                    heads.iter().enumerate().map(move |(head, m)| view! {
                        <AttentionMap layer head matrix=m.clone() tokens=tokens.clone() />
                    }).collect::<Vec<_>>()
                }).collect_view()}
            </div>
            {(n_real > shown_tokens.len()).then(|| view! {
                <p class="lab-form__hint">{format!("The maps show the first {} tokens.", shown_tokens.len())}</p>
            })}
        })
    };
    view! {
        <section class="lab-panel" aria-labelledby="bert-ask-title">
            <h2 class="lab-panel__title" id="bert-ask-title">"Ask the model"</h2>
            <div class="lab-form__row">
                <label class="lab-form__label" for="bert-sentence">"Your sentence"</label>
                <textarea
                    id="bert-sentence"
                    class="lab-form__input lab-form__textarea"
                    data-testid="bert-sentence"
                    rows="2"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                ></textarea>
            </div>
            <div class="lab-form__row">
                <label class="lab-form__label" for="bert-ask-len">"Padded to"</label>
                <select
                    id="bert-ask-len"
                    class="lab-form__input"
                    data-testid="bert-ask-len"
                    on:change=move |ev| len.set(event_target_value(&ev))
                >
                    {LENGTHS.iter().map(|&l| view! {
                        <option value=l.to_string() selected=move || max_len() == l>{format!("{l} tokens")}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="lab-form__actions">
                <button type="button" class="lab-button lab-button--primary" data-testid="bert-ask" on:click=move |_| ask(false)>
                    "Classify my sentence"
                </button>
                <button type="button" class="lab-button" data-testid="bert-ask-dummy" on:click=move |_| ask(true)>
                    "Classify the dummy input"
                </button>
                <button type="button" class="lab-button" data-testid="bert-fill-mask" on:click=move |_| fill()>
                    "Fill in [MASK]"
                </button>
            </div>
            <p class="lab-form__error" data-testid="bert-ask-error" role="alert">{move || state.lab.answer_error.get()}</p>
            {answer_view}
            <h3 class="lab-panel__subtitle">"Dummy input or your sentence, at 128 and 256"</h3>
            <table class="lab-table" data-testid="bert-compare">
                <thead><tr><th scope="col">"Input"</th><th scope="col">"Length"</th><th scope="col">"P(positive)"</th></tr></thead>
                <tbody>
                    {move || history.get().into_iter().map(|(what, l, p)| view! {
                        <tr><td class="lab-table__wrap">{what}</td><td>{l}</td><td>{format!("{p:.3}")}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="lab-form__hint">
                "Groq's BERT-tiny example benchmarks the model on a dummy input (every id 1). Here the "
                "values decide the answer: the dummy input and your sentence get different predictions, "
                "and the dummy input changes with its length, since all its positions are real tokens, "
                "while your sentence's padding is masked and changes nothing. On the GroqChip the "
                "opposite holds for time: the compiler fixes every instruction's cycle for one input "
                "shape, so any values of that shape take the same time, and only a new shape (128 → 256) "
                "needs a new compile and gives a new latency (26.6 → 42.8 µs on chip in the homework). "
                <a href=Route::Simulator { arch: course::SimArch::Groq }.href()>"The Groq simulator"</a>
                " shows why."
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_spell_the_words_back() {
        let pieces: Vec<String> = [
            "[CLS]", "un", "##be", "##ara", "##bly", "dull", "!", "[SEP]",
        ]
        .iter()
        .map(|p| p.to_string())
        .collect();
        assert_eq!(words(&pieces), "unbearably dull !");
    }

    #[test]
    fn the_status_names_the_data_and_its_size() {
        let info = BertDataInfo {
            source: BertSource::Uploaded {
                train: Some("mine.tsv".into()),
                test: None,
            },
            n_train: 1200,
            n_test: 300,
            vocab_size: 30522,
            naive_bayes_accuracy: 0.8,
            positive_share: 0.5,
            n_cut: vec![],
            corpus: None,
        };
        assert_eq!(
            data_status(&DataState::Ready(info)),
            "In use: your files (mine.tsv), 1,200 training and 300 test sentences, 30,522 WordPieces in the vocabulary."
        );
    }
}

/// Largest weights file the lab reads (BERT-tiny in FP32 is 17.6 MB).
const MAX_WEIGHTS_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// Save the current model's weights as safetensors, or load a weights file to classify with.
#[component]
pub fn WeightsPanel(state: BertState) -> impl IntoView {
    let anchor = NodeRef::<leptos::html::A>::new();
    let input = NodeRef::<Input>::new();
    let local_error = RwSignal::new(None::<String>);
    state.lab.set_downloader(Callback::new(
        move |(file_name, bytes): (String, Vec<u8>)| {
            if let Some(a) = anchor.get_untracked()
                && let Err(message) =
                    crate::files::download_bytes(&a, &file_name, "application/octet-stream", &bytes)
            {
                local_error.set(Some(message));
            }
        },
    ));
    let has_model = move || {
        state.lab.current.with(|c| c.is_some()) || state.lab.loaded_weights.with(Option::is_some)
    };
    let load = move |_| {
        local_error.set(None);
        let Some(file) = input
            .get_untracked()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            local_error.set(Some("Choose a .safetensors file first.".into()));
            return;
        };
        if file.size() > MAX_WEIGHTS_BYTES {
            local_error.set(Some(format!(
                "“{}” is {:.1} MB; a BERT-tiny weights file is about 18 MB.",
                file.name(),
                file.size() / 1e6
            )));
            return;
        }
        leptos::task::spawn_local(async move {
            match read_file(&file).await {
                Ok(buffer) => state.lab.import_weights(file.name(), buffer),
                Err(message) => local_error.set(Some(format!("{message}."))),
            }
        });
    };
    let note = move || {
        local_error
            .get()
            .map(|e| (false, e))
            .or_else(|| state.lab.weights_note.get().map(|n| (n.ok, n.sentence)))
    };
    view! {
        <section class="lab-panel" aria-labelledby="bert-weights-title">
            <h2 class="lab-panel__title" id="bert-weights-title">"Weights"</h2>
            <p class="lab-form__hint">
                "Save the model of the latest run as a safetensors file with the Hugging Face BERT "
                "tensor names, or load such a file (this lab's, or a BERT-tiny fine-tuned elsewhere "
                "with a two-class head) and classify your sentences with it. The file stays in your "
                "browser."
            </p>
            <div class="lab-form__actions">
                <button
                    type="button"
                    class="lab-button"
                    data-testid="bert-weights-save"
                    prop:disabled=move || !has_model()
                    on:click=move |_| {
                        local_error.set(None);
                        state.lab.export_weights();
                    }
                >
                    "Save weights"
                </button>
                <a node_ref=anchor data-testid="bert-weights-file" hidden aria-hidden="true"></a>
            </div>
            <div class="lab-form__row">
                <label class="lab-form__label" for="bert-weights-input">"Weights file (.safetensors)"</label>
                <input
                    id="bert-weights-input"
                    class="lab-upload__input"
                    type="file"
                    accept=".safetensors,application/octet-stream"
                    data-testid="bert-weights-input"
                    node_ref=input
                    prop:disabled=move || state.lab.is_running()
                />
            </div>
            <div class="lab-form__actions">
                <button
                    type="button"
                    class="lab-button"
                    data-testid="bert-weights-load"
                    prop:disabled=move || state.lab.is_running()
                    on:click=load
                >
                    "Load weights"
                </button>
            </div>
            <p
                class="lab-form__hint"
                class:lab-form__error=move || note().is_some_and(|(ok, _)| !ok)
                data-testid="bert-weights-note"
                role="status"
            >
                {move || note().map(|(_, sentence)| sentence)}
            </p>
        </section>
    }
}
