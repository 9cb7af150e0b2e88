//! Files shaped like published pre-trained checkpoints, built from a model: what tests and
//! journeys load where a learner would load a download (this project reaches no model hub).

use super::BertClassifier;
use super::weights::bert_tensors;

/// A tensor as [`super::safetensors::write`] takes it: name, shape, values.
pub type Tensor = (String, Vec<usize>, Vec<f32>);

/// `model`'s tensors without its classifier, as Hugging Face stores Google's
/// `bert_uncased_L-2_H-128_A-2` (encoder and pooler); with `favourite`, also a complete
/// masked-LM head (`cls.predictions.…`: identity transform, unit LayerNorm) whose bias makes
/// that token the likeliest at any position.
pub fn pretrained_tensors(model: &BertClassifier, favourite: Option<u32>) -> Vec<Tensor> {
    let mut tensors: Vec<Tensor> = bert_tensors(model)
        .into_iter()
        .filter(|(name, _, _)| !name.starts_with("classifier"))
        .collect();
    if let Some(favourite) = favourite {
        let (d, vocab) = (model.config().hidden, model.config().vocab_size);
        let mut bias = vec![0.0; vocab];
        bias[favourite as usize] = 60.0;
        let identity = (0..d * d).map(|i| if i % (d + 1) == 0 { 1.0 } else { 0.0 });
        tensors.extend([
            (
                "cls.predictions.transform.dense.weight".to_string(),
                vec![d, d],
                identity.collect(),
            ),
            (
                "cls.predictions.transform.dense.bias".into(),
                vec![d],
                vec![0.0; d],
            ),
            (
                "cls.predictions.transform.LayerNorm.weight".into(),
                vec![d],
                vec![1.0; d],
            ),
            (
                "cls.predictions.transform.LayerNorm.bias".into(),
                vec![d],
                vec![0.0; d],
            ),
            ("cls.predictions.bias".into(), vec![vocab], bias),
        ]);
    }
    tensors
}
