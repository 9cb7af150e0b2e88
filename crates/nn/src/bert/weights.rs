//! A [`BertClassifier`] as a safetensors file under Hugging Face's
//! `BertForSequenceClassification` tensor names: writing one, and reading a learner's file
//! (a fine-tuned classifier, or a pre-trained encoder with or without its masked-LM head).
//! The container format itself is [`super::safetensors`].
//!
//! Hugging Face stores a `Linear` weight as `[out, in]`; this crate's [`crate::layers::Linear`]
//! holds `[in, out]`, so weights are transposed on the way in and out.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayD};

use super::safetensors::{SafeTensors, SafetensorsError, write};
use super::{BertClassifier, BertConfig, MlmHead};
use crate::layers::{LayerNorm, Linear};

/// A Hugging Face `BertForSequenceClassification` checkpoint may carry this buffer (int64
/// positions 0..512); it is not a parameter and is skipped.
const POSITION_IDS: &str = "bert.embeddings.position_ids";

/// Every tensor of `model` under its Hugging Face name, HF layout (`Linear` weights `[out, in]`).
pub fn bert_tensors(model: &BertClassifier) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let mut out = Vec::new();
    let mut matrix = |name: String, a: &Array2<f32>| {
        out.push((name, a.shape().to_vec(), a.iter().copied().collect()));
    };
    let e = &model.embeddings;
    matrix(
        "bert.embeddings.word_embeddings.weight".into(),
        &e.word.table,
    );
    matrix(
        "bert.embeddings.position_embeddings.weight".into(),
        &e.position.table,
    );
    matrix(
        "bert.embeddings.token_type_embeddings.weight".into(),
        &e.segment.table,
    );
    let mut all = out;
    let push_ln = |all: &mut Vec<_>, prefix: &str, ln: &LayerNorm| {
        all.push((
            format!("{prefix}.weight"),
            vec![ln.gamma.len()],
            ln.gamma.to_vec(),
        ));
        all.push((
            format!("{prefix}.bias"),
            vec![ln.beta.len()],
            ln.beta.to_vec(),
        ));
    };
    let push_linear = |all: &mut Vec<_>, prefix: &str, l: &Linear| {
        let w = l.w.t();
        all.push((
            format!("{prefix}.weight"),
            w.shape().to_vec(),
            w.iter().copied().collect(),
        ));
        all.push((format!("{prefix}.bias"), vec![l.b.len()], l.b.to_vec()));
    };
    push_ln(&mut all, "bert.embeddings.LayerNorm", &e.norm);
    for (idx, layer) in model.layers.iter().enumerate() {
        let p = format!("bert.encoder.layer.{idx}");
        let a = &layer.attention;
        push_linear(&mut all, &format!("{p}.attention.self.query"), &a.query);
        push_linear(&mut all, &format!("{p}.attention.self.key"), &a.key);
        push_linear(&mut all, &format!("{p}.attention.self.value"), &a.value);
        push_linear(&mut all, &format!("{p}.attention.output.dense"), &a.output);
        push_ln(
            &mut all,
            &format!("{p}.attention.output.LayerNorm"),
            &layer.attention_norm,
        );
        push_linear(
            &mut all,
            &format!("{p}.intermediate.dense"),
            &layer.intermediate,
        );
        push_linear(&mut all, &format!("{p}.output.dense"), &layer.output);
        push_ln(
            &mut all,
            &format!("{p}.output.LayerNorm"),
            &layer.output_norm,
        );
    }
    push_linear(&mut all, "bert.pooler.dense", &model.pooler);
    push_linear(&mut all, "classifier", &model.classifier);
    all
}

/// `model` (and its masked-LM head, when it has one) as a safetensors file with HF names
/// and `{"format": "pt"}` metadata. The head's decoder is tied to the word embeddings, so,
/// as in Hugging Face's own files, only its bias is stored beside the transform.
pub fn bert_to_safetensors(model: &BertClassifier, mlm_head: Option<&MlmHead>) -> Vec<u8> {
    let mut tensors = bert_tensors(model);
    if let Some(head) = mlm_head {
        tensors.extend(mlm_head_tensors(head));
    }
    write(&tensors, &[("format", "pt"), ("model", "bert-tiny")])
}

