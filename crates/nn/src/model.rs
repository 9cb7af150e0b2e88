//! The two classifiers: an MLP and the CNN of Graphcore's MNIST example.
//!
//! Both take a batch of flattened images `[n, side·side]` (row-major pixels, already
//! normalised) and return logits `[n, n_classes]`. [`Network`] wraps either behind one type so a
//! trainer (and a Web Worker) can hold "the model" as plain data.

use ndarray::{Array2, ArrayView2, Ix2};

use crate::layers::{
    Conv2d, Conv2dCache, Conv2dGrads, Dropout, DropoutCache, Flatten, FlattenCache, Linear,
    LinearCache, LinearGrads, MaxPool2d, MaxPool2dCache, Mode, Relu, ReluCache,
};
use crate::param::ParamGrad;
use crate::rng::{Rng, rng_from_seed};

/// A rejected model configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelConfigError {
    /// A width, channel count, kernel or class count is zero.
    #[error("{0} must be positive")]
    Zero(&'static str),
    /// The CNN's feature maps shrink to nothing before the classifier.
    #[error("a {side}×{side} image is too small for two convolution + pooling blocks")]
    ImageTooSmall {
        /// The configured image side.
        side: usize,
    },
    /// The dropout probability is outside `[0, 1)`.
    #[error("the dropout probability must be in [0, 1), not {0}")]
    Dropout(String),
}

/// A multilayer perceptron: `Linear → ReLU` for each hidden width, then a `Linear` to the logits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MlpConfig {
    /// Input width (784 for 28×28 images).
    pub d_in: usize,
    /// Hidden widths, in order (`[128]` by default).
    pub hidden: Vec<usize>,
    /// Output width (number of classes).
    pub n_classes: usize,
}

impl Default for MlpConfig {
    /// 784 → 128 → 10.
    fn default() -> Self {
        Self {
            d_in: 784,
            hidden: vec![128],
            n_classes: 10,
        }
    }
}

/// The CNN of Graphcore's PopTorch MNIST example, with its sizes as parameters:
/// `conv k×k → max-pool → ReLU` twice, flatten, `Linear → ReLU → Dropout`, `Linear`.
#[derive(Clone, Debug, PartialEq)]
pub struct CnnConfig {
    /// Side of the square input image (28).
    pub image_side: usize,
    /// Channels of the first convolution (32).
    pub conv1_channels: usize,
    /// Channels of the second convolution (64).
    pub conv2_channels: usize,
    /// Convolution kernel side (3).
    pub kernel: usize,
    /// Max-pool window and stride (2).
    pub pool: usize,
    /// Width of the hidden fully connected layer (128).
    pub hidden: usize,
    /// Dropout probability after the hidden layer (0.5).
    pub dropout: f32,
    /// Number of classes (10).
    pub n_classes: usize,
}

impl Default for CnnConfig {
    /// The example's sizes: 28 → conv 3×3 (32) → 26 → pool 2 → 13 → conv 3×3 (64) → 11 →
    /// pool 2 → 5, so the flattened width is 5·5·64 = 1600; then 1600 → 128 → 10.
    fn default() -> Self {
        Self {
            image_side: 28,
            conv1_channels: 32,
            conv2_channels: 64,
            kernel: 3,
            pool: 2,
            hidden: 128,
            dropout: 0.5,
            n_classes: 10,
        }
    }
}

impl CnnConfig {
    /// Side of the feature map after both blocks, if it is positive.
    fn final_side(&self) -> Option<usize> {
        let after_block = |side: usize| (side.checked_sub(self.kernel)? + 1).checked_div(self.pool);
        after_block(after_block(self.image_side)?).filter(|&s| s > 0)
    }

    /// Width of the flattened feature maps (1600 for the default sizes).
    pub fn flatten_width(&self) -> usize {
        self.final_side().map_or(0, |s| s * s * self.conv2_channels)
    }
}

/// Which model, with its sizes.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelConfig {
    /// See [`MlpConfig`].
    Mlp(MlpConfig),
    /// See [`CnnConfig`].
    Cnn(CnnConfig),
}

