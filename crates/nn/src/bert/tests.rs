use ndarray::{Array1, Array2, array};

use super::train::{BertTrainConfig, BertTrainer, EncodedExample};
use super::*;
use crate::gradcheck::{check_gradient, random_array};
use crate::loss::softmax_cross_entropy;
use crate::rng::rng_from_seed;
use crate::train::{BatchOutcome, DivergenceKind, TrainStatus};

fn small_config() -> BertConfig {
    BertConfig {
        vocab_size: 20,
        hidden: 8,
        n_layers: 2,
        n_heads: 2,
        intermediate: 16,
        max_positions: 10,
        n_segments: 2,
        hidden_dropout: 0.0,
        attention_dropout: 0.0,
        layer_norm_eps: 1e-12,
        init_std: 0.5,
        n_classes: 2,
    }
}

fn small_batch() -> (TokenBatch, Vec<u8>) {
    let batch = TokenBatch {
        token_ids: array![[2u32, 5, 7, 9, 3], [2, 11, 3, 0, 0]],
        segment_ids: array![[0u8, 0, 0, 1, 1], [0, 0, 0, 0, 0]],
        attention_mask: array![[1u8, 1, 1, 1, 1], [1, 1, 1, 0, 0]],
    };
    (batch, vec![1, 0])
}

#[test]
fn bert_tiny_has_the_published_sizes() {
    let model = BertClassifier::new(&BertConfig::bert_tiny(), &mut rng_from_seed(1)).unwrap();
    // word 30,522·128 + position 512·128 + segment 2·128 + LayerNorm 256 = 3,972,864;
    // per layer 4·(128·128 + 128) + 256 + (128·512 + 512) + (512·128 + 128) + 256 = 198,272;
    // pooler 128·128 + 128 = 16,512; classifier 128·2 + 2 = 258.
    assert_eq!(model.n_params(), 3_972_864 + 2 * 198_272 + 16_512 + 258);
    let (batch, _) = small_batch();
    assert_eq!(model.infer(&batch).dim(), (2, 2));
}

#[test]
fn whole_model_backward_matches_finite_differences() {
    let model = BertClassifier::new(&small_config(), &mut rng_from_seed(4)).unwrap();
    let (batch, labels) = small_batch();
    let loss = |m: &BertClassifier| softmax_cross_entropy(m.infer(&batch).view(), &labels).loss;
    let (logits, cache) = model.forward_batch(&batch, Mode::Train, &mut rng_from_seed(9));
    let out = softmax_cross_entropy(logits.view(), &labels);
    let mut grads = model.zero_grads();
    model.backward_batch(&cache, out.dlogits.view(), &mut grads);
    // Only the ids in the batch have word-embedding gradients.
    let mut touched = grads.embeddings.word.rows().to_vec();
    touched.sort_unstable();
    assert_eq!(touched, vec![0, 2, 3, 5, 7, 9, 11]);

    let with = |f: &dyn Fn(&mut BertClassifier)| {
        let mut m = model.clone();
        f(&mut m);
        loss(&m)
    };
    let e = &model.embeddings;
    check_gradient(
        "word embeddings",
        &e.word.table,
        &grads.embeddings.word.to_dense(),
        |t| with(&|m| m.embeddings.word.table = t.clone()),
    );
    check_gradient(
        "position embeddings",
        &e.position.table,
        &grads.embeddings.position.to_dense(),
        |t| with(&|m| m.embeddings.position.table = t.clone()),
    );
    check_gradient(
        "segment embeddings",
        &e.segment.table,
        &grads.embeddings.segment.to_dense(),
        |t| with(&|m| m.embeddings.segment.table = t.clone()),
    );
    for layer_idx in 0..2 {
        let l = &model.layers[layer_idx];
        let g = &grads.layers[layer_idx];
        check_gradient(
            "value weight",
            &l.attention.value.w,
            &g.attention.value.dw,
            |w| with(&|m| m.layers[layer_idx].attention.value.w = w.clone()),
        );
        check_gradient("key weight", &l.attention.key.w, &g.attention.key.dw, |w| {
            with(&|m| m.layers[layer_idx].attention.key.w = w.clone())
        });
        check_gradient(
            "intermediate weight",
            &l.intermediate.w,
            &g.intermediate.dw,
            |w| with(&|m| m.layers[layer_idx].intermediate.w = w.clone()),
        );
        check_gradient("output bias", &l.output.b, &g.output.db, |b| {
            with(&|m| m.layers[layer_idx].output.b = b.clone())
        });
        check_gradient(
            "attention LayerNorm γ",
            &l.attention_norm.gamma,
            &g.attention_norm.dgamma,
            |v| with(&|m| m.layers[layer_idx].attention_norm.gamma = v.clone()),
        );
    }
    check_gradient("pooler weight", &model.pooler.w, &grads.pooler.dw, |w| {
        with(&|m| m.pooler.w = w.clone())
    });
    check_gradient(
        "classifier weight",
        &model.classifier.w,
        &grads.classifier.dw,
        |w| with(&|m| m.classifier.w = w.clone()),
    );
    check_gradient(
        "embedding LayerNorm β",
        &e.norm.beta,
        &grads.embeddings.norm.dbeta,
        |v| with(&|m| m.embeddings.norm.beta = v.clone()),
    );
}

