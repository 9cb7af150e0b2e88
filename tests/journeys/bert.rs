//! The BERT-tiny lab: the bundled sentences load and the Naive Bayes baseline is computed; a
//! short run trains in the page's worker and its test accuracy is read from the page; a typed
//! sentence gets its WordPieces, a prediction and attention maps; the dummy input and the
//! sentence at 128 and 256 fill the comparison; a bad TSV gets its sentence and the sentences
//! in use stay.

use std::time::Duration;

use fantoccini::Locator;

use testbed_lab::training::bert::config::BertForm;
use testbed_lab::training::bert::task::{Bert, BertFile, BertSource};
use testbed_lab::training::protocol::{EpochRow, FromWorker, ToWorker};
use testbed_lab::training::session::WorkerSession;

use crate::support::{Browser, PATIENCE, StaticServer, relative_dist};

/// The query of the journey's run: one epoch of `cargo xtask bert`'s defaults (a smaller split
/// only learns to answer the majority class: from scratch, BERT-tiny needs a few hundred steps).
const RUN: &str = "epochs=1";

/// The last test accuracy of the same run done natively, through the same worker session the
/// page's worker runs (with the bundled files read from the build).
fn native_accuracy(query: &str) -> f32 {
    native_accuracy_from(query, None)
}

/// [`native_accuracy`], with a weights file loaded first (`init=current` starts from it).
fn native_accuracy_from(query: &str, weights: Option<Vec<u8>>) -> f32 {
    native_last_row(query, weights).test_accuracy
}

/// The last epoch's row of the same run done natively, after loading `weights` if any.
fn native_last_row(query: &str, weights: Option<Vec<u8>>) -> EpochRow {
    let config = BertForm::from_query(&testbed_lab::query::parse(query))
        .parse()
        .expect("valid settings");
    let files: Vec<Vec<u8>> = BertFile::ALL
        .iter()
        .map(|f| {
            std::fs::read(relative_dist().join("public/data").join(f.bundled_name()))
                .expect("bundled file")
        })
        .collect();
    let mut session = WorkerSession::<Bert>::new();
    let _ = session.handle(
        ToWorker::LoadData {
            source: BertSource::Bundled,
        },
        files,
        0.0,
    );
    if let Some(bytes) = weights {
        let out = session.handle(
            ToWorker::ImportWeights {
                request_id: 1,
                name: "weights.safetensors".into(),
            },
            vec![bytes],
            0.0,
        );
        assert!(
            matches!(out.as_slice(), [FromWorker::WeightsLoaded { .. }]),
            "{out:?}"
        );
    }
    let _ = session.handle(ToWorker::Start { run_id: 1, config }, Vec::new(), 0.0);
    let mut now = 0.0;
    let mut clock = move || {
        now += 1.0;
        now
    };
    let mut last = None;
    while session.is_busy() {
        for message in session.work(&mut clock, 1_000.0) {
            if let FromWorker::EpochResult { row, .. } = message {
                last = Some(row);
            }
        }
    }
    last.expect("an epoch finished")
}

/// The tokenizer over the vocabulary the build ships.
fn bundled_tokenizer() -> nn::tokenizer::WordPiece {
    let vocab =
        std::fs::read_to_string(relative_dist().join("public/data/bert-base-uncased-vocab.txt"))
            .expect("vocabulary");
    nn::tokenizer::WordPiece::from_vocab_txt(&vocab).expect("vocabulary")
}

const STATUS: &str = "[data-testid=bert-status]";
const BUNDLED: &str = "In use: the bundled sentences, 8,056 training and 2,014 test sentences, 30,522 WordPieces in the vocabulary.";

/// The BERT lab opened at `query` (its settings in the address), once the bundled data is in
/// use; the server lives as long as the first of the pair.
async fn open_lab(query: &str) -> (StaticServer, Browser) {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/labs/bert?{query}", server.origin))
        .await;
    browser
        .wait_for_text("[data-testid=bert-data-status]", BUNDLED)
        .await;
    (server, browser)
}