impl ModelConfig {
    /// A short name: `mlp` or `cnn`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Mlp(_) => "mlp",
            Self::Cnn(_) => "cnn",
        }
    }

    /// The width of one flattened input image.
    pub fn input_width(&self) -> usize {
        match self {
            Self::Mlp(c) => c.d_in,
            Self::Cnn(c) => c.image_side * c.image_side,
        }
    }

    /// The number of classes.
    pub fn n_classes(&self) -> usize {
        match self {
            Self::Mlp(c) => c.n_classes,
            Self::Cnn(c) => c.n_classes,
        }
    }

    /// Checks the sizes.
    pub fn validate(&self) -> Result<(), ModelConfigError> {
        let positive = |value: usize, name| {
            if value == 0 {
                Err(ModelConfigError::Zero(name))
            } else {
                Ok(())
            }
        };
        match self {
            Self::Mlp(c) => {
                positive(c.d_in, "the input width")?;
                positive(c.n_classes, "the number of classes")?;
                c.hidden
                    .iter()
                    .try_for_each(|&h| positive(h, "every hidden width"))
            }
            Self::Cnn(c) => {
                positive(c.conv1_channels, "conv1_channels")?;
                positive(c.conv2_channels, "conv2_channels")?;
                positive(c.kernel, "the kernel side")?;
                positive(c.pool, "the pooling window")?;
                positive(c.hidden, "the hidden width")?;
                positive(c.n_classes, "the number of classes")?;
                if !(0.0..1.0).contains(&c.dropout) {
                    return Err(ModelConfigError::Dropout(c.dropout.to_string()));
                }
                if c.final_side().is_none() {
                    return Err(ModelConfigError::ImageTooSmall { side: c.image_side });
                }
                Ok(())
            }
        }
    }
}

/// See [`MlpConfig`].
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// The linear layers, input first.
    pub layers: Vec<Linear>,
}

/// Gradients of an [`Mlp`], one per layer.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpGrads {
    /// Per layer, input first.
    pub layers: Vec<LinearGrads>,
}

/// What [`Mlp::backward`] needs.
#[derive(Clone, Debug)]
pub struct MlpCache {
    linear: Vec<LinearCache>,
    relu: Vec<ReluCache<Ix2>>,
}

impl Mlp {
    /// Seeded initialisation (PyTorch's default bounds).
    pub fn new(config: &MlpConfig, rng: &mut Rng) -> Self {
        let widths: Vec<usize> = std::iter::once(config.d_in)
            .chain(config.hidden.iter().copied())
            .chain([config.n_classes])
            .collect();
        Self {
            layers: widths
                .windows(2)
                .map(|w| Linear::new(w[0], w[1], rng))
                .collect(),
        }
    }

    /// Forward pass.
    ///
    /// # Shapes
    /// `x`: `[n, d_in]` → logits: `[n, n_classes]`
    pub fn forward(&self, x: ArrayView2<'_, f32>) -> (Array2<f32>, MlpCache) {
        let mut cache = MlpCache {
            linear: Vec::new(),
            relu: Vec::new(),
        };
        let mut h = x.to_owned();
        for (idx, layer) in self.layers.iter().enumerate() {
            let (z, linear_cache) = layer.forward(h.view());
            cache.linear.push(linear_cache);
            h = if idx + 1 < self.layers.len() {
                let (a, relu_cache) = Relu.forward(z.view());
                cache.relu.push(relu_cache);
                a
            } else {
                z
            };
        }
        (h, cache)
    }

    /// Backward pass; adds into `grads`.
    ///
    /// # Shapes
    /// `dlogits`: `[n, n_classes]`
    pub fn backward(
        &self,
        cache: &MlpCache,
        dlogits: ArrayView2<'_, f32>,
        grads: &mut MlpGrads,
    ) -> Array2<f32> {
        let mut dh = dlogits.to_owned();
        for idx in (0..self.layers.len()).rev() {
            if idx + 1 < self.layers.len() {
                dh = Relu.backward(&cache.relu[idx], dh.view());
            }
            dh = self.layers[idx].backward(&cache.linear[idx], dh.view(), &mut grads.layers[idx]);
        }
        dh
    }

