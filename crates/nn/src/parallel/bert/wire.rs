//! The wire form of a BERT gradient: the dense parameters flat, then each embedding table's
//! touched rows ([`SparseGradients`]), its little-endian bytes (laid out in the
//! [parent module's docs](super)), and the checks that turn bad bytes into a
//! [`SparseWireError`].

use crate::model::Model;
/// The shape of a model's gradient on the wire: how many dense values, and each sparse
/// table's rows and width, in the model's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireLayout {
    /// Values of all dense parameters together.
    pub n_dense: usize,
    /// Each sparse table (BERT: word, position, segment embeddings).
    pub tables: Vec<TableShape>,
}

/// One sparse table's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableShape {
    /// Rows in the table (a row id must be below this).
    pub n_rows: usize,
    /// Values per row.
    pub width: usize,
}

impl WireLayout {
    /// The layout of a [`BertClassifier`](crate::bert::BertClassifier) of `config`'s sizes, without building one (the
    /// all-reduce's root holds no model).
    pub fn of_bert(config: &crate::bert::BertConfig) -> Self {
        Self {
            n_dense: config.n_dense_params(),
            tables: config
                .table_rows()
                .iter()
                .map(|&n_rows| TableShape {
                    n_rows,
                    width: config.hidden,
                })
                .collect(),
        }
    }

    /// The layout of `model`'s [`Model::all_params_and_grads`].
    ///
    /// # Panics
    /// If a table has more rows than a `u32` can number (no such table fits in memory).
    pub fn of_model<M: Model>(model: &mut M) -> Self {
        let grads = model.zero_grads();
        let (dense, sparse) = model.all_params_and_grads(&grads);
        let tables = sparse
            .iter()
            .map(|table| {
                let (n_rows, width) = table.param.dim();
                assert!(
                    u32::try_from(n_rows).is_ok(),
                    "a table of {n_rows} rows cannot be numbered by u32 ids"
                );
                TableShape { n_rows, width }
            })
            .collect();
        Self {
            n_dense: dense.iter().map(|p| p.param.len()).sum(),
            tables,
        }
    }
}

/// Gradient bytes (or a [`SparseGradients`]) that do not fit the model's [`WireLayout`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SparseWireError {
    /// The bytes end inside a part.
    #[error("the bytes end after {found} where {needed} are needed")]
    Truncated {
        /// Bytes the part needs up to its end.
        needed: usize,
        /// Bytes received.
        found: usize,
    },
    /// Bytes after the last table.
    #[error("{0} bytes follow the last table")]
    TrailingBytes(usize),
    /// The dense part's length is not the model's.
    #[error("the dense part holds {found} values where the model has {expected}")]
    DenseLength {
        /// Values announced (or held).
        found: usize,
        /// Dense values of the model.
        expected: usize,
    },
    /// Another number of sparse tables than the model has.
    #[error("{found} sparse tables where the model has {expected}")]
    TableCount {
        /// Tables announced (or held).
        found: usize,
        /// Tables of the model.
        expected: usize,
    },
    /// A table lists more rows than it has.
    #[error("table {table_idx} lists {found} rows, more than its {n_rows}")]
    TooManyRows {
        /// The table (from 0).
        table_idx: usize,
        /// Rows listed.
        found: usize,
        /// Rows in the table.
        n_rows: usize,
    },
    /// A row id outside its table.
    #[error("table {table_idx}: row {row} is outside its {n_rows} rows")]
    RowOutOfRange {
        /// The table (from 0).
        table_idx: usize,
        /// The row id.
        row: u32,
        /// Rows in the table.
        n_rows: usize,
    },
    /// A row id listed twice.
    #[error("table {table_idx}: row {row} is listed twice")]
    DuplicateRow {
        /// The table (from 0).
        table_idx: usize,
        /// The row id.
        row: u32,
    },
    /// Row ids out of order.
    #[error("table {table_idx}: row {row} comes after row {previous}; rows must be sorted")]
    UnsortedRows {
        /// The table (from 0).
        table_idx: usize,
        /// The row before.
        previous: u32,
        /// The row out of order.
        row: u32,
    },
    /// A table's values are not `rows × width` (only a [`SparseGradients`] built in memory can
    /// be so; the bytes' lengths follow from the counts).
    #[error("table {table_idx} holds {found} values where its rows need {expected}")]
    ValuesLength {
        /// The table (from 0).
        table_idx: usize,
        /// Values held.
        found: usize,
        /// `rows × width`.
        expected: usize,
    },
}

/// A model's gradient in its wire form: the dense parameters flat, and each embedding table's
/// touched rows. See the [module docs](super) for the bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseGradients {
    /// Every dense parameter's gradient, flat, in the model's parameter order.
    pub dense: Vec<f32>,
    /// One per sparse table, in the model's order.
    pub tables: Vec<SparseRows>,
}

/// The touched rows of one table and their gradients.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseRows {
    /// Row ids, strictly increasing.
    pub rows: Vec<u32>,
    /// Their gradients, `rows.len() × width` values, row-major.
    pub values: Vec<f32>,
}

