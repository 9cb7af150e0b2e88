use super::*;
use nn::idx::encode;

/// Gradients as the little-endian bytes that cross a worker boundary.
fn f32_to_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Bytes back into `f32`s.
fn bytes_to_f32(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// A tiny learnable set of 28×28 digits: class `c` lights row band `c`.
fn files(n_train: usize, n_test: usize) -> Vec<Vec<u8>> {
    let make = |n: usize, offset: usize| {
        let mut pixels = Vec::with_capacity(n * 784);
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            let class = (i + offset) % 10;
            for row in 0..28 {
                for col in 0..28 {
                    let lit = row / 2 == class + 2 && (col + i) % 5 != 0;
                    pixels.push(if lit { 250 } else { 0 });
                }
            }
            labels.push(class as u8);
        }
        (encode(&[n, 28, 28], &pixels), encode(&[n], &labels))
    };
    let (train_images, train_labels) = make(n_train, 0);
    let (test_images, test_labels) = make(n_test, 3);
    vec![train_images, train_labels, test_images, test_labels]
}

fn settings(query: &str) -> DpSettings {
    DpForm::from_query(&crate::query::parse(query))
        .parse()
        .unwrap()
}

/// Drives a whole run the way the page does, with `n_workers` replica sessions and a fake
/// clock that advances 1 ms per reading; returns the result.
fn run(settings: &DpSettings, n_workers: usize, data: &[Vec<u8>]) -> DpResult {
    let mut time = 0.0;
    let mut clock = move || {
        time += 1.0;
        time
    };
    let mut sessions: Vec<ReplicaSession> =
        (0..n_workers).map(|_| ReplicaSession::default()).collect();
    let mut coordinator = Coordinator::new(7, n_workers, settings.reducer(n_workers));
    let mut inbox: Vec<Outgoing> = sessions
        .iter_mut()
        .enumerate()
        .map(|(worker_idx, session)| {
            session.handle(
                ToReplica::Start {
                    run_id: 7,
                    worker_idx,
                    n_workers,
                    settings: *settings,
                },
                data.to_vec(),
                &mut clock,
            )
        })
        .collect();
    loop {
        let mut next = Vec::new();
        for (message, bytes) in inbox {
            let now = clock();
            match coordinator.on_message(message, bytes, now).unwrap() {
                Action::Wait => {}
                Action::Broadcast { step_idx, bytes } => {
                    for session in &mut sessions {
                        next.push(session.handle(
                            ToReplica::Apply {
                                run_id: 7,
                                step_idx,
                            },
                            vec![bytes.clone()],
                            &mut clock,
                        ));
                    }
                }
                Action::Evaluate => next.push(sessions[0].handle(
                    ToReplica::Evaluate { run_id: 7 },
                    Vec::new(),
                    &mut clock,
                )),
                Action::Done(result) => return result,
            }
        }
        assert!(!next.is_empty(), "the run stalled");
        inbox = next;
    }
}

#[test]
fn the_form_reads_sn_keys_and_refuses_bad_values_with_a_sentence() {
    let s = settings("sn-workers=4&sn-model=mlp&sn-batch=32&sn-steps=10&sn-lr=0.1&sn-seed=3");
    assert_eq!(
        s,
        DpSettings {
            n_workers: 4,
            model: DpModel::Mlp,
            global_batch: 32,
            n_steps: 10,
            lr: 0.1,
            seed: 3
        }
    );
    assert_eq!(s.sweep(), vec![1, 2, 4]);
    assert_eq!(settings("sn-workers=3").sweep(), vec![1, 2, 3]);
    assert_eq!(settings("sn-workers=1").sweep(), vec![1]);
    // The defaults: the CNN at a global batch of 64 on 2 workers.
    let d = settings("");
    assert_eq!(
        (d.n_workers, d.model, d.global_batch),
        (2, DpModel::Cnn, 64)
    );
    let form = DpForm::from_query(&crate::query::parse("sn-workers=0&sn-model=rnn&sn-batch=x"));
    let errors = form.parse().unwrap_err();
    assert_eq!(errors.len(), 3);
    assert!(
        form.error(DpField::Model).unwrap().contains("“rnn”"),
        "{errors:?}"
    );
    assert!(form.error(DpField::Workers).is_some());
    assert!(form.href().contains("sn-workers=0"));
}