    /// Zero gradients shaped like the parameters.
    pub fn zero_grads(&self) -> MlpGrads {
        MlpGrads {
            layers: self.layers.iter().map(LinearGrads::zeros_like).collect(),
        }
    }

    /// Parameters with their gradients, input layer first (`w`, `b` each).
    pub fn params_and_grads<'a>(&'a mut self, grads: &'a MlpGrads) -> Vec<ParamGrad<'a>> {
        self.layers
            .iter_mut()
            .zip(&grads.layers)
            .flat_map(|(l, g)| l.params_and_grads(g))
            .collect()
    }
}

/// See [`CnnConfig`].
#[derive(Clone, Debug, PartialEq)]
pub struct Cnn {
    config: CnnConfig,
    /// First convolution, `1 → conv1_channels`.
    pub conv1: Conv2d,
    /// Second convolution, `conv1_channels → conv2_channels`.
    pub conv2: Conv2d,
    /// Hidden fully connected layer, `flatten_width → hidden`.
    pub fc1: Linear,
    /// Output layer, `hidden → n_classes`.
    pub fc2: Linear,
}

/// Gradients of a [`Cnn`].
#[derive(Clone, Debug, PartialEq)]
pub struct CnnGrads {
    /// Of `conv1`.
    pub conv1: Conv2dGrads,
    /// Of `conv2`.
    pub conv2: Conv2dGrads,
    /// Of `fc1`.
    pub fc1: LinearGrads,
    /// Of `fc2`.
    pub fc2: LinearGrads,
}

/// What [`Cnn::backward`] needs, layer by layer.
#[derive(Clone, Debug)]
pub struct CnnCache {
    conv1: Conv2dCache,
    pool1: MaxPool2dCache,
    relu1: ReluCache<ndarray::Ix4>,
    conv2: Conv2dCache,
    pool2: MaxPool2dCache,
    relu2: ReluCache<ndarray::Ix4>,
    flatten: FlattenCache,
    fc1: LinearCache,
    relu3: ReluCache<Ix2>,
    dropout: DropoutCache<Ix2>,
    fc2: LinearCache,
}

impl Cnn {
    /// Seeded initialisation (PyTorch's default bounds).
    ///
    /// # Panics
    /// If the configuration does not validate.
    pub fn new(config: &CnnConfig, rng: &mut Rng) -> Self {
        if let Err(error) = ModelConfig::Cnn(config.clone()).validate() {
            panic!("Cnn::new: {error}");
        }
        Self {
            config: config.clone(),
            conv1: Conv2d::new(1, config.conv1_channels, config.kernel, rng),
            conv2: Conv2d::new(
                config.conv1_channels,
                config.conv2_channels,
                config.kernel,
                rng,
            ),
            fc1: Linear::new(config.flatten_width(), config.hidden, rng),
            fc2: Linear::new(config.hidden, config.n_classes, rng),
        }
    }

    /// The sizes.
    pub fn config(&self) -> &CnnConfig {
        &self.config
    }

    /// Forward pass. Each block is conv → max-pool → ReLU, in the example's order (pooling
    /// before ReLU gives the same values as after, since both are monotone, on 4× fewer elements).
    ///
    /// # Shapes
    /// `x`: `[n, side·side]` → logits: `[n, n_classes]`
    pub fn forward(
        &self,
        x: ArrayView2<'_, f32>,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array2<f32>, CnnCache) {
        let (n, width) = x.dim();
        let side = self.config.image_side;
        assert_eq!(
            width,
            side * side,
            "Cnn: input rows have {width} pixels, expected {side}×{side}"
        );
        let pool = MaxPool2d {
            size: self.config.pool,
        };
        let images = x
            .to_shape((n, side, side, 1))
            .expect("the width was asserted above");
        // Each convolution computes only the outputs its pooling window reads (see
        // `Conv2d::forward_cropped`): 26×26 all, 11×11 the top-left 10×10.
        let pooled = |(h, w): (usize, usize)| (h - h % pool.size, w - w % pool.size);
        let (h, conv1) = self
            .conv1
            .forward_cropped(images.view(), pooled(self.conv1.output_side(side, side)));
        let (h, pool1) = pool.forward(h.view());
        let (h, relu1) = Relu.forward(h.view());
        let (h2, w2) = (h.dim().1, h.dim().2);
        let (h, conv2) = self
            .conv2
            .forward_cropped(h.view(), pooled(self.conv2.output_side(h2, w2)));
        let (h, pool2) = pool.forward(h.view());
        let (h, relu2) = Relu.forward(h.view());
        let (h, flatten) = Flatten.forward(h.view());
        let (h, fc1) = self.fc1.forward(h.view());
        let (h, relu3) = Relu.forward(h.view());
        let (h, dropout) = Dropout {
            p: self.config.dropout,
        }
        .forward(h.view(), mode, rng);
        let (logits, fc2) = self.fc2.forward(h.view());
        let cache = CnnCache {
            conv1,
            pool1,
            relu1,
            conv2,
            pool2,
            relu2,
            flatten,
            fc1,
            relu3,
            dropout,
            fc2,
        };
        (logits, cache)
    }

