//! The masked-LM panel: what the pre-training objective is, the corpus it runs on here, and a
//! run's held-out figures beside two bars computed from the text itself (a uniform guess, and
//! WordPiece frequencies alone), with a sentence saying which side of the second the run is.

use leptos::prelude::*;

use super::BertState;
use crate::components::ScrollBox;
use crate::components::lab::thousands;
use crate::training::bert::config::BertObjective;
use crate::training::bert::task::CorpusInfo;
use crate::training::protocol::EpochRow;
use crate::training::state::DataState;
use nn::bert::corpus::{HELD_OUT_EVERY, MAX_HELD_OUT};

/// WordPieces in the vocabulary: a uniform guess scores `ln` of it.
const VOCAB: f32 = 30_522.0;
/// How close to the frequency bar counts as "at" it (nats).
const AT_THE_BAR: f32 = 0.05;

/// Where a run's latest held-out loss stands against the frequency bar.
fn verdict(row: &EpochRow, corpus: &CorpusInfo) -> Option<String> {
    let loss = row.test_loss?;
    let bar = corpus.unigram_loss;
    let after = format!(
        "After {} epoch{}",
        row.epoch,
        if row.epoch == 1 { "" } else { "s" }
    );
    Some(if loss > bar + AT_THE_BAR {
        format!(
            "{after} the held-out loss ({loss:.2}) has fallen from about {:.2} but is still above what WordPiece frequencies alone give ({bar:.2}): so far the model has learnt which pieces are common, not yet how the words around a mask predict it. That takes far more text and steps than a browser tab gives it.",
            VOCAB.ln()
        )
    } else if loss >= bar - AT_THE_BAR {
        format!(
            "{after} the held-out loss ({loss:.2}) is about what WordPiece frequencies alone give ({bar:.2}): the model has learnt which pieces are common, and little yet about how the words around a mask predict it."
        )
    } else {
        format!(
            "{after} the held-out loss ({loss:.2}) is below what WordPiece frequencies alone give ({bar:.2}): the encoder is using the words around each mask, a little. Try “Fill in [MASK]” below."
        )
    })
}

