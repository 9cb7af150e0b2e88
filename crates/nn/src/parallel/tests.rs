use super::*;
use crate::loss::LossKind;
use crate::model::{CnnConfig, MlpConfig};
use crate::optim::OptimizerConfig;

/// `n` 6×6 images in 3 classes: class `c` is bright in column pair `c`, with seeded noise.
fn toy_data(n: usize) -> Dataset {
    let mut pixels = Vec::with_capacity(n * 36);
    let mut labels = Vec::with_capacity(n);
    for item_idx in 0..n {
        let class = item_idx % 3;
        labels.push(class as u8);
        for pixel_idx in 0..36 {
            let col = pixel_idx % 6;
            let noise = ((item_idx * 31 + pixel_idx * 17) % 53) as u8;
            pixels.push(if col / 2 == class { 200 + noise } else { noise });
        }
    }
    Dataset::new(6, 6, 3, pixels, labels).unwrap()
}

fn mlp_config(n_workers: usize, batch_size: usize, n_steps: usize) -> DataParallelConfig {
    DataParallelConfig {
        train: TrainConfig {
            model: ModelConfig::Mlp(MlpConfig {
                d_in: 36,
                hidden: vec![16],
                n_classes: 3,
            }),
            optimizer: OptimizerConfig::sgd(0.1),
            loss: LossKind::CrossEntropy,
            batch_size,
            seed: 7,
            ..TrainConfig::graphcore_example()
        },
        n_workers,
        n_steps,
    }
}

fn cnn_config(n_workers: usize, batch_size: usize, n_steps: usize) -> DataParallelConfig {
    DataParallelConfig {
        train: TrainConfig {
            model: ModelConfig::Cnn(CnnConfig {
                image_side: 6,
                conv1_channels: 2,
                conv2_channels: 3,
                kernel: 2,
                pool: 1,
                hidden: 8,
                dropout: 0.0,
                n_classes: 3,
            }),
            optimizer: OptimizerConfig::adam(0.01),
            loss: LossKind::CrossEntropy,
            batch_size,
            seed: 3,
            ..TrainConfig::graphcore_example()
        },
        n_workers,
        n_steps,
    }
}

#[test]
fn shards_cover_every_sample_once_and_differ_by_at_most_one() {
    for n_samples in 0..20 {
        for n_workers in 1..7 {
            let shards: Vec<_> = (0..n_workers)
                .map(|w| shard_range(n_samples, n_workers, w))
                .collect();
            // Contiguous from 0 to n_samples.
            let mut next = 0;
            for shard in &shards {
                assert_eq!(shard.start, next, "{n_samples} over {n_workers}");
                next = shard.end;
            }
            assert_eq!(next, n_samples);
            let lens: Vec<_> = shards.iter().map(|s| s.len()).collect();
            let (min, max) = (lens.iter().min().unwrap(), lens.iter().max().unwrap());
            assert!(max - min <= 1, "{n_samples} over {n_workers}: {lens:?}");
        }
    }
    // 64 over 3: 22 + 21 + 21.
    assert_eq!(shard_range(64, 3, 0), 0..22);
    assert_eq!(shard_range(64, 3, 2), 43..64);
}

#[test]
fn all_reduce_weights_each_part_by_its_samples() {
    // Means 1 (over 3 samples), 4 (over 1), anything (over 0): (3·1 + 1·4) / 4 = 1.75.
    let a = [1.0, -2.0];
    let b = [4.0, 2.0];
    let empty = [f32::NAN, f32::NAN];
    let mut out = [0.0; 2];
    let n = all_reduce_mean(&[(&a, 3), (&b, 1), (&empty, 0)], &mut out).unwrap();
    assert_eq!(n, 4);
    assert_eq!(out, [1.75, -1.0]);
}

/// The all-reduce gives, bit for bit, each value's sum `Σ n_k·g_k` taken term by term in the
/// parts' order, divided by the samples; from bytes as from values.
#[test]
fn all_reduce_is_each_values_sum_in_the_parts_order() {
    let mut rng = rng_from_seed(11);
    let parts: Vec<(Vec<f32>, usize)> = [5, 0, 3, 1]
        .into_iter()
        .map(|n| {
            let values = (0..1_000)
                .map(|_| (crate::rng::index_below(&mut rng, 20_001) as f32 - 10_000.0) * 1e-4)
                .collect();
            (values, n)
        })
        .collect();
    let views: Vec<(&[f32], usize)> = parts.iter().map(|(v, n)| (v.as_slice(), *n)).collect();
    let mut out = vec![0.0; 1_000];
    all_reduce_mean(&views, &mut out).unwrap();
    for (value_idx, &value) in out.iter().enumerate() {
        let mut sum = 0.0f64;
        for (values, n) in &parts {
            if *n > 0 {
                sum += f64::from(values[value_idx]) * *n as f64;
            }
        }
        assert_eq!(
            value.to_bits(),
            ((sum / 9.0) as f32).to_bits(),
            "value {value_idx}"
        );
    }
    let mut from_bytes = ReduceSum::default();
    for (values, n) in &parts {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        from_bytes.add_le_bytes(&bytes, *n).unwrap();
    }
    assert_eq!(from_bytes.n_parts(), 4);
    let mut bytes = Vec::new();
    assert_eq!(from_bytes.finish_le_bytes(&mut bytes), Ok(9));
    let expected: Vec<u8> = out.iter().flat_map(|v| v.to_le_bytes()).collect();
    assert_eq!(bytes, expected);
    // It starts over after finishing, and refuses bytes that are not whole numbers.
    assert_eq!(from_bytes.n_parts(), 0);
    assert_eq!(
        from_bytes.add_le_bytes(&[0; 7], 1),
        Err(DataParallelError::NotWholeFloats(7))
    );
    assert_eq!(
        from_bytes.finish_le_bytes(&mut bytes),
        Err(DataParallelError::NoSamples)
    );
}