    /// Backward pass; adds into `grads`. The gradient with respect to the image is not needed,
    /// so it is not returned.
    ///
    /// # Shapes
    /// `dlogits`: `[n, n_classes]`
    pub fn backward(&self, cache: &CnnCache, dlogits: ArrayView2<'_, f32>, grads: &mut CnnGrads) {
        let pool = MaxPool2d {
            size: self.config.pool,
        };
        let dropout = Dropout {
            p: self.config.dropout,
        };
        let dh = self.fc2.backward(&cache.fc2, dlogits, &mut grads.fc2);
        let dh = dropout.backward(&cache.dropout, dh.view());
        let dh = Relu.backward(&cache.relu3, dh.view());
        let dh = self.fc1.backward(&cache.fc1, dh.view(), &mut grads.fc1);
        let dh = Flatten.backward(&cache.flatten, dh.view());
        let dh = Relu.backward(&cache.relu2, dh.view());
        let dh = pool.backward(&cache.pool2, dh.view());
        let dh = self
            .conv2
            .backward(&cache.conv2, dh.view(), &mut grads.conv2);
        let dh = Relu.backward(&cache.relu1, dh.view());
        let dh = pool.backward(&cache.pool1, dh.view());
        // conv1's input is the image: no gradient is needed there.
        self.conv1
            .backward_params_only(&cache.conv1, dh.view(), &mut grads.conv1);
    }

    /// Zero gradients shaped like the parameters.
    pub fn zero_grads(&self) -> CnnGrads {
        CnnGrads {
            conv1: Conv2dGrads::zeros_like(&self.conv1),
            conv2: Conv2dGrads::zeros_like(&self.conv2),
            fc1: LinearGrads::zeros_like(&self.fc1),
            fc2: LinearGrads::zeros_like(&self.fc2),
        }
    }

    /// Parameters with their gradients: conv1, conv2, fc1, fc2 (`w`, `b` each).
    pub fn params_and_grads<'a>(&'a mut self, grads: &'a CnnGrads) -> Vec<ParamGrad<'a>> {
        let mut all = Vec::with_capacity(8);
        all.extend(self.conv1.params_and_grads(&grads.conv1));
        all.extend(self.conv2.params_and_grads(&grads.conv2));
        all.extend(self.fc1.params_and_grads(&grads.fc1));
        all.extend(self.fc2.params_and_grads(&grads.fc2));
        all
    }
}

/// Either model, behind one type.
#[derive(Clone, Debug, PartialEq)]
pub enum Network {
    /// An MLP.
    Mlp(Mlp),
    /// The Graphcore example's CNN (boxed: it is much larger than an MLP's `Vec`).
    Cnn(Box<Cnn>),
}

/// Gradients of a [`Network`] (the same variant).
#[derive(Clone, Debug, PartialEq)]
pub enum NetworkGrads {
    /// Of an MLP.
    Mlp(MlpGrads),
    /// Of a CNN (boxed, as in [`Network`]).
    Cnn(Box<CnnGrads>),
}

/// What [`Network::backward`] needs (the same variant).
#[derive(Clone, Debug)]
pub enum NetworkCache {
    /// Of an MLP.
    Mlp(MlpCache),
    /// Of a CNN (boxed, as in [`Network`]).
    Cnn(Box<CnnCache>),
}

