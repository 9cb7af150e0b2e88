use super::*;
use crate::bert::BertConfig;
use crate::parallel::ReduceSum;
use crate::rng::{Rng, index_below, uniform};

/// A BERT small enough for a step to take well under a millisecond: width 16, one layer.
fn small_model() -> BertConfig {
    BertConfig {
        vocab_size: 24,
        hidden: 16,
        n_layers: 1,
        n_heads: 2,
        intermediate: 32,
        max_positions: 12,
        hidden_dropout: 0.0,
        attention_dropout: 0.0,
        ..BertConfig::bert_tiny()
    }
}

fn config(n_workers: usize, batch_size: usize, n_steps: usize) -> BertDataParallelConfig {
    BertDataParallelConfig {
        train: BertTrainConfig {
            model: small_model(),
            batch_size,
            seed: 5,
            ..BertTrainConfig::bert_tiny(1e-2)
        },
        n_workers,
        n_steps,
    }
}

/// `n` sentences `[CLS] … [SEP]` of 1 to 8 words: class 0 draws its words from ids 3–10,
/// class 1 from 11–18, and about one word in four is a neutral 19–23. Never id 0 (`[PAD]`).
fn toy_sentences(n: usize) -> Vec<EncodedExample> {
    let mut rng = rng_from_seed(17);
    (0..n)
        .map(|item_idx| {
            let label = (item_idx % 2) as u8;
            let n_words = 1 + index_below(&mut rng, 8);
            let mut ids = vec![1];
            for _ in 0..n_words {
                let id = if index_below(&mut rng, 4) == 0 {
                    19 + index_below(&mut rng, 5)
                } else {
                    3 + 8 * usize::from(label) + index_below(&mut rng, 8)
                };
                ids.push(id as u32);
            }
            ids.push(2);
            EncodedExample { ids, label }
        })
        .collect()
}

fn random_values(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| uniform(rng, -1.0, 1.0)).collect()
}

/// A random part of `layout`: random dense values, and in each table a random subset of rows.
fn random_part(layout: &WireLayout, rng: &mut Rng) -> SparseGradients {
    SparseGradients {
        dense: random_values(rng, layout.n_dense),
        tables: layout
            .tables
            .iter()
            .map(|shape| {
                let rows: Vec<u32> = (0..shape.n_rows as u32)
                    .filter(|_| index_below(rng, 3) == 0)
                    .collect();
                let values = random_values(rng, rows.len() * shape.width);
                SparseRows { rows, values }
            })
            .collect(),
    }
}