#[test]
fn all_reduce_refuses_a_wrong_length_and_no_samples() {
    let mut out = [0.0; 2];
    assert_eq!(
        all_reduce_mean(&[(&[1.0, 2.0], 1), (&[1.0], 1)], &mut out),
        Err(DataParallelError::GradientLength {
            found: 1,
            expected: 2
        })
    );
    assert_eq!(
        all_reduce_mean(&[(&[1.0, 2.0], 0)], &mut out),
        Err(DataParallelError::NoSamples)
    );
    assert_eq!(
        all_reduce_mean(&[], &mut out),
        Err(DataParallelError::NoSamples)
    );
}

/// The all-reduced shard gradients equal one replica's gradient over the whole batch, for any
/// worker count, uneven shards and empty shards (7 workers on a batch of 5), up to f32 rounding
/// (a relative 1e-5: the shards sum their samples in a different order).
#[test]
fn all_reduced_shards_equal_the_whole_batch_gradient() {
    let data = toy_data(20);
    for (config_of, tolerance) in [
        (
            mlp_config as fn(usize, usize, usize) -> DataParallelConfig,
            1e-5,
        ),
        (cnn_config, 1e-5),
    ] {
        let mut whole = Vec::new();
        Replica::new(&config_of(1, 5, 1), 0, data.clone())
            .unwrap()
            .compute_gradients(&mut whole)
            .unwrap();
        for n_workers in 1..=7 {
            let config = config_of(n_workers, 5, 1);
            let mut buffers = vec![Vec::new(); n_workers];
            let mut counts = Vec::new();
            for (worker_idx, buffer) in buffers.iter_mut().enumerate() {
                let mut replica = Replica::new(&config, worker_idx, data.clone()).unwrap();
                counts.push(replica.compute_gradients(buffer).unwrap().n_samples);
            }
            assert_eq!(counts.iter().sum::<usize>(), 5);
            let parts: Vec<_> = buffers
                .iter()
                .zip(&counts)
                .map(|(b, &n)| (b.as_slice(), n))
                .collect();
            let mut averaged = vec![0.0; whole.len()];
            all_reduce_mean(&parts, &mut averaged).unwrap();
            let worst = whole
                .iter()
                .zip(&averaged)
                .map(|(a, b)| (a - b).abs() / a.abs().max(1e-3))
                .fold(0.0f32, f32::max);
            assert!(worst < tolerance, "{n_workers} workers: {worst}");
        }
    }
}

#[test]
fn replicas_stay_bit_identical() {
    let data = toy_data(30);
    for config in [
        mlp_config(3, 8, 12),
        cnn_config(2, 7, 9),
        cnn_config(4, 6, 10),
    ] {
        let mut run = DataParallelRun::new(&config, &data).unwrap();
        let mut n_steps = 0;
        while run.step().unwrap().is_some() {
            n_steps += 1;
        }
        assert_eq!(n_steps, config.n_steps);
        assert!(run.replicas_identical(), "{config:?}");
        // And training moved them: not identical to a fresh replica.
        let mut fresh = Replica::new(&config, 0, data.clone()).unwrap();
        let mut trained = run.replicas()[0].clone();
        assert_ne!(fresh.params_flat(), trained.params_flat());
    }
}

/// N workers with the global batch fixed follow one worker's loss curve: 26 samples in batches
/// of 8 (the fourth is 2), over 20 steps, so epochs wrap and shards are uneven or empty.
#[test]
fn n_workers_give_one_workers_loss_curve() {
    let data = toy_data(26);
    for config_of in [
        mlp_config as fn(usize, usize, usize) -> DataParallelConfig,
        cnn_config,
    ] {
        let curve = |n_workers| {
            let mut run = DataParallelRun::new(&config_of(n_workers, 8, 20), &data).unwrap();
            let mut losses = Vec::new();
            while let Some(step) = run.step().unwrap() {
                losses.push(step.loss);
            }
            (losses, run.replicas()[0].clone().params_flat())
        };
        let (one, one_params) = curve(1);
        assert!(one.last().unwrap() < &(one[0] * 0.8), "it learns: {one:?}");
        for n_workers in [2, 3, 4, 5] {
            assert_follows(
                n_workers,
                (&one, &one_params),
                &curve(n_workers),
                1e-4,
                1e-4,
            );
        }
    }
}