impl SparseGradients {
    /// Checks that these gradients fit `layout`: the dense length, the table count, each
    /// table's row ids (sorted, unique, in range) and values.
    ///
    /// # Errors
    /// The first thing that does not fit.
    pub fn check(&self, layout: &WireLayout) -> Result<(), SparseWireError> {
        if self.dense.len() != layout.n_dense {
            return Err(SparseWireError::DenseLength {
                found: self.dense.len(),
                expected: layout.n_dense,
            });
        }
        if self.tables.len() != layout.tables.len() {
            return Err(SparseWireError::TableCount {
                found: self.tables.len(),
                expected: layout.tables.len(),
            });
        }
        for (table_idx, (table, shape)) in self.tables.iter().zip(&layout.tables).enumerate() {
            if table.rows.len() > shape.n_rows {
                return Err(SparseWireError::TooManyRows {
                    table_idx,
                    found: table.rows.len(),
                    n_rows: shape.n_rows,
                });
            }
            check_rows(table_idx, &table.rows, shape.n_rows)?;
            let expected = table.rows.len() * shape.width;
            if table.values.len() != expected {
                return Err(SparseWireError::ValuesLength {
                    table_idx,
                    found: table.values.len(),
                    expected,
                });
            }
        }
        Ok(())
    }

    /// Writes the wire form into `out` (replacing its contents). The bytes say what these
    /// gradients hold; [`read_le_bytes`](Self::read_le_bytes) checks them.
    ///
    /// # Panics
    /// If a count does not fit a `u32` (no model's does).
    pub fn write_le_bytes(&self, out: &mut Vec<u8>) {
        let count = |n: usize| u32::try_from(n).expect("wire counts fit u32").to_le_bytes();
        out.clear();
        out.reserve(
            8 + 4 * self.dense.len()
                + self
                    .tables
                    .iter()
                    .map(|t| 4 + 4 * t.rows.len() + 4 * t.values.len())
                    .sum::<usize>(),
        );
        out.extend_from_slice(&count(self.dense.len()));
        out.extend_from_slice(&count(self.tables.len()));
        out.extend(self.dense.iter().flat_map(|v| v.to_le_bytes()));
        for table in &self.tables {
            out.extend_from_slice(&count(table.rows.len()));
            out.extend(table.rows.iter().flat_map(|r| r.to_le_bytes()));
            out.extend(table.values.iter().flat_map(|v| v.to_le_bytes()));
        }
    }

    /// Reads the wire form, checked against `layout`, into `self` (reusing its buffers).
    ///
    /// # Errors
    /// Bytes that end early or run on, a dense length or table count other than the layout's,
    /// a table listing more rows than it has, or row ids out of range, repeated or unsorted.
    /// On an error `self` holds nothing meaningful.
    pub fn read_le_bytes(
        &mut self,
        bytes: &[u8],
        layout: &WireLayout,
    ) -> Result<(), SparseWireError> {
        let mut reader = Reader { bytes, offset: 0 };
        let n_dense = reader.count()?;
        if n_dense != layout.n_dense {
            return Err(SparseWireError::DenseLength {
                found: n_dense,
                expected: layout.n_dense,
            });
        }
        let n_tables = reader.count()?;
        if n_tables != layout.tables.len() {
            return Err(SparseWireError::TableCount {
                found: n_tables,
                expected: layout.tables.len(),
            });
        }
        reader.f32s(n_dense, &mut self.dense)?;
        self.tables.resize_with(n_tables, SparseRows::default);
        for (table_idx, (table, shape)) in self.tables.iter_mut().zip(&layout.tables).enumerate() {
            let n_rows = reader.count()?;
            if n_rows > shape.n_rows {
                return Err(SparseWireError::TooManyRows {
                    table_idx,
                    found: n_rows,
                    n_rows: shape.n_rows,
                });
            }
            let ids = reader.take(n_rows * 4)?;
            table.rows.clear();
            table.rows.extend(
                ids.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
            check_rows(table_idx, &table.rows, shape.n_rows)?;
            reader.f32s(n_rows * shape.width, &mut table.values)?;
        }
        let extra = bytes.len() - reader.offset;
        if extra > 0 {
            return Err(SparseWireError::TrailingBytes(extra));
        }
        Ok(())
    }

    /// [`read_le_bytes`](Self::read_le_bytes) into fresh gradients.
    ///
    /// # Errors
    /// As [`read_le_bytes`](Self::read_le_bytes).
    pub fn from_le_bytes(bytes: &[u8], layout: &WireLayout) -> Result<Self, SparseWireError> {
        let mut gradients = Self::default();
        gradients.read_le_bytes(bytes, layout)?;
        Ok(gradients)
    }
}

/// Row ids strictly increasing and below `n_rows`.
fn check_rows(table_idx: usize, rows: &[u32], n_rows: usize) -> Result<(), SparseWireError> {
    let mut previous: Option<u32> = None;
    for &row in rows {
        if row as usize >= n_rows {
            return Err(SparseWireError::RowOutOfRange {
                table_idx,
                row,
                n_rows,
            });
        }
        match previous {
            Some(p) if p == row => {
                return Err(SparseWireError::DuplicateRow { table_idx, row });
            }
            Some(p) if p > row => {
                return Err(SparseWireError::UnsortedRows {
                    table_idx,
                    previous: p,
                    row,
                });
            }
            _ => {}
        }
        previous = Some(row);
    }
    Ok(())
}

/// Little-endian values read from the front of a byte slice, each read checked.
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], SparseWireError> {
        let needed = self.offset.saturating_add(len);
        let Some(part) = self.bytes.get(self.offset..needed) else {
            return Err(SparseWireError::Truncated {
                needed,
                found: self.bytes.len(),
            });
        };
        self.offset = needed;
        Ok(part)
    }

    fn count(&mut self) -> Result<usize, SparseWireError> {
        let c = self.take(4)?;
        Ok(u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize)
    }

    fn f32s(&mut self, n: usize, out: &mut Vec<f32>) -> Result<(), SparseWireError> {
        let bytes = self.take(n.saturating_mul(4))?;
        out.clear();
        out.extend(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        Ok(())
    }
}
