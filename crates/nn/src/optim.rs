//! Optimizers: SGD (with or without momentum) and Adam.
//!
//! An optimizer sees a model only as a list of [`ParamGrad`]s in a fixed order; its state
//! (velocities, moments) is a `Vec` of arrays matched to that order by position and created on
//! the first step.

use ndarray::{ArrayD, Zip};

use crate::param::ParamGrad;

/// Which optimizer to use, and its hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerConfig {
    /// Stochastic gradient descent, PyTorch's formulation: `v ← μ·v + g; θ ← θ − lr·v`
    /// (with `μ = 0` this is plain `θ ← θ − lr·g`, the Graphcore example's optimizer).
    Sgd {
        /// Learning rate.
        lr: f32,
        /// Momentum `μ` in `[0, 1)`; 0 for none.
        momentum: f32,
    },
    /// Adam (Kingma and Ba), with bias correction.
    Adam {
        /// Learning rate.
        lr: f32,
        /// Decay of the first-moment estimate (usually 0.9).
        beta1: f32,
        /// Decay of the second-moment estimate (usually 0.999).
        beta2: f32,
        /// Added to the root of the second moment (usually 1e-8).
        eps: f32,
    },
}

/// A rejected optimizer configuration.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum OptimizerConfigError {
    /// The learning rate is not a positive finite number.
    #[error("the learning rate must be positive and finite, not {0}")]
    LearningRate(f32),
    /// A decay or momentum coefficient is outside `[0, 1)`.
    #[error("{name} must be in [0, 1), not {value}")]
    Coefficient {
        /// Which coefficient.
        name: &'static str,
        /// Its value.
        value: f32,
    },
}

impl OptimizerConfig {
    /// Plain SGD without momentum.
    pub fn sgd(lr: f32) -> Self {
        Self::Sgd { lr, momentum: 0.0 }
    }

    /// Adam with the usual defaults (β₁ 0.9, β₂ 0.999, ε 1e-8).
    pub fn adam(lr: f32) -> Self {
        Self::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// The learning rate.
    pub fn lr(&self) -> f32 {
        match *self {
            Self::Sgd { lr, .. } | Self::Adam { lr, .. } => lr,
        }
    }

    /// Checks the hyper-parameters.
    pub fn validate(&self) -> Result<(), OptimizerConfigError> {
        let lr = self.lr();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(OptimizerConfigError::LearningRate(lr));
        }
        let coefficients: &[(&'static str, f32)] = match self {
            Self::Sgd { momentum, .. } => &[("momentum", *momentum)],
            Self::Adam { beta1, beta2, .. } => &[("beta1", *beta1), ("beta2", *beta2)],
        };
        for &(name, value) in coefficients {
            if !(0.0..1.0).contains(&value) {
                return Err(OptimizerConfigError::Coefficient { name, value });
            }
        }
        Ok(())
    }
}

/// An optimizer and its state: plain data, `Clone`, no clock.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer {
    config: OptimizerConfig,
    /// SGD: one velocity per parameter. Adam: first moments.
    first: Vec<ArrayD<f32>>,
    /// Adam: second moments (empty for SGD).
    second: Vec<ArrayD<f32>>,
    n_steps: u64,
}