#[test]
fn bad_settings_and_out_of_order_steps_are_typed_errors() {
    let data = toy_data(10);
    assert_eq!(
        DataParallelRun::new(&mlp_config(0, 4, 1), &data).err(),
        Some(DataParallelError::Workers(0))
    );
    assert_eq!(
        DataParallelRun::new(&mlp_config(2, 4, 0), &data).err(),
        Some(DataParallelError::NoSteps)
    );
    let mut with_dropout = cnn_config(2, 4, 1);
    if let ModelConfig::Cnn(cnn) = &mut with_dropout.train.model {
        cnn.dropout = 0.5;
    }
    assert_eq!(
        DataParallelRun::new(&with_dropout, &data).err(),
        Some(DataParallelError::Dropout(0.5))
    );
    assert!(matches!(
        Replica::new(&mlp_config(2, 4, 1), 2, data.clone()),
        Err(DataParallelError::WorkerIndex { .. })
    ));
    let mut replica = Replica::new(&mlp_config(2, 4, 2), 0, data).unwrap();
    let n = replica.n_params();
    assert!(matches!(
        replica.apply_gradients(0, &vec![0.0; n]),
        Err(DataParallelError::OutOfOrder { .. })
    ));
    let mut buffer = Vec::new();
    replica.compute_gradients(&mut buffer).unwrap();
    assert!(matches!(
        replica.compute_gradients(&mut buffer),
        Err(DataParallelError::OutOfOrder { .. })
    ));
    assert_eq!(
        replica.apply_gradients(0, &[0.0]),
        Err(DataParallelError::GradientLength {
            found: 1,
            expected: n
        })
    );
    replica.apply_gradients(0, &buffer).unwrap();
    assert_eq!(replica.step_idx(), 1);
}

#[test]
fn test_accuracy_is_evaluated_in_chunks() {
    let data = toy_data(30);
    let mut run = DataParallelRun::new(&mlp_config(2, 10, 30), &data).unwrap();
    while run.step().unwrap().is_some() {}
    let mut evaluator = Evaluator::new(data.len(), 3);
    while run.replicas()[1]
        .evaluate_chunk(&data, &mut evaluator, 7)
        .unwrap()
    {}
    assert!(evaluator.is_done());
    assert!(evaluator.finish().accuracy > 0.9);
}

/// The byte forms (what crosses a worker boundary) compute and apply exactly what the `f32`
/// forms do, and refuse a buffer that is not whole numbers or not the model's size.
#[test]
fn gradients_as_bytes_are_the_same_gradients() {
    let data = toy_data(24);
    let config = DataParallelConfig {
        train: TrainConfig {
            model: ModelConfig::Mlp(MlpConfig {
                d_in: 36,
                hidden: vec![5],
                n_classes: 3,
            }),
            batch_size: 8,
            ..TrainConfig::graphcore_example()
        },
        n_workers: 2,
        n_steps: 3,
    };
    let mut floats = Replica::new(&config, 1, data.clone()).unwrap();
    let mut bytes = Replica::new(&config, 1, data).unwrap();
    let (mut values, mut le) = (Vec::new(), Vec::new());
    for step_idx in 0..3 {
        let a = floats.compute_gradients(&mut values).unwrap();
        let b = bytes.compute_gradients_le_bytes(&mut le).unwrap();
        assert_eq!(a, b);
        let expected: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(le, expected);
        if step_idx == 0 {
            assert_eq!(
                bytes.apply_gradients_le_bytes(0, &le[..le.len() - 1]),
                Err(DataParallelError::NotWholeFloats(le.len() - 1))
            );
            assert!(matches!(
                bytes.apply_gradients_le_bytes(0, &le[..le.len() - 4]),
                Err(DataParallelError::GradientLength { .. })
            ));
        }
        floats.apply_gradients(step_idx, &values).unwrap();
        bytes.apply_gradients_le_bytes(step_idx, &le).unwrap();
        assert_eq!(floats.params_flat(), bytes.params_flat());
    }
}

/// `n_workers`' run (losses, weights) follows one worker's: every step's loss within
/// `loss_tol`, every weight within `weight_tol`.
pub(super) fn assert_follows(
    n_workers: usize,
    (one, one_params): (&[f32], &[f32]),
    (many, many_params): &(Vec<f32>, Vec<f32>),
    loss_tol: f32,
    weight_tol: f32,
) {
    assert_eq!(many.len(), one.len());
    for (step_idx, (a, b)) in one.iter().zip(many).enumerate() {
        assert!(
            (a - b).abs() < loss_tol,
            "{n_workers} workers, step {step_idx}: {a} vs {b}"
        );
    }
    let worst = one_params
        .iter()
        .zip(many_params)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < weight_tol,
        "{n_workers} workers: weights differ by {worst}"
    );
}