/// The masked-LM head's tensors under their Hugging Face names (`cls.predictions.…`), HF layout.
pub fn mlm_head_tensors(head: &MlmHead) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let w = head.transform.w.t();
    let vector = |a: &Array1<f32>| (vec![a.len()], a.to_vec());
    let parts = [
        (w.shape().to_vec(), w.iter().copied().collect()),
        vector(&head.transform.b),
        vector(&head.norm.gamma),
        vector(&head.norm.beta),
        vector(&head.bias),
    ];
    MLM_NAMES
        .iter()
        .zip(parts)
        .map(|(name, (shape, values))| ((*name).to_string(), shape, values))
        .collect()
}

/// A model of `config`'s sizes with the weights of a safetensors file.
///
/// # Errors
/// A malformed file, a non-F32 tensor, or a missing, unknown or wrongly shaped tensor.
pub fn bert_from_safetensors(
    bytes: &[u8],
    config: &BertConfig,
) -> Result<BertClassifier, SafetensorsError> {
    load_bert(bytes, config).map(|loaded| loaded.model)
}

/// A model read from a file, with what the file did not supply.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedBert {
    /// The model.
    pub model: BertClassifier,
    /// Heads the file lacks, which keep a fresh seeded initialisation: `"classifier"` (a
    /// pre-trained encoder such as Google's `bert_uncased_L-2_H-128_A-2` has none) and
    /// `"pooler"` (some encoder-only exports drop it).
    pub fresh_heads: Vec<&'static str>,
    /// The file's tensors this model does not use: the next-sentence head
    /// (`cls.seq_relationship.…`), and the masked-LM head's when it is not complete and of the
    /// model's shapes.
    pub ignored: Vec<String>,
    /// The masked-LM head (`cls.predictions.…`, its decoder tied to the word embeddings), when
    /// the file has one: a pre-trained BERT can then fill in a `[MASK]`.
    pub mlm_head: Option<MlmHead>,
}

/// The masked-LM head's tensors, in [`MlmHead`] order.
const MLM_NAMES: [&str; 5] = [
    "cls.predictions.transform.dense.weight",
    "cls.predictions.transform.dense.bias",
    "cls.predictions.transform.LayerNorm.weight",
    "cls.predictions.transform.LayerNorm.bias",
    "cls.predictions.bias",
];

/// The masked-LM head in `file` (names already canonical in `cls`), if complete and of the
/// model's shapes, with the names it used. A stored decoder must equal the word embeddings
/// (the head here is tied to them), and a stored decoder bias the head's bias.
fn read_mlm_head(
    file: &SafeTensors<'_>,
    cls: &BTreeMap<String, String>,
    config: &BertConfig,
    word_embeddings: &Array2<f32>,
) -> Option<(MlmHead, Vec<String>)> {
    let mut used = Vec::new();
    // The named tensor, if the file has it with `shape`.
    let mut read = |name: &str, shape: &[usize]| {
        let file_name = cls.get(name)?;
        if file.tensors.get(file_name)?.shape != shape {
            return None;
        }
        used.push(file_name.clone());
        file.tensor(file_name).ok()
    };
    let (d, vocab) = (config.hidden, config.vocab_size);
    let w: Array2<f32> = read(MLM_NAMES[0], &[d, d])?.into_dimensionality().ok()?;
    let b: Array1<f32> = read(MLM_NAMES[1], &[d])?.into_dimensionality().ok()?;
    let gamma: Array1<f32> = read(MLM_NAMES[2], &[d])?.into_dimensionality().ok()?;
    let beta: Array1<f32> = read(MLM_NAMES[3], &[d])?.into_dimensionality().ok()?;
    let bias: Array1<f32> = read(MLM_NAMES[4], &[vocab])?.into_dimensionality().ok()?;
    for (stored, tied) in [
        (
            "cls.predictions.decoder.weight",
            word_embeddings.view().into_dyn(),
        ),
        ("cls.predictions.decoder.bias", bias.view().into_dyn()),
    ] {
        if let Some(file_name) = cls.get(stored) {
            if file.tensor(file_name).ok()?.view() != tied {
                return None;
            }
            used.push(file_name.clone());
        }
    }
    let mut head = MlmHead::new(config, &mut crate::rng::rng_from_seed(0));
    head.transform.w = w.reversed_axes().as_standard_layout().into_owned();
    head.transform.b = b;
    head.norm.gamma = gamma;
    head.norm.beta = beta;
    head.bias = bias;
    Some((head, used))
}