impl Optimizer {
    /// A fresh optimizer (no state until the first step).
    pub fn new(config: OptimizerConfig) -> Self {
        Self {
            config,
            first: Vec::new(),
            second: Vec::new(),
            n_steps: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> OptimizerConfig {
        self.config
    }

    /// Steps taken so far.
    pub fn n_steps(&self) -> u64 {
        self.n_steps
    }

    /// Updates every parameter in place from its gradient.
    ///
    /// # Panics
    /// If the list of parameters changes shape between steps (a different model).
    pub fn step(&mut self, params: Vec<ParamGrad<'_>>) {
        if self.first.is_empty() {
            self.first = params
                .iter()
                .map(|p| ArrayD::zeros(p.param.raw_dim()))
                .collect();
            if matches!(self.config, OptimizerConfig::Adam { .. }) {
                self.second = self.first.clone();
            }
        }
        assert_eq!(
            params.len(),
            self.first.len(),
            "the optimizer was built for another model"
        );
        self.n_steps += 1;
        match self.config {
            OptimizerConfig::Sgd { lr, momentum } => {
                for (ParamGrad { mut param, grad }, velocity) in
                    params.into_iter().zip(&mut self.first)
                {
                    assert_eq!(
                        param.shape(),
                        velocity.shape(),
                        "the optimizer was built for another model"
                    );
                    if momentum == 0.0 {
                        param.scaled_add(-lr, &grad);
                    } else {
                        Zip::from(&mut param)
                            .and(&grad)
                            .and(velocity)
                            .for_each(|p, &g, v| {
                                *v = momentum * *v + g;
                                *p -= lr * *v;
                            });
                    }
                }
            }
            OptimizerConfig::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                let t = i32::try_from(self.n_steps).unwrap_or(i32::MAX);
                let correction1 = 1.0 - beta1.powi(t);
                let correction2 = 1.0 - beta2.powi(t);
                let states = self.first.iter_mut().zip(&mut self.second);
                for (ParamGrad { mut param, grad }, (m, v)) in params.into_iter().zip(states) {
                    assert_eq!(
                        param.shape(),
                        m.shape(),
                        "the optimizer was built for another model"
                    );
                    Zip::from(&mut param)
                        .and(&grad)
                        .and(m)
                        .and(v)
                        .for_each(|p, &g, m, v| {
                            *m = beta1 * *m + (1.0 - beta1) * g;
                            *v = beta2 * *v + (1.0 - beta2) * g * g;
                            let m_hat = *m / correction1;
                            let v_hat = *v / correction2;
                            *p -= lr * m_hat / (v_hat.sqrt() + eps);
                        });
                }
            }
        }
    }
}

/// AdamW (Loshchilov and Hutter) with BERT's schedule: the learning rate rises linearly from 0
/// over `warmup_steps`, then falls linearly to 0 at `total_steps` (Hugging Face's
/// `get_linear_schedule_with_warmup`). Weight decay is decoupled (`θ ← θ − lr·λ·θ`) and applies
/// only to matrices (rank ≥ 2: weights and embedding tables), never to biases or LayerNorm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWConfig {
    /// Peak learning rate.
    pub lr: f32,
    /// First-moment decay (0.9).
    pub beta1: f32,
    /// Second-moment decay (0.999).
    pub beta2: f32,
    /// Added to the root of the second moment (1e-8; PyTorch's default).
    pub eps: f32,
    /// Decoupled weight decay `λ` (0.01).
    pub weight_decay: f32,
    /// Steps of linear warm-up.
    pub warmup_steps: u64,
    /// Steps at which the learning rate reaches 0.
    pub total_steps: u64,
}

impl AdamWConfig {
    /// The usual BERT fine-tuning settings: β (0.9, 0.999), ε 1e-8, λ 0.01, 10% warm-up.
    pub fn bert(lr: f32, total_steps: u64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
            warmup_steps: total_steps / 10,
            total_steps,
        }
    }

    /// The learning rate of update number `step` (from 0).
    pub fn lr_at(&self, step: u64) -> f32 {
        let factor = if step < self.warmup_steps {
            step as f64 / self.warmup_steps as f64
        } else {
            let remaining = self.total_steps.saturating_sub(step) as f64;
            remaining / (self.total_steps.saturating_sub(self.warmup_steps)).max(1) as f64
        };
        self.lr * factor as f32
    }

    /// Checks the hyper-parameters.
    ///
    /// # Errors
    /// A learning rate, coefficient or weight decay out of range.
    pub fn validate(&self) -> Result<(), OptimizerConfigError> {
        OptimizerConfig::Adam {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
        }
        .validate()?;
        if !(0.0..1.0).contains(&self.weight_decay) {
            return Err(OptimizerConfigError::Coefficient {
                name: "weight_decay",
                value: self.weight_decay,
            });
        }
        Ok(())
    }
}

/// AdamW's state: moments per dense parameter and per embedding table. Sparse tables are updated
/// lazily, like PyTorch's `SparseAdam`: only the rows in a step's gradient move (and decay),
/// with the global step's bias correction.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamW {
    config: AdamWConfig,
    dense_m: Vec<ArrayD<f32>>,
    dense_v: Vec<ArrayD<f32>>,
    sparse_m: Vec<ndarray::Array2<f32>>,
    sparse_v: Vec<ndarray::Array2<f32>>,
    n_steps: u64,
}