const VARIANT_MISMATCH: &str = "grads and cache must come from the same network";

impl Network {
    /// A seeded, freshly initialised model.
    ///
    /// # Errors
    /// If the configuration does not validate.
    pub fn new(config: &ModelConfig, rng: &mut Rng) -> Result<Self, ModelConfigError> {
        config.validate()?;
        Ok(match config {
            ModelConfig::Mlp(c) => Self::Mlp(Mlp::new(c, rng)),
            ModelConfig::Cnn(c) => Self::Cnn(Box::new(Cnn::new(c, rng))),
        })
    }

    /// Forward pass (dropout drawn from `rng` in [`Mode::Train`]).
    ///
    /// # Shapes
    /// `x`: `[n, input_width]` → logits: `[n, n_classes]`
    pub fn forward(
        &self,
        x: ArrayView2<'_, f32>,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array2<f32>, NetworkCache) {
        match self {
            Self::Mlp(m) => {
                let (y, c) = m.forward(x);
                (y, NetworkCache::Mlp(c))
            }
            Self::Cnn(m) => {
                let (y, c) = m.forward(x, mode, rng);
                (y, NetworkCache::Cnn(Box::new(c)))
            }
        }
    }

    /// Inference: logits in [`Mode::Eval`].
    ///
    /// # Shapes
    /// `x`: `[n, input_width]` → logits: `[n, n_classes]`
    pub fn infer(&self, x: ArrayView2<'_, f32>) -> Array2<f32> {
        // Eval mode never draws from the generator; it is only there to satisfy the signature.
        self.forward(x, Mode::Eval, &mut rng_from_seed(0)).0
    }

    /// Backward pass; adds into `grads`.
    ///
    /// # Shapes
    /// `dlogits`: `[n, n_classes]`
    pub fn backward(
        &self,
        cache: &NetworkCache,
        dlogits: ArrayView2<'_, f32>,
        grads: &mut NetworkGrads,
    ) {
        match (self, cache, grads) {
            (Self::Mlp(m), NetworkCache::Mlp(c), NetworkGrads::Mlp(g)) => {
                let _ = m.backward(c, dlogits, g);
            }
            (Self::Cnn(m), NetworkCache::Cnn(c), NetworkGrads::Cnn(g)) => m.backward(c, dlogits, g),
            _ => panic!("{VARIANT_MISMATCH}"),
        }
    }

    /// Zero gradients shaped like the parameters.
    pub fn zero_grads(&self) -> NetworkGrads {
        match self {
            Self::Mlp(m) => NetworkGrads::Mlp(m.zero_grads()),
            Self::Cnn(m) => NetworkGrads::Cnn(Box::new(m.zero_grads())),
        }
    }

    /// Parameters with their gradients, in a fixed order.
    pub fn params_and_grads<'a>(&'a mut self, grads: &'a NetworkGrads) -> Vec<ParamGrad<'a>> {
        match (self, grads) {
            (Self::Mlp(m), NetworkGrads::Mlp(g)) => m.params_and_grads(g),
            (Self::Cnn(m), NetworkGrads::Cnn(g)) => m.params_and_grads(g),
            _ => panic!("{VARIANT_MISMATCH}"),
        }
    }

    /// Number of trainable scalars.
    pub fn n_params(&mut self) -> usize {
        let grads = self.zero_grads();
        self.params_and_grads(&grads)
            .iter()
            .map(|p| p.param.len())
            .sum()
    }
}

/// A trainable classifier as a trainer sees it: a forward pass to logits, a backward pass that
/// adds into a gradient struct, and its parameters paired with their gradients in a fixed order.
///
/// Object-safe once the associated types are named (`dyn Model<Input = …, Grads = …, Cache = …>`).
/// [`Network`] (MNIST) and [`crate::bert::BertClassifier`] implement it.
pub trait Model {
    /// One batch of inputs (images `[n, width]`, or a tokenized batch).
    type Input;
    /// Gradients, same shapes as the parameters (the token embedding's may be sparse rows).
    type Grads;
    /// What the backward pass needs from the forward pass.
    type Cache;

