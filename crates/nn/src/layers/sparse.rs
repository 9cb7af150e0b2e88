//! The sparse half of a convolution's backward pass. Behind a 2×2 max-pool at most a quarter of
//! a convolution's output receives a gradient, and behind a ReLU fewer still, so both of its
//! gradients are sums over a few rows: `dwᵀ[c] = Σₚ dy[p, c] · cols[p]` over the positions `p`
//! where channel `c` has a gradient, and a row of `dy·wᵀ` is `Σ_c dy[p, c] · wᵀ[c]` over the
//! channels with one. [`combine_rows`] computes such a sum; [`Entries`] groups `dy`'s non-zero
//! entries by column.
//!
//! The sums keep sixteen accumulators in registers while they run down the rows, so each
//! multiply-add costs one load. In wasm the four-lane groups are written with `f32x4`
//! operations: LLVM's loop vectoriser leaves these loops scalar for wasm32 (the first version,
//! one scalar `acc += g·row` per entry, ran 3× slower than the dense GEMMs it replaced).

/// The non-zero entries of a row-major `[n_rows, width]` matrix, grouped by column, each
/// column's in row order: `(row, value)`.
#[derive(Debug)]
pub(crate) struct Entries {
    offsets: Vec<usize>,
    entries: Vec<(usize, f32)>,
}

impl Entries {
    /// Groups the non-zero entries of `values` (`[_, width]`, row-major) by column.
    pub(crate) fn by_column(values: &[f32], width: usize) -> Self {
        let mut offsets = vec![0_usize; width + 1];
        if width == 0 {
            return Self {
                offsets,
                entries: Vec::new(),
            };
        }
        for row in values.chunks_exact(width) {
            for (column, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    offsets[column + 1] += 1;
                }
            }
        }
        for column in 0..width {
            offsets[column + 1] += offsets[column];
        }
        let mut next = offsets.clone();
        let mut entries = vec![(0, 0.0); offsets[width]];
        for (row_idx, row) in values.chunks_exact(width).enumerate() {
            for (column, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    entries[next[column]] = (row_idx, v);
                    next[column] += 1;
                }
            }
        }
        Self { offsets, entries }
    }

    /// Column `column`'s entries, in row order.
    pub(crate) fn of(&self, column: usize) -> &[(usize, f32)] {
        &self.entries[self.offsets[column]..self.offsets[column + 1]]
    }
}

/// `out = Σₑ gₑ · rows[iₑ]` over the entries `(iₑ, gₑ)`: every value's sum starts from 0 and
/// adds `gₑ · rows[iₑ][k]` (a multiply, then an add) in the entries' order.
///
/// # Shapes
/// `rows`: `[_, width]` row-major, every `iₑ` a row of it; `out`: at least `[width]`
pub(crate) fn combine_rows(entries: &[(usize, f32)], rows: &[f32], width: usize, out: &mut [f32]) {
    let out = &mut out[..width];
    let mut start = 0;
    while start + 16 <= width {
        let mut acc = [Lanes::ZERO; 4];
        for &(row_idx, g) in entries {
            let offset = row_idx * width + start;
            let g = Lanes::splat(g);
            for (a, quad) in acc
                .iter_mut()
                .zip(rows[offset..offset + 16].chunks_exact(4))
            {
                *a = a.add(g.mul(Lanes::load(quad)));
            }
        }
        for (a, quad) in acc.iter().zip(out[start..start + 16].chunks_exact_mut(4)) {
            a.store(quad);
        }
        start += 16;
    }
    while start + 4 <= width {
        let mut acc = Lanes::ZERO;
        for &(row_idx, g) in entries {
            let offset = row_idx * width + start;
            acc = acc.add(Lanes::splat(g).mul(Lanes::load(&rows[offset..offset + 4])));
        }
        acc.store(&mut out[start..start + 4]);
        start += 4;
    }
    for (k, value) in out.iter_mut().enumerate().skip(start) {
        let mut sum = 0.0_f32;
        for &(row_idx, g) in entries {
            sum += g * rows[row_idx * width + k];
        }
        *value = sum;
    }
}

/// `dst += src`, value by value (four lanes at a time).
pub(crate) fn add_into(dst: &mut [f32], src: &[f32]) {
    let mut dst_quads = dst.chunks_exact_mut(4);
    let mut src_quads = src.chunks_exact(4);
    for (d, v) in (&mut dst_quads).zip(&mut src_quads) {
        Lanes::load(d).add(Lanes::load(v)).store(d);
    }
    for (d, &v) in dst_quads
        .into_remainder()
        .iter_mut()
        .zip(src_quads.remainder())
    {
        *d += v;
    }
}