/// Each table as a dense `[n_rows × width]` list, absent rows zero.
fn densify(layout: &WireLayout, gradients: &SparseGradients) -> Vec<Vec<f32>> {
    layout
        .tables
        .iter()
        .zip(&gradients.tables)
        .map(|(shape, table)| {
            let mut dense = vec![0.0; shape.n_rows * shape.width];
            for (&row, values) in table
                .rows
                .iter()
                .zip(table.values.chunks_exact(shape.width))
            {
                let start = row as usize * shape.width;
                dense[start..start + shape.width].copy_from_slice(values);
            }
            dense
        })
        .collect()
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

const TOY_LAYOUT: fn() -> WireLayout = || WireLayout {
    n_dense: 37,
    tables: vec![
        TableShape {
            n_rows: 50,
            width: 3,
        },
        TableShape {
            n_rows: 7,
            width: 2,
        },
    ],
};

/// For 1 to 4 parts with uneven shards and an empty one, the sparse all-reduce gives, bit for
/// bit, what `ReduceSum` gives on the parts made dense (absent rows zero), over exactly the
/// union of the rows of the parts that have samples; from bytes as from values.
#[test]
fn sparse_all_reduce_equals_the_dense_reference() {
    let layout = TOY_LAYOUT();
    let mut rng = rng_from_seed(23);
    for counts in [vec![5], vec![3, 0], vec![4, 1, 0], vec![2, 0, 3, 3]] {
        let mut parts: Vec<SparseGradients> = counts
            .iter()
            .map(|_| random_part(&layout, &mut rng))
            .collect();
        // The empty shard's values must not count: make them NaN.
        for (part, &n) in parts.iter_mut().zip(&counts) {
            if n == 0 {
                part.dense.fill(f32::NAN);
                part.tables.iter_mut().for_each(|t| t.values.fill(f32::NAN));
            }
        }
        let views: Vec<(&SparseGradients, usize)> =
            parts.iter().zip(counts.iter().copied()).collect();
        let mut out = SparseGradients::default();
        let total = all_reduce_sparse(&layout, &views, &mut out).unwrap();
        assert_eq!(total, counts.iter().sum::<usize>());
        out.check(&layout).unwrap();

        // The dense part: ReduceSum on the dense parts.
        let mut dense_sum = ReduceSum::default();
        for (part, &n) in parts.iter().zip(&counts) {
            dense_sum.add(&part.dense, n).unwrap();
        }
        let mut dense_expected = vec![0.0; layout.n_dense];
        dense_sum.finish(&mut dense_expected).unwrap();
        assert_eq!(bits(&out.dense), bits(&dense_expected), "{counts:?}");

        // Each table: ReduceSum on the densified tables, and the union of rows.
        let dense_out = densify(&layout, &out);
        for (table_idx, shape) in layout.tables.iter().enumerate() {
            let mut sum = ReduceSum::default();
            for (part, &n) in parts.iter().zip(&counts) {
                sum.add(&densify(&layout, part)[table_idx], n).unwrap();
            }
            let mut expected = vec![0.0; shape.n_rows * shape.width];
            sum.finish(&mut expected).unwrap();
            assert_eq!(
                bits(&dense_out[table_idx]),
                bits(&expected),
                "{counts:?}, table {table_idx}"
            );
            let mut union: Vec<u32> = parts
                .iter()
                .zip(&counts)
                .filter(|(_, n)| **n > 0)
                .flat_map(|(p, _)| p.tables[table_idx].rows.iter().copied())
                .collect();
            union.sort_unstable();
            union.dedup();
            assert_eq!(
                out.tables[table_idx].rows, union,
                "{counts:?}, table {table_idx}"
            );
        }

        // The same through bytes, twice (the running sum starts over after finishing).
        let mut expected_bytes = Vec::new();
        out.write_le_bytes(&mut expected_bytes);
        let mut running = SparseReduceSum::new(layout.clone(), counts.len());
        for _ in 0..2 {
            for (part, &n) in parts.iter().zip(&counts) {
                let mut bytes = Vec::new();
                part.write_le_bytes(&mut bytes);
                running.add_le_bytes(&bytes, n).unwrap();
            }
            assert_eq!(running.n_parts(), counts.len());
            let mut bytes = Vec::new();
            assert_eq!(running.finish_le_bytes(&mut bytes), Ok(total));
            assert_eq!(bytes, expected_bytes, "{counts:?}");
            assert_eq!(running.n_parts(), 0);
        }
    }
}

/// A NaN in a part with samples is a value: it reaches the output, no error.
#[test]
fn nan_passes_through_the_all_reduce() {
    let layout = TOY_LAYOUT();
    let mut rng = rng_from_seed(3);
    let mut a = random_part(&layout, &mut rng);
    let b = random_part(&layout, &mut rng);
    a.dense[4] = f32::NAN;
    a.tables[0].rows = vec![9];
    a.tables[0].values = vec![1.0, f32::NAN, 2.0];
    let mut out = SparseGradients::default();
    all_reduce_sparse(&layout, &[(&a, 2), (&b, 1)], &mut out).unwrap();
    assert!(out.dense[4].is_nan());
    assert!(!out.dense[5].is_nan());
    let slot = out.tables[0].rows.iter().position(|&r| r == 9).unwrap();
    assert!(out.tables[0].values[slot * 3 + 1].is_nan());
}

/// Gradients to bytes and back are the same gradients, and the bytes are what the module docs
/// say (counted by hand for a small case).
#[test]
fn wire_form_round_trips() {
    let layout = TOY_LAYOUT();
    let part = random_part(&layout, &mut rng_from_seed(8));
    let mut bytes = Vec::new();
    part.write_le_bytes(&mut bytes);
    let n_rows: Vec<usize> = part.tables.iter().map(|t| t.rows.len()).collect();
    // Header 8, dense 37·4, then per table 4 + rows·4 + rows·width·4.
    assert_eq!(
        bytes.len(),
        8 + 37 * 4 + (4 + n_rows[0] * 4 * (1 + 3)) + (4 + n_rows[1] * 4 * (1 + 2))
    );
    assert_eq!(&bytes[..8], &[37, 0, 0, 0, 2, 0, 0, 0]);
    let back = SparseGradients::from_le_bytes(&bytes, &layout).unwrap();
    assert_eq!(back, part);
    let mut again = Vec::new();
    back.write_le_bytes(&mut again);
    assert_eq!(again, bytes);
    // Empty tables too.
    let empty = SparseGradients {
        dense: vec![0.5; 37],
        tables: vec![SparseRows::default(), SparseRows::default()],
    };
    empty.write_le_bytes(&mut bytes);
    assert_eq!(bytes.len(), 8 + 37 * 4 + 4 + 4);
    assert_eq!(
        SparseGradients::from_le_bytes(&bytes, &layout).unwrap(),
        empty
    );
}

/// A replica's gradients: the bytes form is the struct form written out, it fits the model's
/// layout (rows sorted, the word rows exactly the batch's token ids), and applying either form
/// gives the same weights.
#[test]
fn a_replicas_gradients_as_bytes_are_the_same_gradients() {
    let data = toy_sentences(24);
    let config = config(2, 8, 3);
    let mut structs = BertReplica::new(&config, 1, data.clone()).unwrap();
    let mut bytes = BertReplica::new(&config, 1, data.clone()).unwrap();
    assert_eq!(structs.layout().tables.len(), 3, "word, position, segment");
    assert_eq!(
        structs.layout().tables[0],
        TableShape {
            n_rows: 24,
            width: 16
        }
    );
    let (mut gradients, mut le) = (SparseGradients::default(), Vec::new());
    for step_idx in 0..3 {
        let a = structs.compute_gradients(&mut gradients).unwrap();
        let b = bytes.compute_gradients_le_bytes(&mut le).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.n_samples, 4);
        gradients.check(structs.layout()).unwrap();
        let mut expected = Vec::new();
        gradients.write_le_bytes(&mut expected);
        assert_eq!(le, expected);
        assert_eq!(
            SparseGradients::from_le_bytes(&le, bytes.layout()).unwrap(),
            gradients
        );
        // Rows touched: the shard's token ids (with [PAD], id 0, if any sentence of the global
        // batch is longer than one of the shard's); positions 0..longest of the global batch;
        // segment 0.
        let word_rows = &gradients.tables[0].rows;
        assert!(
            word_rows.contains(&1) && word_rows.contains(&2),
            "{word_rows:?}"
        );
        assert!(word_rows.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(gradients.tables[2].rows, vec![0]);
        let positions = &gradients.tables[1].rows;
        assert_eq!(positions, &(0..positions.len() as u32).collect::<Vec<_>>());
        structs.apply_gradients(step_idx, &gradients).unwrap();
        bytes.apply_gradients_le_bytes(step_idx, &le).unwrap();
        assert_eq!(bits(&structs.params_flat()), bits(&bytes.params_flat()));
    }
    assert!(structs.is_finished());
}

/// The all-reduced shard gradients equal one replica's gradient over the whole batch, for 1
/// to 7 workers on a batch of 5 (uneven shards; empty ones from 6 workers on), up to f32
/// rounding (the shards sum their sentences in another order), over the same rows.
#[test]
fn all_reduced_shards_equal_the_whole_batch_gradient() {
    let data = toy_sentences(20);
    let mut whole = SparseGradients::default();
    let mut one = BertReplica::new(&config(1, 5, 1), 0, data.clone()).unwrap();
    one.compute_gradients(&mut whole).unwrap();
    let layout = one.layout().clone();
    let whole_tables = densify(&layout, &whole);
    for n_workers in 1..=7 {
        let config = config(n_workers, 5, 1);
        let mut parts = vec![SparseGradients::default(); n_workers];
        let mut counts = Vec::new();
        for (worker_idx, part) in parts.iter_mut().enumerate() {
            let mut replica = BertReplica::new(&config, worker_idx, data.clone()).unwrap();
            counts.push(replica.compute_gradients(part).unwrap().n_samples);
        }
        assert_eq!(counts.iter().sum::<usize>(), 5);
        let views: Vec<_> = parts.iter().zip(counts.iter().copied()).collect();
        let mut averaged = SparseGradients::default();
        all_reduce_sparse(&layout, &views, &mut averaged).unwrap();
        for (table_idx, table) in averaged.tables.iter().enumerate() {
            assert_eq!(
                table.rows, whole.tables[table_idx].rows,
                "{n_workers} workers, table {table_idx}"
            );
        }
        let averaged_tables = densify(&layout, &averaged);
        let worst = whole
            .dense
            .iter()
            .chain(whole_tables.iter().flatten())
            .zip(
                averaged
                    .dense
                    .iter()
                    .chain(averaged_tables.iter().flatten()),
            )
            .map(|(a, b)| (a - b).abs() / a.abs().max(1e-3))
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{n_workers} workers: {worst}");
    }
}

#[test]
fn replicas_stay_bit_identical() {
    let data = toy_sentences(30);
    for config in [config(2, 8, 9), config(3, 7, 10)] {
        let mut run = BertDataParallelRun::new(&config, &data).unwrap();
        let mut n_steps = 0;
        while run.step().unwrap().is_some() {
            n_steps += 1;
        }
        assert_eq!(n_steps, config.n_steps);
        assert!(!run.averaged_le_bytes().is_empty());
        assert!(run.replicas_identical(), "{config:?}");
        // And training moved them.
        let mut fresh = BertReplica::new(&config, 0, data.clone()).unwrap();
        let mut trained = run.replicas()[0].clone();
        assert_ne!(bits(&fresh.params_flat()), bits(&trained.params_flat()));
    }
}

/// Every parameter of `model` (dense, then whole tables) with the attention key biases set to
/// 0. A key bias adds `q·b` to every key's score of a query, which the softmax ignores: its
/// true gradient is exactly 0, what backward computes is rounding noise, and AdamW turns noise
/// into steps of about `lr`. So it wanders differently in any two runs without changing the
/// function (by some 1e-3 in the test below, where every other parameter agrees within 2e-6).
fn params_without_key_biases(model: &BertClassifier) -> Vec<f32> {
    let mut model = model.clone();
    for layer in &mut model.layers {
        layer.attention.key.b.fill(0.0);
    }
    let grads = model.zero_grads();
    params_flat(&mut model, &grads)
}

/// N workers with the global batch fixed follow one worker's loss curve: 26 sentences in
/// batches of 8 (the fourth is 2), over 40 steps (10 epochs), so epochs wrap and shards are
/// uneven or empty (4 workers on the batch of 2). Initial weights at std 0.1 and lr 1e-2, so
/// the toy task is learnt within the run without loss spikes.
#[test]
fn n_workers_give_one_workers_loss_curve() {
    let data = toy_sentences(26);
    let curve = |n_workers| {
        let mut config = config(n_workers, 8, 40);
        config.train.model.init_std = 0.1;
        let mut run = BertDataParallelRun::new(&config, &data).unwrap();
        let mut losses = Vec::new();
        while let Some(step) = run.step().unwrap() {
            losses.push(step.loss);
        }
        assert!(run.replicas_identical());
        (losses, params_without_key_biases(run.replicas()[0].model()))
    };
    let (one, one_params) = curve(1);
    let first_epoch: f32 = one[..4].iter().sum();
    let last_epoch: f32 = one[36..].iter().sum();
    assert!(last_epoch < first_epoch * 0.6, "it learns: {one:?}");
    for n_workers in [2, 3, 4] {
        crate::parallel::tests::assert_follows(
            n_workers,
            (&one, &one_params),
            &curve(n_workers),
            1e-5,
            2e-5,
        );
    }
}

/// Every kind of bad bytes gets its error, from the reader, from the all-reduce and from a
/// replica's apply, and none is a panic.
#[test]
fn bad_bytes_get_their_errors() {
    let layout = TOY_LAYOUT();
    let mut part = random_part(&layout, &mut rng_from_seed(4));
    part.tables[0].rows = vec![3, 7, 20];
    part.tables[0].values = vec![0.25; 9];
    let mut good = Vec::new();
    part.write_le_bytes(&mut good);
    // Where table 0 starts: its row count, then its ids.
    let table0 = 8 + 37 * 4;
    let id = |k: usize| table0 + 4 + 4 * k;
    let set_u32 = |bytes: &mut Vec<u8>, at: usize, v: u32| {
        bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    };

    let check = |name: &str, bytes: &[u8], expected: SparseWireError| {
        assert_eq!(
            SparseGradients::from_le_bytes(bytes, &layout),
            Err(expected.clone()),
            "{name}"
        );
        let mut sum = SparseReduceSum::new(layout.clone(), 2);
        assert_eq!(
            sum.add_le_bytes(bytes, 1),
            Err(DataParallelError::Wire(expected)),
            "{name}"
        );
        assert_eq!(sum.n_parts(), 0, "{name}: a refused part is not counted");
    };
    check(
        "empty",
        &[],
        SparseWireError::Truncated {
            needed: 4,
            found: 0,
        },
    );
    check(
        "cut in the last value",
        &good[..good.len() - 1],
        SparseWireError::Truncated {
            needed: good.len(),
            found: good.len() - 1,
        },
    );
    let mut longer = good.clone();
    longer.extend_from_slice(&[0, 0, 0, 0, 0]);
    check("trailing", &longer, SparseWireError::TrailingBytes(5));
    let mut bad = good.clone();
    set_u32(&mut bad, 0, 36);
    check(
        "dense length",
        &bad,
        SparseWireError::DenseLength {
            found: 36,
            expected: 37,
        },
    );
    let mut bad = good.clone();
    set_u32(&mut bad, 4, 3);
    check(
        "table count",
        &bad,
        SparseWireError::TableCount {
            found: 3,
            expected: 2,
        },
    );
    let mut bad = good.clone();
    set_u32(&mut bad, table0, 51);
    check(
        "too many rows",
        &bad,
        SparseWireError::TooManyRows {
            table_idx: 0,
            found: 51,
            n_rows: 50,
        },
    );
    let mut bad = good.clone();
    set_u32(&mut bad, table0, u32::MAX);
    check(
        "a count that would not fit in memory",
        &bad,
        SparseWireError::TooManyRows {
            table_idx: 0,
            found: u32::MAX as usize,
            n_rows: 50,
        },
    );
    let mut bad = good.clone();
    set_u32(&mut bad, id(2), 50);
    check(
        "row out of range",
        &bad,
        SparseWireError::RowOutOfRange {
            table_idx: 0,
            row: 50,
            n_rows: 50,
        },
    );
    let mut bad = good.clone();
    set_u32(&mut bad, id(1), 3);
    check(
        "duplicate row",
        &bad,
        SparseWireError::DuplicateRow {
            table_idx: 0,
            row: 3,
        },
    );
    let mut bad = good.clone();
    set_u32(&mut bad, id(1), 2);
    check(
        "unsorted rows",
        &bad,
        SparseWireError::UnsortedRows {
            table_idx: 0,
            previous: 3,
            row: 2,
        },
    );

    // The struct form: the same checks, and values that are not rows × width.
    let mut short = part.clone();
    short.tables[0].values.pop();
    let mut sum = SparseReduceSum::new(layout.clone(), 2);
    assert_eq!(
        sum.add(&short, 1),
        Err(DataParallelError::Wire(SparseWireError::ValuesLength {
            table_idx: 0,
            found: 8,
            expected: 9
        }))
    );
    let mut unsorted = part.clone();
    unsorted.tables[0].rows.swap(0, 1);
    assert_eq!(
        sum.add(&unsorted, 1),
        Err(DataParallelError::Wire(SparseWireError::UnsortedRows {
            table_idx: 0,
            previous: 7,
            row: 3
        }))
    );

    // Part counts: one too many is refused at once, one too few when finishing, and the sum
    // starts over after a refused finish.
    let mut out = Vec::new();
    sum.add_le_bytes(&good, 1).unwrap();
    assert_eq!(
        sum.finish_le_bytes(&mut out),
        Err(DataParallelError::PartCount {
            found: 1,
            expected: 2
        })
    );
    assert_eq!(sum.n_parts(), 0);
    sum.add_le_bytes(&good, 1).unwrap();
    sum.add_le_bytes(&good, 0).unwrap();
    assert_eq!(
        sum.add_le_bytes(&good, 1),
        Err(DataParallelError::PartCount {
            found: 3,
            expected: 2
        })
    );
    assert_eq!(sum.finish_le_bytes(&mut out), Ok(1));
    // Two parts with no samples: well formed, but nothing to average.
    sum.add_le_bytes(&good, 0).unwrap();
    sum.add_le_bytes(&good, 0).unwrap();
    assert_eq!(
        sum.finish_le_bytes(&mut out),
        Err(DataParallelError::NoSamples)
    );

    // A replica refuses bad bytes (and bytes of another model) and keeps its step pending.
    let data = toy_sentences(12);
    let mut replica = BertReplica::new(&config(2, 4, 2), 0, data).unwrap();
    let mut own = Vec::new();
    replica.compute_gradients_le_bytes(&mut own).unwrap();
    assert_eq!(
        replica.apply_gradients_le_bytes(0, &good),
        Err(DataParallelError::Wire(SparseWireError::DenseLength {
            found: 37,
            expected: replica.layout().n_dense
        }))
    );
    assert_eq!(
        replica.apply_gradients_le_bytes(0, &own[..own.len() - 4]),
        Err(DataParallelError::Wire(SparseWireError::Truncated {
            needed: own.len(),
            found: own.len() - 4
        }))
    );
    assert_eq!(replica.step_idx(), 0);
    replica.apply_gradients_le_bytes(0, &own).unwrap();
    assert_eq!(replica.step_idx(), 1);
}

#[test]
fn bad_settings_and_out_of_order_steps_are_typed_errors() {
    let data = toy_sentences(10);
    let with = |edit: fn(&mut BertDataParallelConfig)| {
        let mut config = config(2, 4, 3);
        edit(&mut config);
        BertDataParallelRun::new(&config, &data).err()
    };
    // BERT-tiny's own dropout (0.1) is refused, hidden or attention.
    assert_eq!(
        with(|c| c.train.model.hidden_dropout = 0.1),
        Some(DataParallelError::Dropout(0.1))
    );
    assert_eq!(
        with(|c| c.train.model.attention_dropout = 0.1),
        Some(DataParallelError::Dropout(0.1))
    );
    assert_eq!(
        with(|c| c.n_workers = 0),
        Some(DataParallelError::Workers(0))
    );
    assert_eq!(
        with(|c| c.n_workers = MAX_WORKERS + 1),
        Some(DataParallelError::Workers(MAX_WORKERS + 1))
    );
    assert_eq!(with(|c| c.n_steps = 0), Some(DataParallelError::NoSteps));
    assert_eq!(
        with(|c| c.train.batch_size = 0),
        Some(DataParallelError::Bert(BertTrainError::Zero(
            "the batch size"
        )))
    );
    assert!(matches!(
        with(|c| c.train.model.n_heads = 3),
        Some(DataParallelError::Bert(BertTrainError::Model(_)))
    ));
    assert!(matches!(
        with(|c| c.train.lr = -1.0),
        Some(DataParallelError::Bert(BertTrainError::Optimizer(_)))
    ));
    assert!(matches!(
        BertReplica::new(&config(2, 4, 1), 2, data.clone()),
        Err(DataParallelError::WorkerIndex {
            worker_idx: 2,
            n_workers: 2
        })
    ));
    assert_eq!(
        BertReplica::new(&config(2, 4, 1), 0, Vec::new()).err(),
        Some(DataParallelError::Bert(BertTrainError::EmptyDataset))
    );
    let mut outside = data.clone();
    outside[3].ids[1] = 24;
    assert!(matches!(
        BertReplica::new(&config(2, 4, 1), 0, outside),
        Err(DataParallelError::Bert(BertTrainError::Example {
            item_idx: 3,
            ..
        }))
    ));

    let mut replica = BertReplica::new(&config(2, 4, 1), 0, data).unwrap();
    let mut gradients = SparseGradients::default();
    assert!(matches!(
        replica.apply_gradients(0, &gradients),
        Err(DataParallelError::OutOfOrder { .. })
    ));
    replica.compute_gradients(&mut gradients).unwrap();
    assert!(matches!(
        replica.compute_gradients(&mut gradients),
        Err(DataParallelError::OutOfOrder { .. })
    ));
    assert!(matches!(
        replica.apply_gradients(1, &gradients),
        Err(DataParallelError::OutOfOrder {
            found: 1,
            expected: 0,
            ..
        })
    ));
    replica.apply_gradients(0, &gradients).unwrap();
    assert!(replica.is_finished());
    assert!(matches!(
        replica.compute_gradients(&mut gradients),
        Err(DataParallelError::OutOfOrder { .. })
    ));
}

#[test]
fn the_layout_from_sizes_is_the_built_models() {
    for config in [small_model(), BertConfig::bert_tiny()] {
        let mut model = BertClassifier::new(&config, &mut rng_from_seed(1)).unwrap();
        let built = WireLayout::of_model(&mut model);
        assert_eq!(WireLayout::of_bert(&config), built);
        assert_eq!(
            built.n_dense
                + built
                    .tables
                    .iter()
                    .map(|t| t.n_rows * t.width)
                    .sum::<usize>(),
            model.n_params()
        );
    }
}