#[test]
fn the_cap_follows_the_browsers_cores() {
    assert_eq!(worker_cap(2.0), 2);
    assert_eq!(worker_cap(0.0), 1);
    assert_eq!(worker_cap(f64::NAN), 1);
    assert_eq!(worker_cap(128.0), MAX_WORKERS);
    assert!(check_cap(&settings("sn-workers=2"), 2).is_ok());
    let sentence = check_cap(&settings("sn-workers=4"), 2).unwrap_err();
    assert!(
        sentence.starts_with("This browser reports 2 logical cores"),
        "{sentence}"
    );
}

/// The BERT lab's three files for a small vocabulary: `n_train` and `n_test` sentences whose
/// label is given away by one word.
fn bert_files(n_train: usize, n_test: usize) -> Vec<Vec<u8>> {
    let vocab = "[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nfilm\nwas\ngood\nbad\nvery\n!";
    let tsv = |n: usize, offset: usize| {
        let mut out = String::new();
        for i in 0..n {
            let positive = (i + offset).is_multiple_of(2);
            let very = if i % 3 == 0 { "very " } else { "" };
            let word = if positive { "good" } else { "bad" };
            out.push_str(&format!(
                "the film was {very}{word} !\t{}\n",
                u8::from(positive)
            ));
        }
        out.into_bytes()
    };
    vec![vocab.as_bytes().to_vec(), tsv(n_train, 0), tsv(n_test, 1)]
}

#[test]
fn bert_replicas_through_messages_give_one_workers_run() {
    let data = bert_files(40, 12);
    let s = settings("sn-model=bert&sn-batch=8&sn-steps=10&sn-lr=0.003");
    assert!(matches!(s.reducer(2), Reducer::Sparse(_)));
    assert_eq!(
        s.summary(),
        "BERT-tiny · global batch 8 · 10 steps · AdamW lr 0.003 · seed 1"
    );
    let one = run(&s, 1, &data);
    assert_eq!((one.losses.len(), one.n_test), (10, 12));
    assert!(one.losses.iter().all(|l| l.is_finite()));
    for n_workers in [2, 3] {
        let many = run(&s, n_workers, &data);
        for (a, b) in one.losses.iter().zip(&many.losses) {
            assert!((a - b).abs() < 1e-4, "{n_workers}: {a} vs {b}");
        }
        assert_eq!(one.test_accuracy, many.test_accuracy);
    }
    // The CNN's SGD rate is refused for BERT-tiny's AdamW, beside the rate.
    let errors = DpForm::from_query(&crate::query::parse("sn-model=bert&sn-lr=0.05"))
        .parse()
        .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, DpField::Lr);
    assert!(
        errors[0].message.starts_with(
            "BERT-tiny trains with AdamW: its peak learning rate must be at most 0.01"
        ),
        "{}",
        errors[0].message
    );
    // Sentences a replica cannot read get the BERT lab's sentence.
    let mut session = ReplicaSession::default();
    let mut clock = || 0.0;
    let (answer, _) = session.handle(
        ToReplica::Start {
            run_id: 1,
            worker_idx: 0,
            n_workers: 1,
            settings: s,
        },
        vec![data[0].clone(), b"no tab here\n".to_vec(), data[2].clone()],
        &mut clock,
    );
    assert!(
        matches!(&answer, FromReplica::Error { message, .. } if message.starts_with("The training sentences")),
        "{answer:?}"
    );
}