    /// Forward pass to logits `[n, n_classes]` (dropout drawn from `rng` in [`Mode::Train`]).
    fn forward(&self, x: &Self::Input, mode: Mode, rng: &mut Rng) -> (Array2<f32>, Self::Cache);

    /// Backward pass from `dlogits` `[n, n_classes]`; adds into `grads`.
    fn backward(&self, cache: &Self::Cache, dlogits: ArrayView2<'_, f32>, grads: &mut Self::Grads);

    /// Zero gradients shaped like the parameters.
    fn zero_grads(&self) -> Self::Grads;

    /// Resets `grads` to zero, keeping the buffers.
    fn clear_grads(&self, grads: &mut Self::Grads);

    /// Dense parameters with their gradients, in a fixed order.
    fn params_and_grads<'a>(&'a mut self, grads: &'a Self::Grads) -> Vec<ParamGrad<'a>>;

    /// The dense parameters (as [`params_and_grads`](Self::params_and_grads)) and, at the same
    /// time, those whose gradient is a set of rows (embedding tables); by default there are none.
    fn all_params_and_grads<'a>(
        &'a mut self,
        grads: &'a Self::Grads,
    ) -> (Vec<ParamGrad<'a>>, Vec<crate::param::SparseRowsGrad<'a>>) {
        (self.params_and_grads(grads), Vec::new())
    }
}

impl Model for Network {
    type Input = Array2<f32>;
    type Grads = NetworkGrads;
    type Cache = NetworkCache;

    fn forward(&self, x: &Array2<f32>, mode: Mode, rng: &mut Rng) -> (Array2<f32>, NetworkCache) {
        Network::forward(self, x.view(), mode, rng)
    }

    fn backward(
        &self,
        cache: &NetworkCache,
        dlogits: ArrayView2<'_, f32>,
        grads: &mut NetworkGrads,
    ) {
        Network::backward(self, cache, dlogits, grads);
    }

    fn zero_grads(&self) -> NetworkGrads {
        Network::zero_grads(self)
    }

    fn clear_grads(&self, grads: &mut NetworkGrads) {
        grads.fill_zero();
    }

    fn params_and_grads<'a>(&'a mut self, grads: &'a NetworkGrads) -> Vec<ParamGrad<'a>> {
        Network::params_and_grads(self, grads)
    }
}