/// Heads that may be absent (both tensors of one), as `(head, prefix)`.
const OPTIONAL_HEADS: [(&str, &str); 2] = [
    ("pooler", "bert.pooler.dense"),
    ("classifier", "classifier"),
];

/// The name this module uses for a file's tensor: `bare` files (Hugging Face's `BertModel`,
/// `embeddings.…` without `bert.`) get the prefix, and TensorFlow-era LayerNorm names
/// (`gamma`, `beta`) become `weight` and `bias`.
fn canonical_name(name: &str, bare: bool) -> String {
    let name = if bare && !name.starts_with("cls.") {
        format!("bert.{name}")
    } else {
        name.to_string()
    };
    if let Some(stem) = name.strip_suffix("LayerNorm.gamma") {
        format!("{stem}LayerNorm.weight")
    } else if let Some(stem) = name.strip_suffix("LayerNorm.beta") {
        format!("{stem}LayerNorm.bias")
    } else {
        name
    }
}

/// Reads a BERT-tiny-shaped model from safetensors: the encoder must be complete; the pooler
/// and classifier heads may be absent (they keep a seeded initialisation and are listed in
/// [`LoadedBert::fresh_heads`]); pre-training heads are skipped and listed.
///
/// # Errors
/// A malformed file, a non-F32 tensor, or a missing, unknown or wrongly shaped tensor.
pub fn load_bert(bytes: &[u8], config: &BertConfig) -> Result<LoadedBert, SafetensorsError> {
    let file = SafeTensors::parse(bytes)?;
    // The template fixes the names and shapes; its values are overwritten.
    let mut model = BertClassifier::new(config, &mut crate::rng::rng_from_seed(0))
        .map_err(|e| SafetensorsError::BadHeader(e.to_string()))?;
    let expected = bert_tensors(&model);
    let bare = !file.tensors.keys().any(|n| n.starts_with("bert."))
        && file.tensors.keys().any(|n| n.starts_with("embeddings."));
    // Canonical name → the file's name.
    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    // Canonical `cls.…` name → the file's.
    let mut cls: BTreeMap<String, String> = BTreeMap::new();
    for name in file.tensors.keys() {
        let canonical = canonical_name(name, bare);
        if canonical.starts_with("cls.") {
            cls.insert(canonical, name.clone());
        } else if canonical == POSITION_IDS {
            // Hugging Face's buffer of the positions 0..512: not a weight.
        } else if expected.iter().any(|(n, _, _)| *n == canonical) {
            names.insert(canonical, name);
        } else {
            return Err(SafetensorsError::Unknown(name.clone()));
        }
    }
    let fresh_heads: Vec<&'static str> = OPTIONAL_HEADS
        .iter()
        .filter(|(_, prefix)| {
            !names.contains_key(&format!("{prefix}.weight"))
                && !names.contains_key(&format!("{prefix}.bias"))
        })
        .map(|(head, _)| *head)
        .collect();
    let is_fresh = |name: &str| {
        OPTIONAL_HEADS
            .iter()
            .any(|(head, prefix)| fresh_heads.contains(head) && name.starts_with(prefix))
    };
    let mut loaded: BTreeMap<String, ArrayD<f32>> = BTreeMap::new();
    for (name, shape, _) in &expected {
        if is_fresh(name) {
            continue;
        }
        let file_name = *names
            .get(name)
            .ok_or_else(|| SafetensorsError::Missing(name.clone()))?;
        let info = &file.tensors[file_name];
        if &info.shape != shape {
            return Err(SafetensorsError::Shape {
                name: file_name.to_string(),
                expected: shape.clone(),
                found: info.shape.clone(),
            });
        }
        loaded.insert(name.clone(), file.tensor(file_name)?);
    }
    let mut take = |name: &str| {
        loaded
            .remove(name)
            .unwrap_or_else(|| unreachable!("checked above"))
    };
    let matrix = |a: ArrayD<f32>| -> Array2<f32> {
        a.into_dimensionality()
            .unwrap_or_else(|_| unreachable!("shape checked"))
    };
    let vector = |a: ArrayD<f32>| -> Array1<f32> {
        a.into_dimensionality()
            .unwrap_or_else(|_| unreachable!("shape checked"))
    };
    let e = &mut model.embeddings;
    e.word.table = matrix(take("bert.embeddings.word_embeddings.weight"));
    e.position.table = matrix(take("bert.embeddings.position_embeddings.weight"));
    e.segment.table = matrix(take("bert.embeddings.token_type_embeddings.weight"));
    let set_ln = |ln: &mut LayerNorm, prefix: &str, take: &mut dyn FnMut(&str) -> ArrayD<f32>| {
        ln.gamma = vector(take(&format!("{prefix}.weight")));
        ln.beta = vector(take(&format!("{prefix}.bias")));
    };
    let set_linear = |l: &mut Linear, prefix: &str, take: &mut dyn FnMut(&str) -> ArrayD<f32>| {
        l.w = matrix(take(&format!("{prefix}.weight")))
            .reversed_axes()
            .as_standard_layout()
            .into_owned();
        l.b = vector(take(&format!("{prefix}.bias")));
    };
    set_ln(&mut e.norm, "bert.embeddings.LayerNorm", &mut take);
    for (idx, layer) in model.layers.iter_mut().enumerate() {
        let p = format!("bert.encoder.layer.{idx}");
        let a = &mut layer.attention;
        set_linear(
            &mut a.query,
            &format!("{p}.attention.self.query"),
            &mut take,
        );
        set_linear(&mut a.key, &format!("{p}.attention.self.key"), &mut take);
        set_linear(
            &mut a.value,
            &format!("{p}.attention.self.value"),
            &mut take,
        );
        set_linear(
            &mut a.output,
            &format!("{p}.attention.output.dense"),
            &mut take,
        );
        set_ln(
            &mut layer.attention_norm,
            &format!("{p}.attention.output.LayerNorm"),
            &mut take,
        );
        set_linear(
            &mut layer.intermediate,
            &format!("{p}.intermediate.dense"),
            &mut take,
        );
        set_linear(&mut layer.output, &format!("{p}.output.dense"), &mut take);
        set_ln(
            &mut layer.output_norm,
            &format!("{p}.output.LayerNorm"),
            &mut take,
        );
    }
    if !fresh_heads.contains(&"pooler") {
        set_linear(&mut model.pooler, "bert.pooler.dense", &mut take);
    }
    if !fresh_heads.contains(&"classifier") {
        set_linear(&mut model.classifier, "classifier", &mut take);
    }
    let (mlm_head, used) = match read_mlm_head(&file, &cls, config, &model.embeddings.word.table) {
        Some((head, used)) => (Some(head), used),
        None => (None, Vec::new()),
    };
    let ignored = cls
        .into_values()
        .filter(|name| !used.contains(name))
        .collect();
    Ok(LoadedBert {
        model,
        fresh_heads,
        ignored,
        mlm_head,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bert::TokenBatch;
    use crate::rng::rng_from_seed;

    fn small() -> BertConfig {
        BertConfig {
            vocab_size: 30,
            hidden: 8,
            intermediate: 16,
            max_positions: 12,
            ..BertConfig::bert_tiny()
        }
    }

    #[test]
    fn a_round_trip_gives_identical_predictions_and_hf_names() {
        let model = BertClassifier::new(&small(), &mut rng_from_seed(3)).unwrap();
        let bytes = bert_to_safetensors(&model, None);
        let file = SafeTensors::parse(&bytes).unwrap();
        assert_eq!(file.metadata.get("format").map(String::as_str), Some("pt"));
        // HF layout: `[out, in]`.
        assert_eq!(
            file.tensors["bert.encoder.layer.1.intermediate.dense.weight"].shape,
            vec![16, 8]
        );
        assert_eq!(file.tensors["classifier.weight"].shape, vec![2, 8]);
        assert_eq!(file.tensors.len(), 5 + 16 * 2 + 4);
        let loaded = bert_from_safetensors(&bytes, &small()).unwrap();
        assert_eq!(loaded, model);
        let batch = TokenBatch::from_sequences(&[&[2, 7, 9, 3], &[2, 5, 3]]);
        assert_eq!(loaded.infer(&batch), model.infer(&batch));
    }

    #[test]
    fn a_masked_lm_head_is_saved_with_the_model_and_loads_back_the_same() {
        let mut rng = rng_from_seed(4);
        let model = BertClassifier::new(&small(), &mut rng).unwrap();
        let mut head = MlmHead::new(&small(), &mut rng);
        head.bias
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = i as f32 * 0.01);
        head.norm.gamma.fill(0.9);
        let bytes = bert_to_safetensors(&model, Some(&head));
        let file = SafeTensors::parse(&bytes).unwrap();
        assert_eq!(file.tensors.len(), 5 + 16 * 2 + 4 + 5);
        assert_eq!(
            file.tensors["cls.predictions.transform.dense.weight"].shape,
            vec![8, 8]
        );
        let loaded = load_bert(&bytes, &small()).unwrap();
        assert_eq!(loaded.model, model);
        assert_eq!(loaded.mlm_head, Some(head));
        assert!(loaded.ignored.is_empty() && loaded.fresh_heads.is_empty());
    }

    #[test]
    fn bad_files_get_a_sentence() {
        let model = BertClassifier::new(&small(), &mut rng_from_seed(3)).unwrap();
        let good = bert_to_safetensors(&model, None);
        let load = |bytes: &[u8]| bert_from_safetensors(bytes, &small()).unwrap_err();
        assert!(matches!(load(&good[..5]), SafetensorsError::Truncated(_)));
        assert!(matches!(
            load(&good[..good.len() - 1]),
            SafetensorsError::Truncated(_)
        ));
        let mut absurd = good.clone();
        absurd[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(load(&absurd), SafetensorsError::AbsurdHeader(u64::MAX));
        let mut not_json = good.clone();
        not_json[8] = b'!';
        assert!(matches!(load(&not_json), SafetensorsError::BadHeader(_)));

        let mut tensors = bert_tensors(&model);
        let with = |tensors: &[(String, Vec<usize>, Vec<f32>)]| write(tensors, &[]);
        let missing = with(&tensors[1..]);
        assert_eq!(
            load(&missing),
            SafetensorsError::Missing(tensors[0].0.clone())
        );
        tensors.push(("extra.weight".into(), vec![1], vec![0.0]));
        assert_eq!(
            load(&with(&tensors)),
            SafetensorsError::Unknown("extra.weight".into())
        );
        tensors.pop();
        let (name, shape, values) = tensors.remove(0);
        tensors.push((name.clone(), vec![shape[1], shape[0]], values));
        assert!(matches!(
            load(&with(&tensors)),
            SafetensorsError::Shape { .. }
        ));

        let f16 = br#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#;
        let mut bytes = (f16.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(f16);
        bytes.extend_from_slice(&[0; 4]);
        let error = load(&bytes);
        assert_eq!(
            error.to_string(),
            "tensor `a` is F16; only F32 (32-bit float) tensors can be read"
        );
        // A shape whose size overflows, or offsets past the data, never allocates.
        let huge =
            br#"{"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}"#;
        let mut bytes = (huge.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(huge);
        assert!(matches!(load(&bytes), SafetensorsError::Offsets { .. }));
        let past = br#"{"a":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}"#;
        let mut bytes = (past.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(past);
        assert!(matches!(load(&bytes), SafetensorsError::Truncated(_)));
    }

    #[test]
    fn a_pretrained_encoder_without_a_classifier_loads_with_a_fresh_head_and_its_heads_skipped() {
        let model = BertClassifier::new(&small(), &mut rng_from_seed(3)).unwrap();
        let template = BertClassifier::new(&small(), &mut rng_from_seed(0)).unwrap();
        // Google's checkpoint as Hugging Face stores it: no classifier, pre-training heads,
        // TensorFlow-era LayerNorm names.
        let mut tensors: Vec<_> = crate::bert::checkpoints::pretrained_tensors(&model, None)
            .into_iter()
            .map(|(n, shape, v)| {
                let n = n
                    .replace("LayerNorm.weight", "LayerNorm.gamma")
                    .replace("LayerNorm.bias", "LayerNorm.beta");
                (n, shape, v)
            })
            .collect();
        tensors.push(("cls.predictions.bias".into(), vec![30], vec![0.0; 30]));
        tensors.push((
            "cls.seq_relationship.weight".into(),
            vec![2, 8],
            vec![0.0; 16],
        ));
        let loaded = load_bert(&write(&tensors, &[]), &small()).unwrap();
        assert_eq!(loaded.fresh_heads, vec!["classifier"]);
        assert_eq!(
            loaded.ignored,
            vec!["cls.predictions.bias", "cls.seq_relationship.weight"]
        );
        assert_eq!(loaded.model.embeddings, model.embeddings);
        assert_eq!(loaded.model.layers, model.layers);
        assert_eq!(loaded.model.pooler, model.pooler);
        assert_eq!(loaded.model.classifier, template.classifier);

        // Hugging Face's `BertModel` (no `bert.` prefix, no pooler kept here either).
        let bare: Vec<_> = bert_tensors(&model)
            .into_iter()
            .filter(|(n, _, _)| !n.starts_with("classifier") && !n.contains("pooler"))
            .map(|(n, shape, v)| (n.trim_start_matches("bert.").to_string(), shape, v))
            .collect();
        let loaded = load_bert(&write(&bare, &[]), &small()).unwrap();
        assert_eq!(loaded.fresh_heads, vec!["pooler", "classifier"]);
        assert_eq!(loaded.model.layers, model.layers);

        // Half a head is a broken file, not a missing head.
        let half: Vec<_> = bert_tensors(&model)
            .into_iter()
            .filter(|(n, _, _)| n != "classifier.bias")
            .collect();
        assert_eq!(
            load_bert(&write(&half, &[]), &small()).unwrap_err(),
            SafetensorsError::Missing("classifier.bias".into())
        );
    }

    #[test]
    fn a_complete_masked_lm_head_is_read_and_fills_a_mask() {
        let model = BertClassifier::new(&small(), &mut rng_from_seed(3)).unwrap();
        // A head whose bias makes token 17 by far the likeliest anywhere, with the
        // TensorFlow-era LayerNorm names, beside a next-sentence head.
        let mut tensors: Vec<_> = crate::bert::checkpoints::pretrained_tensors(&model, Some(17))
            .into_iter()
            .map(|(n, shape, v)| {
                let n = n
                    .replace("transform.LayerNorm.weight", "transform.LayerNorm.gamma")
                    .replace("transform.LayerNorm.bias", "transform.LayerNorm.beta");
                (n, shape, v)
            })
            .collect();
        let bias = tensors
            .iter()
            .find(|(n, _, _)| n == "cls.predictions.bias")
            .map(|(_, _, v)| v.clone())
            .unwrap();
        tensors.push(("cls.seq_relationship.bias".into(), vec![2], vec![0.0; 2]));
        let d = 8;
        let table: Vec<f32> = model.embeddings.word.table.iter().copied().collect();
        let mut with_decoder = tensors.clone();
        with_decoder.push(("cls.predictions.decoder.weight".into(), vec![30, d], table));
        for file in [write(&tensors, &[]), write(&with_decoder, &[])] {
            let loaded = load_bert(&file, &small()).unwrap();
            assert_eq!(loaded.ignored, vec!["cls.seq_relationship.bias"]);
            let head = loaded.mlm_head.expect("a complete head");
            assert_eq!(head.bias.to_vec(), bias);
            let batch = TokenBatch::from_sequences(&[&[2, 5, 4, 3]]);
            let fills = loaded.model.fill_mask(&head, &batch, &[2, 9], 3);
            assert_eq!(fills.len(), 1, "position 9 is past the sentence");
            assert_eq!(fills[0].len(), 3);
            assert_eq!(fills[0][0].0, 17);
            assert!(fills[0][0].1 > 0.99 && fills[0][1].1 <= fills[0][0].1);
        }
        // A decoder that is not the word embeddings: the head is not this model's.
        let mut untied = tensors;
        untied.push((
            "cls.predictions.decoder.weight".into(),
            vec![30, d],
            vec![0.5; 30 * d],
        ));
        let loaded = load_bert(&write(&untied, &[]), &small()).unwrap();
        assert!(loaded.mlm_head.is_none());
        assert_eq!(loaded.ignored.len(), 7);
    }
}