async fn type_into(browser: &Browser, testid: &str, value: &str) {
    let field = browser
        .client
        .find(Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap_or_else(|e| panic!("{testid}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

#[tokio::test]
async fn bert_tiny_trains_in_the_page_and_answers_a_sentence_with_its_attention() {
    // One epoch of the native command's defaults.
    let (_server, browser) = open_lab(RUN).await;
    let nb: f64 = browser
        .text_of("[data-testid=bert-nb-accuracy]")
        .await
        .parse()
        .expect("a figure");
    assert!(
        (0.75..0.85).contains(&nb),
        "Naive Bayes on this split: {nb}"
    );
    browser.click("[data-testid=bert-start]").await;
    let status = browser
        .wait_for_prefix(
            STATUS,
            "Finished run 1: test accuracy",
            Duration::from_secs(600),
            STATUS,
        )
        .await;
    let accuracy: f32 = browser
        .text_of("[data-testid=bert-test-accuracy-1]")
        .await
        .parse()
        .expect("a figure");
    let rate = browser.text_of("[data-testid=bert-rate]").await;
    let native = native_accuracy(RUN);
    println!("BERT-tiny in the page: {status} ({rate} sentences/s); natively {native:.4}");
    assert!(accuracy > 0.65, "one epoch learns: {accuracy}");
    // The same figure as the engine natively (wasm and native may round sums differently).
    assert!(
        (accuracy - native).abs() <= 0.01,
        "page {accuracy} vs native {native}"
    );
    assert_eq!(
        browser.text_of("[data-testid=bert-last-accuracy]").await,
        format!("{accuracy:.4}")
    );
    browser
        .wait_until(
            "the confusion table's four cells sum to the test set",
            "const cells = [...document.querySelectorAll('[data-testid=bert-confusion] td')];\
             return cells.length === 4 && cells.reduce((s, c) => s + Number(c.textContent || 0), 0) === 2014;",
        )
        .await;
    assert!(
        browser
            .text_of("[data-testid=bert-mistakes]")
            .await
            .contains("→"),
        "the misclassified sentences are listed"
    );

    // A sentence: its pieces (as the tokenizer gives them natively), the padding to 128, a
    // prediction and four attention maps.
    let sentence = "The soundtrack was unbearably saccharine!";
    let tokenizer = bundled_tokenizer();
    let expected = tokenizer.tokenize(sentence);
    assert!(
        expected.iter().any(|p| p.starts_with("##")),
        "the sentence has a word split into pieces: {expected:?}"
    );
    type_into(&browser, "bert-sentence", sentence).await;
    browser.click("[data-testid=bert-ask]").await;
    let n = expected.len() + 2;
    browser
        .wait_for_prefix(
            "[data-testid=bert-shape]",
            "",
            PATIENCE,
            "[data-testid=bert-ask-error]",
        )
        .await;
    let pieces = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=bert-pieces] .lab-pieces__piece span')]\
             .map(s => s.textContent);",
        )
        .await;
    let mut want = vec!["[CLS]".to_string()];
    want.extend(expected.iter().map(|p| p.to_string()));
    want.push("[SEP]".into());
    assert_eq!(pieces, serde_json::json!(want));
    assert_eq!(
        browser.text_of("[data-testid=bert-shape]").await,
        format!(
            "{n} tokens + {} padding = length 128 (run 1's weights).",
            128 - n
        )
    );
    let prediction = browser.text_of("[data-testid=bert-prediction]").await;
    assert!(prediction.starts_with("The model says "), "{prediction}");
    let n_maps = browser
        .eval("return document.querySelectorAll('[data-testid=bert-attention] canvas').length;")
        .await;
    assert_eq!(n_maps, 4, "2 layers × 2 heads");
    let label = browser
        .eval("return document.querySelector('[data-testid=bert-attention-0-0]').getAttribute('aria-label');")
        .await;
    assert!(
        label
            .as_str()
            .unwrap_or("")
            .contains("[CLS] attends most to"),
        "{label}"
    );
    browser.screenshot_page("bert-after").await;

    // The dummy input at 128 and 256, and the sentence at 256: the comparison fills in.
    browser.click("[data-testid=bert-ask-dummy]").await;
    browser
        .wait_for_text(
            "[data-testid=bert-shape]",
            "128 tokens + 0 padding = length 128 (run 1's weights).",
        )
        .await;
    browser
        .client
        .find(Locator::Css("[data-testid=bert-ask-len]"))
        .await
        .expect("length")
        .select_by_value("256")
        .await
        .expect("choose 256");
    browser.click("[data-testid=bert-ask-dummy]").await;
    browser
        .wait_for_text(
            "[data-testid=bert-shape]",
            "256 tokens + 0 padding = length 256 (run 1's weights).",
        )
        .await;
    browser.click("[data-testid=bert-ask]").await;
    browser
        .wait_until(
            "four rows in the comparison",
            "return document.querySelectorAll('[data-testid=bert-compare] tbody tr').length === 4;",
        )
        .await;
    let rows = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=bert-compare] tbody tr')]\
             .map(r => [...r.cells].map(c => c.textContent));",
        )
        .await;
    let rows = rows.as_array().expect("rows");
    // The sentence's padding is masked: 128 and 256 give the same probability.
    let sentence: Vec<&str> = rows
        .iter()
        .filter(|r| r[0].as_str().is_some_and(|t| t.starts_with('“')))
        .map(|r| r[2].as_str().unwrap_or(""))
        .collect();
    assert_eq!(sentence.len(), 2, "{rows:?}");
    assert_eq!(sentence[0], sentence[1], "{rows:?}");
    browser.assert_console_clean().await;
    browser.close().await;
}