#[test]
fn replicas_through_messages_give_one_workers_run() {
    let data = files(50, 30);
    let s = settings("sn-model=mlp&sn-batch=16&sn-steps=12&sn-lr=0.1");
    let one = run(&s, 1, &data);
    assert_eq!(one.losses.len(), 12);
    assert!(one.losses[11] < one.losses[0], "{:?}", one.losses);
    assert_eq!(one.n_test, 30);
    for n_workers in [2, 3] {
        let many = run(&s, n_workers, &data);
        assert_eq!(many.n_workers, n_workers);
        for (a, b) in one.losses.iter().zip(&many.losses) {
            assert!((a - b).abs() < 1e-4, "{n_workers}: {a} vs {b}");
        }
        assert!((one.test_accuracy - many.test_accuracy).abs() <= 1.0 / 30.0);
        // The split adds up, and the fake clock makes every part positive.
        assert!(many.samples_per_s > 0.0);
        assert!((many.compute_ms + many.comm_ms - many.step_ms).abs() < 1e-9);
    }
}

#[test]
fn the_coordinator_turns_bad_and_late_messages_into_sentences_or_ignores_them() {
    let mut c = Coordinator::new(3, 2, Reducer::Dense(ReduceSum::default()));
    // A message of an older run is ignored.
    let old = FromReplica::Gradients {
        run_id: 2,
        worker_idx: 0,
        shard: Shard {
            step_idx: 0,
            n_samples: 4,
            loss: 1.0,
            n_correct: 1,
        },
        compute_ms: 1.0,
    };
    assert_eq!(c.on_message(old, Some(vec![0; 8]), 0.0), Ok(Action::Wait));
    // A step out of order, a replica outside the run and a replica's error are sentences.
    let ahead = FromReplica::Gradients {
        run_id: 3,
        worker_idx: 1,
        shard: Shard {
            step_idx: 5,
            n_samples: 4,
            loss: 1.0,
            n_correct: 1,
        },
        compute_ms: 1.0,
    };
    assert!(
        c.on_message(ahead, Some(vec![0; 8]), 0.0)
            .unwrap_err()
            .contains("step 5")
    );
    let error = FromReplica::Error {
        run_id: Some(3),
        message: "The data looks gzip-compressed but does not decompress.".into(),
    };
    assert!(
        c.on_message(error, None, 0.0)
            .unwrap_err()
            .starts_with("The data")
    );
    let gradients = |worker_idx, n| FromReplica::Gradients {
        run_id: 3,
        worker_idx,
        shard: Shard {
            step_idx: 0,
            n_samples: n,
            loss: 2.0,
            n_correct: 0,
        },
        compute_ms: 5.0,
    };
    // Buffers of different lengths cannot be averaged.
    assert_eq!(
        c.on_message(gradients(0, 3), Some(f32_to_bytes(&[1.0, 2.0])), 1.0),
        Ok(Action::Wait)
    );
    assert!(
        c.on_message(gradients(1, 1), Some(f32_to_bytes(&[1.0])), 2.0)
            .unwrap_err()
            .contains("all-reduce")
    );
}

#[test]
fn a_replica_refuses_bad_files_and_messages_with_sentences() {
    let mut session = ReplicaSession::default();
    let mut clock = || 0.0;
    let mut bad = files(10, 10);
    bad[0] = vec![1, 2, 3];
    let (reply, bytes) = session.handle(
        ToReplica::Start {
            run_id: 1,
            worker_idx: 0,
            n_workers: 1,
            settings: settings("sn-model=mlp"),
        },
        bad,
        &mut clock,
    );
    assert!(bytes.is_none());
    assert!(
        matches!(
            reply,
            FromReplica::Error {
                run_id: Some(1),
                ..
            }
        ),
        "{reply:?}"
    );
    let (reply, _) = session.handle(
        ToReplica::Apply {
            run_id: 1,
            step_idx: 0,
        },
        Vec::new(),
        &mut clock,
    );
    assert!(matches!(reply, FromReplica::Error { .. }));
    // A run, then averaged gradients of the wrong length.
    let (reply, _) = session.handle(
        ToReplica::Start {
            run_id: 2,
            worker_idx: 0,
            n_workers: 1,
            settings: settings("sn-model=mlp&sn-batch=4&sn-steps=2"),
        },
        files(10, 10),
        &mut clock,
    );
    assert!(
        matches!(reply, FromReplica::Gradients { run_id: 2, .. }),
        "{reply:?}"
    );
    let (reply, _) = session.handle(
        ToReplica::Apply {
            run_id: 2,
            step_idx: 0,
        },
        vec![f32_to_bytes(&[0.0; 3])],
        &mut clock,
    );
    let FromReplica::Error { message, .. } = reply else {
        panic!("{reply:?}")
    };
    assert!(message.contains("holds 3 values"), "{message}");
}