#[test]
fn padding_does_not_change_a_sentences_logits() {
    let model = BertClassifier::new(&small_config(), &mut rng_from_seed(4)).unwrap();
    let short = TokenBatch::from_sequences(&[&[2, 11, 3]]);
    let padded = TokenBatch::from_sequences(&[&[2, 11, 3], &[2, 5, 7, 9, 3, 4, 4]]);
    let a = model.infer(&short);
    let b = model.infer(&padded);
    for (x, y) in a.row(0).iter().zip(b.row(0)) {
        assert!((x - y).abs() < 1e-5, "{x} vs {y}");
    }
}

#[test]
fn mlm_head_backward_matches_finite_differences() {
    let config = small_config();
    let mut rng = rng_from_seed(8);
    let head = MlmHead::new(&config, &mut rng);
    let mut head = MlmHead {
        bias: random_array(config.vocab_size, &mut rng),
        ..head
    };
    head.norm.gamma = Array1::from_elem(config.hidden, 0.7);
    let table = Embedding::new(config.vocab_size, config.hidden, 0.5, &mut rng);
    let hidden: Array2<f32> = random_array((3, config.hidden), &mut rng);
    let labels = [4u8, 0, 19];
    let loss = |head: &MlmHead, table: &Embedding, hidden: &Array2<f32>| {
        softmax_cross_entropy(head.forward(hidden.view(), table).0.view(), &labels).loss
    };
    let (logits, cache) = head.forward(hidden.view(), &table);
    assert_eq!(logits.dim(), (3, config.vocab_size));
    let out = softmax_cross_entropy(logits.view(), &labels);
    let mut grads = MlmHeadGrads::zeros_like(&head);
    let mut word_grads = EmbeddingGrads::zeros_like(&table);
    let dh = head.backward(
        &cache,
        out.dlogits.view(),
        &table,
        &mut grads,
        &mut word_grads,
    );
    check_gradient("mlm hidden", &hidden, &dh, |h| loss(&head, &table, h));
    check_gradient(
        "mlm tied decoder",
        &table.table,
        &word_grads.to_dense(),
        |t| loss(&head, &Embedding { table: t.clone() }, &hidden),
    );
    check_gradient(
        "mlm transform",
        &head.transform.w,
        &grads.transform.dw,
        |w| {
            let mut h = head.clone();
            h.transform.w = w.clone();
            loss(&h, &table, &hidden)
        },
    );
    check_gradient("mlm bias", &head.bias, &grads.dbias, |b| {
        let mut h = head.clone();
        h.bias = b.clone();
        loss(&h, &table, &hidden)
    });
}

/// Sentences whose class is whether token 5 or token 6 appears.
fn toy_examples(n: usize, seed: u64) -> Vec<EncodedExample> {
    let mut rng = rng_from_seed(seed);
    (0..n)
        .map(|_| {
            let label = crate::rng::index_below(&mut rng, 2) as u8;
            let len = 3 + crate::rng::index_below(&mut rng, 5);
            let mut ids = vec![2u32];
            for _ in 0..len {
                ids.push(7 + crate::rng::index_below(&mut rng, 12) as u32);
            }
            let at = 1 + crate::rng::index_below(&mut rng, len);
            ids[at] = 5 + u32::from(label);
            ids.push(3);
            EncodedExample { ids, label }
        })
        .collect()
}

fn toy_trainer(lr: f32) -> BertTrainer {
    let config = BertTrainConfig {
        model: BertConfig {
            hidden_dropout: 0.1,
            attention_dropout: 0.1,
            init_std: 0.02,
            ..small_config()
        },
        batch_size: 16,
        n_epochs: 8,
        ..BertTrainConfig::bert_tiny(lr)
    };
    BertTrainer::new(config, toy_examples(256, 1)).unwrap()
}