impl AdamW {
    /// A fresh optimizer.
    pub fn new(config: AdamWConfig) -> Self {
        Self {
            config,
            dense_m: Vec::new(),
            dense_v: Vec::new(),
            sparse_m: Vec::new(),
            sparse_v: Vec::new(),
            n_steps: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> AdamWConfig {
        self.config
    }

    /// Updates taken.
    pub fn n_steps(&self) -> u64 {
        self.n_steps
    }

    /// The learning rate the next step will use.
    pub fn current_lr(&self) -> f32 {
        self.config.lr_at(self.n_steps)
    }

    /// One update of every parameter from its gradient.
    ///
    /// # Panics
    /// If the parameter lists change between steps (another model).
    pub fn step(
        &mut self,
        dense: Vec<ParamGrad<'_>>,
        sparse: Vec<crate::param::SparseRowsGrad<'_>>,
    ) {
        if self.dense_m.is_empty() && self.sparse_m.is_empty() {
            self.dense_m = dense
                .iter()
                .map(|p| ArrayD::zeros(p.param.raw_dim()))
                .collect();
            self.dense_v = self.dense_m.clone();
            self.sparse_m = sparse
                .iter()
                .map(|p| ndarray::Array2::zeros(p.param.raw_dim()))
                .collect();
            self.sparse_v = self.sparse_m.clone();
        }
        assert_eq!(
            dense.len(),
            self.dense_m.len(),
            "AdamW was built for another model"
        );
        assert_eq!(
            sparse.len(),
            self.sparse_m.len(),
            "AdamW was built for another model"
        );
        let AdamWConfig {
            beta1,
            beta2,
            eps,
            weight_decay,
            ..
        } = self.config;
        let lr = self.config.lr_at(self.n_steps);
        self.n_steps += 1;
        let t = self.n_steps as i32;
        let c1 = 1.0 / (1.0 - beta1.powi(t));
        let c2 = 1.0 / (1.0 - beta2.powi(t));
        let update = |p: &mut f32, g: f32, m: &mut f32, v: &mut f32, decay: f32| {
            *p -= lr * decay * *p;
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            *p -= lr * (*m * c1) / ((*v * c2).sqrt() + eps);
        };
        for ((ParamGrad { mut param, grad }, m), v) in dense
            .into_iter()
            .zip(&mut self.dense_m)
            .zip(&mut self.dense_v)
        {
            let decay = if param.ndim() >= 2 { weight_decay } else { 0.0 };
            Zip::from(&mut param)
                .and(&grad)
                .and(m)
                .and(v)
                .for_each(|p, &g, m, v| update(p, g, m, v, decay));
        }
        for ((sp, m), v) in sparse
            .into_iter()
            .zip(&mut self.sparse_m)
            .zip(&mut self.sparse_v)
        {
            let crate::param::SparseRowsGrad {
                mut param,
                rows,
                grad,
            } = sp;
            for (&row, g_row) in rows.iter().zip(grad.rows()) {
                Zip::from(param.row_mut(row))
                    .and(&g_row)
                    .and(m.row_mut(row))
                    .and(v.row_mut(row))
                    .for_each(|p, &g, m, v| update(p, g, m, v, weight_decay));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, array};

    /// Minimises `½‖θ − target‖²` (gradient `θ − target`) for `n_steps` and returns θ.
    fn minimise(config: OptimizerConfig, n_steps: usize) -> Array1<f32> {
        let target = array![1.0_f32, -2.0, 3.0];
        let mut theta = Array1::<f32>::zeros(3);
        let mut optimizer = Optimizer::new(config);
        for _ in 0..n_steps {
            let grad = &theta - &target;
            optimizer.step(vec![ParamGrad::new(
                theta.view_mut().into_dyn(),
                grad.view().into_dyn(),
            )]);
        }
        theta
    }

    #[test]
    fn plain_sgd_takes_exactly_lr_times_the_gradient() {
        // One step from 0 with gradient −target and lr 0.1 lands on 0.1·target.
        let theta = minimise(OptimizerConfig::sgd(0.1), 1);
        assert_eq!(theta, array![0.1, -0.2, 0.3]);
    }

    #[test]
    fn momentum_accumulates_velocity() {
        // Step 1: v = −t, θ = 0.1t. Step 2: g = −0.9t, v = 0.5·(−t) − 0.9t = −1.4t, θ = 0.24t.
        let theta = minimise(
            OptimizerConfig::Sgd {
                lr: 0.1,
                momentum: 0.5,
            },
            2,
        );
        let expected = array![0.24, -0.48, 0.72];
        assert!(
            theta
                .iter()
                .zip(&expected)
                .all(|(a, b)| (a - b).abs() < 1e-6),
            "{theta}"
        );
    }

    #[test]
    fn adam_first_step_moves_each_coordinate_by_lr() {
        // With bias correction the first update is lr·g/|g| (up to ε) in every coordinate.
        let theta = minimise(OptimizerConfig::adam(0.01), 1);
        let expected = array![0.01, -0.01, 0.01];
        assert!(
            theta
                .iter()
                .zip(&expected)
                .all(|(a, b)| (a - b).abs() < 1e-6),
            "{theta}"
        );
    }

    #[test]
    fn every_optimizer_converges_on_a_quadratic() {
        for config in [
            OptimizerConfig::sgd(0.1),
            OptimizerConfig::Sgd {
                lr: 0.05,
                momentum: 0.9,
            },
            OptimizerConfig::adam(0.05),
        ] {
            let theta = minimise(config, 2000);
            let target = array![1.0_f32, -2.0, 3.0];
            assert!(
                (&theta - &target).iter().all(|d| d.abs() < 1e-2),
                "{config:?}: {theta}"
            );
        }
    }

    #[test]
    fn bad_hyper_parameters_are_typed_errors() {
        assert_eq!(
            OptimizerConfig::sgd(-1.0).validate(),
            Err(OptimizerConfigError::LearningRate(-1.0))
        );
        assert_eq!(
            OptimizerConfig::Sgd {
                lr: 0.1,
                momentum: 1.0
            }
            .validate(),
            Err(OptimizerConfigError::Coefficient {
                name: "momentum",
                value: 1.0
            })
        );
        assert_eq!(OptimizerConfig::adam(1e-3).validate(), Ok(()));
    }
}