#[test]
fn the_results_table_shows_efficiency_against_one_worker() {
    let result = |n_workers, samples_per_s, test_accuracy| DpResult {
        n_workers,
        samples_per_s,
        step_ms: 100.0,
        compute_ms: 80.0,
        comm_ms: 20.0,
        losses: vec![0.5],
        test_accuracy,
        n_test: 2_000,
    };
    let results = [result(1, 400.0, 0.9), result(2, 720.0, 0.905)];
    let rows = result_rows(&results);
    assert_eq!(rows[0][2], "100%");
    // 720 / (2 · 400) = 90 %.
    assert_eq!(rows[1][2], "90%");
    assert_eq!(rows[1][4], "80.0 ms (80%)");
    let sentence = results_sentence(&results).unwrap();
    assert!(sentence.contains("1.80×"), "{sentence}");
    assert!(sentence.contains("0.50 percentage points"), "{sentence}");
}

/// The page adds each replica's gradients as soon as those before it are in; whichever replica
/// answers first, the broadcast bytes are the same (the sums run in replica order), and they
/// are the shard-weighted mean. A replica that sends one step twice is a sentence.
#[test]
fn the_broadcast_does_not_depend_on_the_order_of_arrival() {
    let gradients = |worker_idx, n_samples| FromReplica::Gradients {
        run_id: 1,
        worker_idx,
        shard: Shard {
            step_idx: 0,
            n_samples,
            loss: 1.0,
            n_correct: 0,
        },
        compute_ms: 1.0,
    };
    let parts = [
        vec![0.1_f32, -2.5, 1e-7],
        vec![0.3_f32, 7.25, -3e-7],
        vec![-0.7_f32, 0.5, 2e-7],
    ];
    let sizes = [3, 2, 0];
    let broadcast = |order: [usize; 3]| {
        let mut c = Coordinator::new(1, 3, Reducer::Dense(ReduceSum::default()));
        let mut last = None;
        for k in order {
            last = Some(
                c.on_message(gradients(k, sizes[k]), Some(f32_to_bytes(&parts[k])), 0.0)
                    .unwrap(),
            );
        }
        match last {
            Some(Action::Broadcast { bytes, .. }) => bytes,
            other => panic!("expected a broadcast, got {other:?}"),
        }
    };
    let in_order = broadcast([0, 1, 2]);
    assert_eq!(broadcast([2, 1, 0]), in_order);
    assert_eq!(broadcast([1, 2, 0]), in_order);
    let mean = bytes_to_f32(&in_order);
    for (value_idx, &m) in mean.iter().enumerate() {
        let expected =
            (f64::from(parts[0][value_idx]) * 3.0 + f64::from(parts[1][value_idx]) * 2.0) / 5.0;
        assert_eq!(m, expected as f32);
    }

    let mut c = Coordinator::new(1, 2, Reducer::Dense(ReduceSum::default()));
    assert_eq!(
        c.on_message(gradients(1, 2), Some(f32_to_bytes(&[1.0])), 0.0),
        Ok(Action::Wait)
    );
    assert!(
        c.on_message(gradients(1, 2), Some(f32_to_bytes(&[1.0])), 0.0)
            .unwrap_err()
            .contains("twice")
    );
}