#[test]
fn the_trainer_learns_a_toy_problem_and_split_steps_are_the_same_run() {
    let mut a = toy_trainer(1e-2);
    let mut b = a.clone();
    while a.status() == TrainStatus::Training {
        let _ = a.train_batch();
        let _ = b.compute_gradients();
        // A second compute before applying recomputes the same batch (same gradients shape).
        let _ = b.apply_gradients();
    }
    assert_eq!(
        a.model(),
        b.model(),
        "train_batch = compute_gradients + apply_gradients"
    );
    let test = toy_examples(128, 2);
    let evaluation = a.evaluate(&test).unwrap();
    assert!(
        evaluation.accuracy > 0.9,
        "accuracy {}",
        evaluation.accuracy
    );
    // The chunked evaluator gives the same figures however the chunks are cut.
    let mut evaluator = crate::train::Evaluator::new(test.len(), 2);
    while !evaluator.is_done() {
        train::evaluate_chunk(a.model(), &test, &mut evaluator, 7);
    }
    assert_eq!(evaluator.finish().confusion, evaluation.confusion);
}

#[test]
fn an_absurd_learning_rate_is_a_divergence_status_not_nan_figures() {
    let mut trainer = toy_trainer(1e30);
    let mut outcome = None;
    while trainer.status() == TrainStatus::Training {
        if let BatchOutcome::Diverged(d) = trainer.train_batch() {
            outcome = Some(d);
        }
    }
    let divergence = outcome.expect("the run diverged");
    assert!(matches!(
        divergence.kind,
        DivergenceKind::NonFiniteLoss | DivergenceKind::ExplodingLoss { .. }
    ));
    assert_eq!(trainer.status(), TrainStatus::Diverged(divergence));
    assert!(matches!(trainer.train_batch(), BatchOutcome::Stopped(_)));
}

#[test]
fn bad_examples_and_configs_are_typed_errors() {
    let bad = vec![EncodedExample {
        ids: vec![2, 99],
        label: 0,
    }];
    let config = BertTrainConfig {
        model: small_config(),
        ..BertTrainConfig::bert_tiny(1e-3)
    };
    assert!(matches!(
        BertTrainer::new(config.clone(), bad),
        Err(train::BertTrainError::Example { item_idx: 0, .. })
    ));
    let heads = BertConfig {
        n_heads: 3,
        ..small_config()
    };
    assert!(matches!(
        heads.validate(),
        Err(BertConfigError::Heads { .. })
    ));
}

#[test]
fn attention_maps_are_rows_of_probabilities_that_skip_padding() {
    let model = BertClassifier::new(&small_config(), &mut rng_from_seed(4)).unwrap();
    let (batch, _) = small_batch();
    let (logits, maps) = model.infer_with_attention(&batch);
    assert_eq!(logits, model.infer(&batch));
    assert_eq!(maps.len(), 2);
    for map in &maps {
        assert_eq!(map.dim(), (2, 2, 5, 5));
        for b in 0..2 {
            for h in 0..2 {
                for i in 0..5 {
                    let row: Vec<f32> = (0..5).map(|j| map[(b, h, i, j)]).collect();
                    let sum: f32 = row.iter().sum();
                    assert!((sum - 1.0).abs() < 1e-5, "row {b} {h} {i}: {row:?}");
                    if b == 1 {
                        assert_eq!(&row[3..], &[0.0, 0.0], "padding draws no attention");
                    }
                }
            }
        }
    }
}

#[test]
fn the_cls_only_last_layer_gives_the_full_layers_logits_and_gradients() {
    // With dropout on: the pruned layer draws the full layer's masks.
    let config = BertConfig {
        hidden_dropout: 0.3,
        attention_dropout: 0.3,
        ..small_config()
    };
    let model = BertClassifier::new(&config, &mut rng_from_seed(5)).unwrap();
    let (batch, labels) = small_batch();
    let run = |last: Queries| {
        let (logits, cache) =
            model.forward_classifier(&batch, Mode::Train, &mut rng_from_seed(9), last);
        let out = softmax_cross_entropy(logits.view(), &labels);
        let mut grads = model.zero_grads();
        model.backward_batch(&cache, out.dlogits.view(), &mut grads);
        let mut m = model.clone();
        let flat: Vec<f32> = m
            .params_and_grads(&grads)
            .iter()
            .flat_map(|p| p.grad.iter().copied().collect::<Vec<_>>())
            .collect();
        (logits, cache.cls_only, flat)
    };
    let (full_logits, full_cls_only, full_grads) = run(Queries::All);
    let (logits, cls_only, grads) = run(Queries::First);
    assert!(!full_cls_only && cls_only);
    for (a, b) in full_logits.iter().zip(&logits) {
        assert!((a - b).abs() <= 1e-6, "logits {a} vs {b}");
    }
    assert_eq!(full_grads.len(), grads.len());
    let scale = full_grads.iter().fold(0.0_f32, |m, g| m.max(g.abs()));
    for (i, (a, b)) in full_grads.iter().zip(&grads).enumerate() {
        assert!((a - b).abs() <= 1e-5 * scale, "gradient {i}: {a} vs {b}");
    }
}