impl NetworkGrads {
    /// Every gradient tensor, in the order of [`Network::params_and_grads`], as mutable views
    /// (a data-parallel step writes the all-reduced gradients back through them).
    pub fn tensors_mut(&mut self) -> Vec<ndarray::ArrayViewMutD<'_, f32>> {
        fn linear(g: &mut LinearGrads) -> [ndarray::ArrayViewMutD<'_, f32>; 2] {
            [g.dw.view_mut().into_dyn(), g.db.view_mut().into_dyn()]
        }
        fn conv(g: &mut Conv2dGrads) -> [ndarray::ArrayViewMutD<'_, f32>; 2] {
            [g.dw.view_mut().into_dyn(), g.db.view_mut().into_dyn()]
        }
        match self {
            Self::Mlp(g) => g.layers.iter_mut().flat_map(linear).collect(),
            Self::Cnn(g) => {
                let CnnGrads {
                    conv1,
                    conv2,
                    fc1,
                    fc2,
                } = &mut **g;
                let mut all = Vec::with_capacity(8);
                all.extend(conv(conv1));
                all.extend(conv(conv2));
                all.extend(linear(fc1));
                all.extend(linear(fc2));
                all
            }
        }
    }

    /// Resets every gradient to zero, keeping the buffers.
    pub fn fill_zero(&mut self) {
        match self {
            Self::Mlp(g) => g.layers.iter_mut().for_each(LinearGrads::fill_zero),
            Self::Cnn(g) => {
                g.conv1.fill_zero();
                g.conv2.fill_zero();
                g.fc1.fill_zero();
                g.fc2.fill_zero();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient_with_step, random_array};
    use crate::loss::LossKind;

    #[test]
    fn the_default_cnn_has_the_example_sizes() {
        let config = CnnConfig::default();
        assert_eq!(config.flatten_width(), 1600);
        let mut net = Network::new(&ModelConfig::Cnn(config), &mut rng_from_seed(1)).unwrap();
        // conv1 9·32 + 32, conv2 288·64 + 64, fc1 1600·128 + 128, fc2 128·10 + 10.
        assert_eq!(net.n_params(), 320 + 18_496 + 204_928 + 1_290);
        let logits = net.infer(Array2::zeros((3, 784)).view());
        assert_eq!(logits.dim(), (3, 10));
    }

    #[test]
    fn the_default_mlp_is_784_128_10() {
        let mut net = Network::new(
            &ModelConfig::Mlp(MlpConfig::default()),
            &mut rng_from_seed(1),
        )
        .unwrap();
        assert_eq!(net.n_params(), 784 * 128 + 128 + 128 * 10 + 10);
    }

    #[test]
    fn bad_configs_are_typed_errors() {
        let tiny = CnnConfig {
            image_side: 5,
            ..CnnConfig::default()
        };
        assert_eq!(
            ModelConfig::Cnn(tiny).validate(),
            Err(ModelConfigError::ImageTooSmall { side: 5 })
        );
        let no_hidden = MlpConfig {
            hidden: vec![0],
            ..MlpConfig::default()
        };
        assert_eq!(
            ModelConfig::Mlp(no_hidden).validate(),
            Err(ModelConfigError::Zero("every hidden width"))
        );
    }

    /// Checks every parameter gradient of `net` against finite differences of the full loss.
    fn check_network(mut net: Network, n_samples: usize, seed: u64) {
        let mut rng = rng_from_seed(seed);
        let width = match &net {
            Network::Mlp(m) => m.layers[0].d_in(),
            Network::Cnn(c) => c.config().image_side.pow(2),
        };
        let x = random_array((n_samples, width), &mut rng);
        let labels: Vec<u8> = (0..n_samples).map(|i| (i % 3) as u8).collect();
        let loss_kind = LossKind::CrossEntropy;
        let dropout_seed = seed + 100;
        let (logits, cache) = net.forward(x.view(), Mode::Train, &mut rng_from_seed(dropout_seed));
        let out = loss_kind.evaluate(logits.view(), &labels);
        let mut grads = net.zero_grads();
        net.backward(&cache, out.dlogits.view(), &mut grads);
        let analytic: Vec<ndarray::ArrayD<f32>> = net
            .params_and_grads(&grads)
            .iter()
            .map(|p| p.grad.to_owned())
            .collect();
        let values: Vec<ndarray::ArrayD<f32>> = net
            .params_and_grads(&grads)
            .iter()
            .map(|p| p.param.to_owned())
            .collect();
        for (param_idx, (value, grad)) in values.iter().zip(&analytic).enumerate() {
            // Small steps: ReLU and max-pool kinks sit at data-dependent places.
            check_gradient_with_step(
                &format!("parameter {param_idx}"),
                value,
                grad,
                1e-3,
                |probe| {
                    let mut probe_net = net.clone();
                    let zero = probe_net.zero_grads();
                    probe_net.params_and_grads(&zero)[param_idx]
                        .param
                        .assign(probe);
                    let (logits, _) =
                        probe_net.forward(x.view(), Mode::Train, &mut rng_from_seed(dropout_seed));
                    loss_kind.evaluate(logits.view(), &labels).loss
                },
            );
        }
    }

    #[test]
    fn mlp_backward_matches_finite_differences() {
        let config = MlpConfig {
            d_in: 6,
            hidden: vec![5, 4],
            n_classes: 3,
        };
        check_network(
            Network::new(&ModelConfig::Mlp(config), &mut rng_from_seed(2)).unwrap(),
            4,
            2,
        );
    }

    #[test]
    fn cnn_backward_matches_finite_differences() {
        // 10 → conv 3 → 8 → pool → 4 → conv 3 → 2 → pool → 1: flatten width = conv2 channels.
        let config = CnnConfig {
            image_side: 10,
            conv1_channels: 3,
            conv2_channels: 4,
            kernel: 3,
            pool: 2,
            hidden: 6,
            dropout: 0.25,
            n_classes: 3,
        };
        check_network(
            Network::new(&ModelConfig::Cnn(config), &mut rng_from_seed(3)).unwrap(),
            3,
            3,
        );
    }
}