/// Four `f32` lanes: one `f32x4` in wasm with SIMD128, an array elsewhere (which the native
/// compiler vectorises). Either way each lane does exactly the scalar operation.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy)]
struct Lanes(core::arch::wasm32::v128);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Lanes {
    const ZERO: Self = Self(core::arch::wasm32::f32x4(0.0, 0.0, 0.0, 0.0));

    #[inline(always)]
    fn splat(v: f32) -> Self {
        Self(core::arch::wasm32::f32x4_splat(v))
    }

    /// The first four values of `quad`, in one `v128.load` (built lane by lane, the safe way,
    /// LLVM emits four single-lane loads).
    #[inline(always)]
    #[allow(unsafe_code)]
    fn load(quad: &[f32]) -> Self {
        let quad = &quad[..4];
        // SAFETY: `quad` is 4 initialised f32s (16 bytes, checked by the slice above), and
        // `v128_load` reads 16 bytes from any alignment.
        Self(unsafe { core::arch::wasm32::v128_load(quad.as_ptr().cast()) })
    }

    /// Writes the lanes into the first four values of `quad`, in one `v128.store`.
    #[inline(always)]
    #[allow(unsafe_code)]
    fn store(self, quad: &mut [f32]) {
        let quad = &mut quad[..4];
        // SAFETY: `quad` is 4 f32s we may write (16 bytes, checked by the slice above), and
        // `v128_store` writes 16 bytes at any alignment.
        unsafe { core::arch::wasm32::v128_store(quad.as_mut_ptr().cast(), self.0) }
    }

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self(core::arch::wasm32::f32x4_add(self.0, other.0))
    }

    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        Self(core::arch::wasm32::f32x4_mul(self.0, other.0))
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[derive(Clone, Copy)]
struct Lanes([f32; 4]);

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl Lanes {
    const ZERO: Self = Self([0.0; 4]);

    #[inline(always)]
    fn splat(v: f32) -> Self {
        Self([v; 4])
    }

    /// The first four values of `quad`.
    #[inline(always)]
    fn load(quad: &[f32]) -> Self {
        Self([quad[0], quad[1], quad[2], quad[3]])
    }

    #[inline(always)]
    fn store(self, quad: &mut [f32]) {
        quad[..4].copy_from_slice(&self.0);
    }

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self([
            self.0[0] + other.0[0],
            self.0[1] + other.0[1],
            self.0[2] + other.0[2],
            self.0[3] + other.0[3],
        ])
    }

    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        Self([
            self.0[0] * other.0[0],
            self.0[1] * other.0[1],
            self.0[2] * other.0[2],
            self.0[3] * other.0[3],
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_into_adds_every_value() {
        for len in [0, 3, 4, 9, 96] {
            let mut dst: Vec<f32> = (0..len).map(|i| i as f32 * 0.5).collect();
            let src: Vec<f32> = (0..len).map(|i| 1.0 - i as f32).collect();
            add_into(&mut dst, &src);
            for (i, &d) in dst.iter().enumerate() {
                assert_eq!(d, i as f32 * 0.5 + (1.0 - i as f32));
            }
        }
    }

    #[test]
    fn entries_are_grouped_by_column_in_row_order() {
        // [[0, 2, 0], [1, 0, 3], [4, 5, 0]]
        let values = [0.0, 2.0, 0.0, 1.0, 0.0, 3.0, 4.0, 5.0, 0.0];
        let entries = Entries::by_column(&values, 3);
        assert_eq!(entries.of(0), &[(1, 1.0), (2, 4.0)]);
        assert_eq!(entries.of(1), &[(0, 2.0), (2, 5.0)]);
        assert_eq!(entries.of(2), &[(1, 3.0)]);
        assert!(Entries::by_column(&[], 0).entries.is_empty());
    }

    /// Bit for bit the scalar sum in the entries' order, at every width (the 16- and 4-lane
    /// blocks and the scalar tail).
    #[test]
    fn combined_rows_are_the_sums_in_entry_order() {
        for width in [1, 3, 4, 9, 16, 21, 37, 96] {
            let rows: Vec<f32> = (0..7 * width)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.013)
                .collect();
            let entries = [(3, 0.7_f32), (0, -1.3), (6, 2.1), (3, 1e-3)];
            let mut out = vec![f32::NAN; width + 2];
            combine_rows(&entries, &rows, width, &mut out);
            for k in 0..width {
                let mut sum = 0.0_f32;
                for &(row_idx, g) in &entries {
                    sum += g * rows[row_idx * width + k];
                }
                assert_eq!(out[k].to_bits(), sum.to_bits(), "width {width}, value {k}");
            }
            assert!(out[width].is_nan(), "nothing past the width is written");
            combine_rows(&[], &rows, width, &mut out);
            assert!(out[..width].iter().all(|&v| v == 0.0));
        }
    }
}