/// The masked-LM demonstration's explanation and figures (shown while the form or the last
/// run is set to masked LM).
#[component]
pub fn PretrainingPanel(state: BertState) -> impl IntoView {
    let shown = move || {
        state.mlm_run()
            || state.form.with(|f| {
                f.field(crate::training::bert::config::BertField::Objective)
                    .trim()
                    == BertObjective::MaskedLm.key()
            })
    };
    let corpus = Memo::new(move |_| {
        state.lab.data.with(|d| match d {
            DataState::Ready(info) => info.corpus.clone(),
            _ => None,
        })
    });
    let rows = move || {
        if state.mlm_run() {
            state.lab.epochs.get()
        } else {
            Vec::new()
        }
    };
    view! {
        <section class="lab-panel" aria-labelledby="bert-mlm-title" data-testid="bert-mlm" hidden=move || !shown()>
            <h2 class="lab-panel__title" id="bert-mlm-title">"Masked-LM pre-training: a demonstration"</h2>
            <p>
                "BERT learns English before it learns a task. In each sentence 15 % of the WordPieces "
                "are chosen; most become [MASK], and the model must name the original piece from the "
                "words on both sides. Its masked-LM head turns each hidden position into a probability "
                "for every one of the 30,522 pieces, through a decoder that shares the word-embedding "
                "table. Before training every piece is about equally likely, so the loss starts near "
                "ln 30,522 ≈ 10.33 nats."
            </p>
            <p data-testid="bert-mlm-corpus">
                {move || corpus.get().map_or_else(
                    || "The corpus text has not loaded, so a masked-LM run cannot start.".to_string(),
                    |c| format!(
                        "Here the text is {} sentences of the Brown Corpus ({} WordPieces), packed end to end into sequences of the chosen length. Every {HELD_OUT_EVERY}th sentence ({} in all) is held out; after each epoch up to {MAX_HELD_OUT} sequences of them are scored with the same masks every time, so the epochs compare. In “Each epoch” above, the test columns are those held-out masked positions, and accuracy means the right piece guessed.",
                        thousands(c.n_train_sentences),
                        thousands(c.n_train_tokens),
                        thousands(c.n_held_out_sentences),
                    ),
                )}
            </p>
            <ScrollBox label="Held-out masked positions" class="lab-scroll">
            <table class="lab-table" data-testid="bert-mlm-table">
                <caption>"Held-out masked positions"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Guesser"</th>
                        <th scope="col">"Loss (nats)"</th>
                        <th scope="col">"Perplexity"</th>
                        <th scope="col">"Right piece"</th>
                    </tr>
                </thead>
                <tbody>
                    <tr>
                        <td>"Every piece equally likely"</td>
                        <td>{format!("{:.2}", VOCAB.ln())}</td>
                        <td>"30,522"</td>
                        <td>"0.003 %"</td>
                    </tr>
                    {move || corpus.get().map(|c| view! {
                        <tr data-testid="bert-mlm-unigram">
                            <td class="lab-table__wrap">{format!("WordPiece frequencies of the training text only (always “{}” for accuracy)", c.top_piece)}</td>
                            <td>{format!("{:.2}", c.unigram_loss)}</td>
                            <td>{thousands(c.unigram_loss.exp().round() as usize)}</td>
                            <td>{format!("{:.1} %", c.top_piece_share * 100.0)}</td>
                        </tr>
                    })}
                    {move || rows().into_iter().map(|r| {
                        let loss = r.test_loss;
                        view! {
                            <tr data-testid="bert-mlm-row">
                                <td>{format!("BERT-tiny after epoch {}", r.epoch)}</td>
                                <td>{loss.map_or("not finite".into(), |l| format!("{l:.2}"))}</td>
                                <td>{loss.map_or("–".into(), |l| thousands(l.exp().round() as usize))}</td>
                                <td>{format!("{:.1} %", r.test_accuracy * 100.0)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </ScrollBox>
            <p class="lab-answer" data-testid="bert-mlm-verdict">
                {move || {
                    let row = rows().last().cloned()?;
                    corpus.with(|c| c.as_ref().and_then(|c| verdict(&row, c)))
                }}
            </p>
            <p class="lab-form__hint">
                "This shows the objective and the first fall of its loss, not pre-training. Real runs read "
                "far more text for far longer: the SambaNova homework's BERT-large run read shards of "
                "English Wikipedia, with a schedule set for 250,000 steps of which it ran 505 (its "
                "BertLarge_run.sh, in the course material). After a run here, “Fill in [MASK]” asks the "
                "head it trained, “Save weights” keeps encoder and head together, and a sentiment run "
                "set to start from the weights in use fine-tunes this encoder."
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(epoch: usize, loss: Option<f32>) -> EpochRow {
        EpochRow {
            test_loss: loss,
            ..crate::training::protocol::tests::row(epoch, 0.06)
        }
    }

    fn corpus(unigram_loss: f32) -> CorpusInfo {
        CorpusInfo {
            n_train_sentences: 3_000,
            n_train_tokens: 80_000,
            n_held_out_sentences: 333,
            unigram_loss,
            top_piece: "the".into(),
            top_piece_share: 0.06,
        }
    }

    #[test]
    fn the_verdict_says_which_side_of_the_frequency_bar_the_run_is() {
        let above = verdict(&row(2, Some(7.4)), &corpus(6.9)).unwrap();
        assert!(
            above.starts_with("After 2 epochs the held-out loss (7.40) has fallen from about 10.33 but is still above what WordPiece frequencies alone give (6.90)"),
            "{above}"
        );
        let at = verdict(&row(1, Some(6.93)), &corpus(6.9)).unwrap();
        assert!(
            at.starts_with("After 1 epoch the held-out loss (6.93) is about"),
            "{at}"
        );
        let below = verdict(&row(3, Some(6.2)), &corpus(6.9)).unwrap();
        assert!(
            below.contains("is below what WordPiece frequencies alone give"),
            "{below}"
        );
        assert_eq!(verdict(&row(1, None), &corpus(6.9)), None);
    }
}
