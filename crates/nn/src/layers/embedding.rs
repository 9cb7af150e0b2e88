use ndarray::{Array2, ArrayView2, Axis};

use crate::param::SparseRowsGrad;
use crate::rng::{Rng, normal};

/// A lookup table: row `id` of `table` is the vector of token (or position, or segment) `id`.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding {
    /// `[n_rows, d]`.
    pub table: Array2<f32>,
}

/// Gradient of an [`Embedding`] as sparse rows: only the rows a batch looked up are stored, so
/// a step costs `O(rows in the batch · d)`, not `O(vocabulary · d)`.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingGrads {
    /// For each table row, its slot in `rows`, or `u32::MAX` when untouched.
    slot_of_row: Vec<u32>,
    /// The touched rows, in slot order.
    rows: Vec<usize>,
    /// Their gradients, `rows.len() · d` values, row-major.
    values: Vec<f32>,
    d: usize,
}

/// What [`Embedding::backward`] needs: the ids looked up.
#[derive(Clone, Debug)]
pub struct EmbeddingCache {
    ids: Vec<usize>,
}

const UNTOUCHED: u32 = u32::MAX;

impl Embedding {
    /// Entries drawn from `N(0, std²)` (BERT: 0.02).
    pub fn new(n_rows: usize, d: usize, std: f32, rng: &mut Rng) -> Self {
        Self {
            table: Array2::from_shape_simple_fn((n_rows, d), || std * normal(rng)),
        }
    }

    /// Rows in the table.
    pub fn n_rows(&self) -> usize {
        self.table.nrows()
    }

    /// Vector width.
    pub fn d(&self) -> usize {
        self.table.ncols()
    }

    /// Looks up `ids`.
    ///
    /// # Shapes
    /// `ids`: `[n]` → `y`: `[n, d]`
    ///
    /// # Panics
    /// If an id is outside the table (callers validate token ids at their boundary).
    pub fn forward(&self, ids: &[usize]) -> (Array2<f32>, EmbeddingCache) {
        let d = self.d();
        let mut y = Array2::zeros((ids.len(), d));
        for (mut row, &id) in y.rows_mut().into_iter().zip(ids) {
            assert!(
                id < self.n_rows(),
                "Embedding: id {id} outside {} rows",
                self.n_rows()
            );
            row.assign(&self.table.row(id));
        }
        (y, EmbeddingCache { ids: ids.to_vec() })
    }

    /// Backward pass: adds row `i` of `dy` into the gradient of row `ids[i]`. No input gradient.
    ///
    /// # Shapes
    /// `dy`: `[n, d]`
    pub fn backward(
        &self,
        cache: &EmbeddingCache,
        dy: ArrayView2<'_, f32>,
        grads: &mut EmbeddingGrads,
    ) {
        assert_eq!(dy.dim(), (cache.ids.len(), self.d()), "Embedding: dy shape");
        for (dy_row, &id) in dy.rows().into_iter().zip(&cache.ids) {
            let slot = grads.slot(id);
            for (g, &v) in grads.values[slot * grads.d..(slot + 1) * grads.d]
                .iter_mut()
                .zip(dy_row)
            {
                *g += v;
            }
        }
    }

    /// The table with its sparse gradient.
    pub fn sparse_param_and_grad<'a>(
        &'a mut self,
        grads: &'a EmbeddingGrads,
    ) -> SparseRowsGrad<'a> {
        SparseRowsGrad {
            param: self.table.view_mut(),
            rows: &grads.rows,
            grad: grads.values_view(),
        }
    }
}

impl EmbeddingGrads {
    /// No rows touched, for `layer`'s table.
    pub fn zeros_like(layer: &Embedding) -> Self {
        Self {
            slot_of_row: vec![UNTOUCHED; layer.n_rows()],
            rows: Vec::new(),
            values: Vec::new(),
            d: layer.d(),
        }
    }

    /// Forgets every touched row (cost: the rows touched, not the table).
    pub fn fill_zero(&mut self) {
        for &row in &self.rows {
            self.slot_of_row[row] = UNTOUCHED;
        }
        self.rows.clear();
        self.values.clear();
    }

    fn slot(&mut self, row: usize) -> usize {
        let slot = self.slot_of_row[row];
        if slot == UNTOUCHED {
            let new = self.rows.len();
            self.slot_of_row[row] = u32::try_from(new).unwrap_or(UNTOUCHED - 1);
            self.rows.push(row);
            self.values.resize(self.values.len() + self.d, 0.0);
            new
        } else {
            slot as usize
        }
    }

    /// Adds a dense gradient of the whole table (a tied decoder's), touching every row.
    ///
    /// # Shapes
    /// `d_table`: `[n_rows, d]`
    pub fn add_dense(&mut self, d_table: ArrayView2<'_, f32>) {
        assert_eq!(
            d_table.dim(),
            (self.slot_of_row.len(), self.d),
            "EmbeddingGrads: dense shape"
        );
        for (row, d_row) in d_table.axis_iter(Axis(0)).enumerate() {
            let slot = self.slot(row);
            for (g, &v) in self.values[slot * self.d..(slot + 1) * self.d]
                .iter_mut()
                .zip(d_row)
            {
                *g += v;
            }
        }
    }

    /// The touched rows, in the order of [`values_view`](Self::values_view)'s rows.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// The touched rows' gradients, `[rows().len(), d]`.
    pub fn values_view(&self) -> ArrayView2<'_, f32> {
        ArrayView2::from_shape((self.rows.len(), self.d), &self.values)
            .unwrap_or_else(|_| unreachable!("values hold rows·d entries"))
    }

    /// The gradient as a dense `[n_rows, d]` array (tests, inspection).
    pub fn to_dense(&self) -> Array2<f32> {
        let mut dense = Array2::zeros((self.slot_of_row.len(), self.d));
        for (row, g) in self.rows.iter().zip(self.values_view().rows()) {
            dense.row_mut(*row).assign(&g);
        }
        dense
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::rng_from_seed;

    #[test]
    fn embedding_gradient_is_sparse_and_matches_finite_differences() {
        let mut rng = rng_from_seed(3);
        let emb = Embedding::new(50, 4, 0.5, &mut rng);
        let ids = [7, 3, 7, 49];
        let r: Array2<f32> = random_array((4, 4), &mut rng);
        let (_, cache) = emb.forward(&ids);
        let mut grads = EmbeddingGrads::zeros_like(&emb);
        emb.backward(&cache, r.view(), &mut grads);
        assert_eq!(grads.rows(), &[7, 3, 49], "only looked-up rows, each once");
        check_gradient("embedding table", &emb.table, &grads.to_dense(), |t| {
            let e = Embedding { table: t.clone() };
            (&e.forward(&ids).0 * &r).sum()
        });
        grads.fill_zero();
        assert!(grads.rows().is_empty());
        assert_eq!(grads.to_dense().sum(), 0.0);
    }
}