#[tokio::test]
async fn a_bad_tsv_gets_its_sentence_and_the_sentences_in_use_stay() {
    let (_server, browser) = open_lab("len=100").await;
    // A bad length in the address: its sentence beside the field, and no start.
    browser
        .wait_for_text(
            "[data-testid=bert-error-len]",
            "The sequence length must be 64, 128 or 256; “100” is not one of them.",
        )
        .await;
    assert_eq!(
        browser
            .eval("return document.querySelector('[data-testid=bert-start]').disabled;")
            .await,
        true
    );
    let dir = std::env::temp_dir().join(format!("bert-journey-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.tsv");
    std::fs::write(&bad, "a fine film\t1\nanother one\tpositive\n").expect("write");
    browser
        .click("[data-testid=bert-upload-details] summary")
        .await;
    browser
        .client
        .find(Locator::Css("[data-testid=bert-file-train]"))
        .await
        .expect("file input")
        .send_keys(&bad.to_string_lossy())
        .await
        .expect("choose");
    browser.click("[data-testid=bert-upload]").await;
    let error = browser
        .wait_for_prefix(
            "[data-testid=bert-file-error-train]",
            "The training sentences: line 2",
            PATIENCE,
            "[data-testid=bert-data-status]",
        )
        .await;
    assert!(error.len() > 40, "{error}");
    assert_eq!(
        browser.text_of("[data-testid=bert-data-status]").await,
        BUNDLED
    );
    browser.screenshot_page("bert-bad-file").await;
    let _ = std::fs::remove_dir_all(&dir);
    browser.assert_console_clean().await;
    browser.close().await;
}

/// Picks `path` in the weights panel's file input and presses Load.
async fn choose_weights(browser: &Browser, path: &std::path::Path) {
    browser
        .client
        .find(Locator::Css("[data-testid=bert-weights-input]"))
        .await
        .expect("the weights input")
        .send_keys(&path.to_string_lossy())
        .await
        .expect("choose the file");
    browser.click("[data-testid=bert-weights-load]").await;
}

/// A weights file from elsewhere (here: a BERT-tiny with seeded weights, written natively with
/// the Hugging Face names) is loaded, classifies a sentence exactly as the same model does
/// natively, and saves back byte for byte; a file that is not BERT weights gets a sentence.
#[tokio::test]
async fn a_weights_file_loads_classifies_as_natively_and_saves_back_unchanged() {
    use sha2::Digest;
    let model = nn::bert::BertClassifier::new(
        &nn::bert::BertConfig::bert_tiny(),
        &mut nn::rng::rng_from_seed(7),
    )
    .expect("BERT-tiny");
    let bytes = nn::bert::weights::bert_to_safetensors(&model, None);
    let dir = std::env::temp_dir().join(format!("testbed-lab-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("seeded.safetensors");
    std::fs::write(&good, &bytes).expect("write weights");
    let bad = dir.join("notes.safetensors");
    std::fs::write(&bad, b"these are not weights").expect("write");
    let sentence = "A quietly moving film.";
    let tokenizer = bundled_tokenizer();
    let native = testbed_lab::training::bert::task::answer(
        &model,
        None,
        &tokenizer,
        &testbed_lab::training::bert::task::BertQuery::Sentence {
            text: sentence.into(),
            max_len: 128,
        },
        128,
    )
    .expect("native answer");

    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser.bypass_csp().await; // to read the saved file back with fetch(blob:…)
    browser
        .open(&format!("{}/#/labs/bert?len=128", server.origin))
        .await;
    browser
        .wait_for_text("[data-testid=bert-data-status]", BUNDLED)
        .await;
    choose_weights(&browser, &bad).await;
    browser
        .wait_for_part(
            "[data-testid=bert-weights-note]",
            "That is not a BERT-tiny weights file this lab can use",
        )
        .await;
    browser
        .eval("document.querySelector('[data-testid=bert-weights-input]').value = ''; return 1;")
        .await;
    choose_weights(&browser, &good).await;
    browser
        .wait_for_part(
            "[data-testid=bert-weights-note]",
            "Loaded BERT-tiny weights (4,386,178 parameters)",
        )
        .await;
    type_into(&browser, "bert-sentence", sentence).await;
    browser.click("[data-testid=bert-ask]").await;
    browser
        .wait_for_part(
            "[data-testid=bert-shape]",
            "the weights loaded from seeded.safetensors",
        )
        .await;
    let prediction = browser.text_of("[data-testid=bert-prediction]").await;
    let expected = format!(
        ": P(negative) = {:.3}, P(positive) = {:.3}.",
        native.probabilities[0], native.probabilities[1]
    );
    assert!(
        prediction.ends_with(&expected),
        "{prediction} vs {expected}"
    );

    // Saved again: the download is the same file, byte for byte.
    browser.click("[data-testid=bert-weights-save]").await;
    browser
        .wait_for_part(
            "[data-testid=bert-weights-note]",
            "Saved bert-tiny-sentiment.safetensors",
        )
        .await;
    let digest = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('[data-testid=bert-weights-file]').href)
               .then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-256', b))
               .then(h => done([...new Uint8Array(h)].map(x => x.toString(16).padStart(2, '0')).join('')),
                     e => done('failed: ' + e));",
            vec![],
        )
        .await
        .expect("hash the download");
    let want: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest.as_str(), Some(want.as_str()));
    browser.assert_console_clean().await;
    browser.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pre-trained encoder (Google's BERT-tiny as Hugging Face stores it: no classifier, the
/// pre-training heads beside the encoder; here with seeded weights) loads with the sentence
/// that says what it lacks; a run that starts from new weights is unaffected, one set to start
/// from the weights in use fine-tunes it, and reaches the same test accuracy as the same run
/// natively. Asking for the weights in use before any are loaded gets its sentence.
#[tokio::test]
async fn a_pretrained_encoder_loads_and_fine_tunes_from_its_weights_as_natively() {
    let model = nn::bert::BertClassifier::new(
        &nn::bert::BertConfig::bert_tiny(),
        &mut nn::rng::rng_from_seed(7),
    )
    .expect("BERT-tiny");
    let mut tensors = nn::bert::checkpoints::pretrained_tensors(&model, None);
    tensors.push((
        "cls.predictions.bias".into(),
        vec![30_522],
        vec![0.0; 30_522],
    ));
    let bytes = nn::bert::safetensors::write(&tensors, &[]);
    let dir = std::env::temp_dir().join(format!("testbed-lab-encoder-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("bert_uncased_L-2_H-128_A-2.safetensors");
    std::fs::write(&file, &bytes).expect("write weights");
    let run = "epochs=1&train=96&init=current";

    let (_server, browser) = open_lab(run).await;
    assert_eq!(
        browser
            .eval("return document.querySelector('[data-testid=bert-init]').value;")
            .await
            .as_str(),
        Some("current"),
        "the address chose the weights in use"
    );
    browser.click("[data-testid=bert-start]").await;
    browser
        .wait_for_part(STATUS, "there are no weights in use yet")
        .await;

    choose_weights(&browser, &file).await;
    browser
        .wait_for_part(
            "[data-testid=bert-weights-note]",
            "Loaded a BERT-tiny encoder without its classifier head: a pre-trained model",
        )
        .await;
    assert!(
        browser
            .text_of("[data-testid=bert-weights-note]")
            .await
            .contains("(1 tensor: cls.predictions…) are not used here"),
        "the skipped head is named"
    );
    browser.click("[data-testid=bert-start]").await;
    let status = browser
        .wait_for_prefix(STATUS, "Finished run", Duration::from_secs(300), STATUS)
        .await;
    let config = browser.text_of("[data-testid=bert-run-config]").await;
    assert!(
        config.ends_with("· 96 sentences · from the weights in use"),
        "the run says where it started: {config} ({status})"
    );
    let accuracy: f32 = browser
        .eval("return document.querySelector('[data-testid=bert-last-accuracy]').textContent;")
        .await
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("a figure");
    assert_eq!(
        browser.text_of("[data-testid=bert-last-label]").await,
        "BERT-tiny fine-tuned from the weights in use (this page's last run)"
    );
    let native = native_accuracy_from(run, Some(bytes));
    println!("fine-tuned from the loaded encoder: page {accuracy:.4}, natively {native:.4}");
    browser
        .screenshot_page("bert-from-pretrained-encoder")
        .await;
    assert!(
        (accuracy - native).abs() <= 0.01,
        "page {accuracy} vs native {native}"
    );
    browser.assert_console_clean().await;
    browser.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pre-trained model that keeps its masked-LM head (as Google's BERT-tiny does; here with
/// seeded weights and a head planted to favour "great") fills in a `[MASK]`: the page shows
/// the head's guesses, and a sentence without `[MASK]` gets its sentence.
#[tokio::test]
async fn a_pretrained_models_masked_lm_head_fills_in_a_mask() {
    let tokenizer = bundled_tokenizer();
    let great = tokenizer.token_to_id("great").expect("in the vocabulary");
    let model = nn::bert::BertClassifier::new(
        &nn::bert::BertConfig::bert_tiny(),
        &mut nn::rng::rng_from_seed(7),
    )
    .expect("BERT-tiny");
    let tensors = nn::bert::checkpoints::pretrained_tensors(&model, Some(great));
    let dir = std::env::temp_dir().join(format!("testbed-lab-mlm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("pretrained-with-head.safetensors");
    std::fs::write(&file, nn::bert::safetensors::write(&tensors, &[])).expect("write weights");

    let (_server, browser) = open_lab("").await;
    choose_weights(&browser, &file).await;
    browser
        .wait_for_part(
            "[data-testid=bert-weights-note]",
            "Its masked-LM head came with it",
        )
        .await;
    type_into(&browser, "bert-sentence", "A gripping film.").await;
    browser.click("[data-testid=bert-fill-mask]").await;
    browser
        .wait_for_part("[data-testid=bert-ask-error]", "Write [MASK] where a word")
        .await;
    type_into(&browser, "bert-sentence", "The film was [MASK].").await;
    browser.click("[data-testid=bert-fill-mask]").await;
    browser
        .wait_for_prefix(
            "[data-testid=bert-fill]",
            "[MASK] at position 4: great",
            Duration::from_secs(30),
            "[data-testid=bert-ask-error]",
        )
        .await;
    browser.screenshot_page("bert-fill-mask").await;
    browser.assert_console_clean().await;
    browser.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A masked-LM run on the Brown corpus: the objective explained before it starts, the held-out
/// loss falling from ln 30,522 over two epochs to the native figure, and the head it trained
/// filling in a [MASK] with the warning that the sentiment classifier is untrained.
#[tokio::test]
async fn a_masked_lm_run_on_the_corpus_learns_and_its_head_fills_in_a_mask() {
    let run = "objective=mlm&batch=16&lr=0.002&epochs=2&len=64&seed=1&train=800";
    let (_server, browser) = open_lab(run).await;
    browser
        .wait_for_part(
            "[data-testid=bert-mlm-corpus]",
            "sentences of the Brown Corpus",
        )
        .await;
    browser.click("[data-testid=bert-start]").await;
    let status = browser
        .wait_for_prefix(
            STATUS,
            "Finished run 1: held-out masked-LM loss",
            Duration::from_secs(600),
            STATUS,
        )
        .await;
    let losses: Vec<f32> = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=bert-mlm-row] td:nth-child(2)')]\
             .map(td => Number(td.textContent));",
        )
        .await
        .as_array()
        .expect("the rows")
        .iter()
        .map(|v| v.as_f64().expect("a figure") as f32)
        .collect();
    let native = native_last_row(run, None)
        .test_loss
        .expect("a finite held-out loss");
    println!("masked LM in the page: {status}; held-out losses {losses:?}; natively {native:.4}");
    assert_eq!(losses.len(), 2, "one row an epoch");
    assert!(
        losses[1] < losses[0] && losses[1] < 30_522_f32.ln() - 2.0,
        "the held-out loss falls from ln 30,522: {losses:?}"
    );
    // The page shows two decimals; the engine runs the same sums in wasm.
    assert!(
        (losses[1] - native).abs() <= 0.02,
        "page {} vs native {native}",
        losses[1]
    );
    browser
        .wait_for_part(
            "[data-testid=bert-mlm-verdict]",
            "After 2 epochs the held-out loss",
        )
        .await;
    let unigram = browser.text_of("[data-testid=bert-mlm-unigram]").await;
    assert!(
        unigram.starts_with("WordPiece frequencies of the training text only"),
        "{unigram}"
    );

    type_into(&browser, "bert-sentence", "The [MASK] was here.").await;
    browser.click("[data-testid=bert-fill-mask]").await;
    browser
        .wait_for_prefix(
            "[data-testid=bert-fill]",
            "[MASK] at position 2: ",
            Duration::from_secs(30),
            "[data-testid=bert-ask-error]",
        )
        .await;
    browser
        .wait_for_part("[data-testid=bert-answer-note]", "has never been trained")
        .await;
    browser.screenshot_page("bert-mlm").await;
    browser.assert_console_clean().await;
    browser.close().await;
}
