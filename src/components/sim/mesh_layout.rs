//! Where things go on the mesh canvas: the cell of each PE, the PE under a click, and where
//! a wavelet sits between two PEs. Plain arithmetic in CSS pixels, tested natively.

use sim::wse::Port;

/// Room around the mesh for the edge arrows (data in from the north, results out east).
pub const MARGIN: f64 = 18.0;

/// The geometry of one drawing of a `width × height` mesh.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeshLayout {
    /// Side of a PE's square, with its share of the gap.
    pub pitch: f64,
    /// Gap between two PEs.
    pub gap: f64,
    /// Mesh width in PEs.
    pub width: u32,
    /// Mesh height in PEs.
    pub height: u32,
}

impl MeshLayout {
    /// Fits the mesh into `css_width` pixels, and at most `max_height` tall.
    pub fn fit(css_width: f64, max_height: f64, width: u32, height: u32) -> Self {
        let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
        let by_width = (css_width - 2.0 * MARGIN).max(w) / w;
        let by_height = (max_height - 2.0 * MARGIN).max(h) / h;
        let pitch = by_width.min(by_height).max(1.0);
        let gap = if pitch >= 8.0 {
            (pitch * 0.12).min(4.0)
        } else {
            0.0
        };
        Self {
            pitch,
            gap,
            width: width.max(1),
            height: height.max(1),
        }
    }

    /// Size of the whole drawing in CSS pixels.
    pub fn size(&self) -> (f64, f64) {
        (
            2.0 * MARGIN + self.pitch * f64::from(self.width),
            2.0 * MARGIN + self.pitch * f64::from(self.height),
        )
    }

    /// The square of PE (`x`, `y`): left, top, side.
    pub fn cell(&self, x: u32, y: u32) -> (f64, f64, f64) {
        (
            MARGIN + self.pitch * f64::from(x) + self.gap / 2.0,
            MARGIN + self.pitch * f64::from(y) + self.gap / 2.0,
            self.pitch - self.gap,
        )
    }

    /// The PE under the point (`px`, `py`), if any (a click in a gap picks the nearest).
    pub fn pe_at(&self, px: f64, py: f64) -> Option<(u32, u32)> {
        let fx = ((px - MARGIN) / self.pitch).floor();
        let fy = ((py - MARGIN) / self.pitch).floor();
        let inside = |v: f64, n: u32| v >= 0.0 && v < f64::from(n);
        // Both are whole numbers in [0, n) here, so the casts are exact.
        (inside(fx, self.width) && inside(fy, self.height)).then_some((fx as u32, fy as u32))
    }

    /// Where to draw a wavelet that sits in PE (`x`, `y`)'s router, having come in by
    /// `from`: on the side of the cell facing that port (the centre for the ramp), shifted
    /// along the side by its color so two colors on one link do not hide each other.
    pub fn wavelet_at(&self, x: u32, y: u32, from: Port, color: u8) -> (f64, f64) {
        let (left, top, side) = self.cell(x, y);
        let (cx, cy) = (left + side / 2.0, top + side / 2.0);
        let lane = (f64::from(color % 3) - 1.0) * side * 0.28;
        let edge = side * 0.5;
        match from {
            Port::Ramp => (cx + lane, cy),
            Port::North => (cx + lane, cy - edge),
            Port::South => (cx + lane, cy + edge),
            Port::West => (cx - edge, cy + lane),
            Port::East => (cx + edge, cy + lane),
        }
    }

    /// Radius of a wavelet dot.
    pub fn dot_radius(&self) -> f64 {
        (self.pitch * 0.13).clamp(1.2, 5.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_32_by_32_mesh_fits_the_column_and_clicks_map_back() {
        let l = MeshLayout::fit(800.0, 640.0, 32, 32);
        // Height-bound: (640 - 36) / 32 = 18.875 px per PE.
        assert!((l.pitch - 18.875).abs() < 1e-9);
        let (w, h) = l.size();
        assert!(w <= 800.0 && h <= 640.0 + 1e-9);
        for (x, y) in [(0, 0), (31, 0), (5, 17), (31, 31)] {
            let (left, top, side) = l.cell(x, y);
            assert_eq!(l.pe_at(left + side / 2.0, top + side / 2.0), Some((x, y)));
        }
        assert_eq!(l.pe_at(5.0, 5.0), None, "the margin is no PE");
        assert_eq!(l.pe_at(w - 1.0, 100.0), None);
    }

    #[test]
    fn tiny_and_degenerate_meshes_still_lay_out() {
        let l = MeshLayout::fit(300.0, 640.0, 1, 1);
        assert!((l.pitch - 264.0).abs() < 1e-9, "{l:?}");
        let wide = MeshLayout::fit(100.0, 640.0, 128, 2);
        assert!(wide.pitch >= 1.0 && wide.gap == 0.0);
        let zero = MeshLayout::fit(0.0, 0.0, 0, 0);
        assert_eq!((zero.width, zero.height), (1, 1));
        assert!(zero.pitch >= 1.0);
    }

    #[test]
    fn wavelets_sit_on_the_side_they_came_in_by() {
        let l = MeshLayout::fit(436.0, 1_000.0, 4, 4); // pitch 100
        let (left, top, side) = l.cell(1, 1);
        let (x, y) = l.wavelet_at(1, 1, Port::North, 1);
        assert!((y - top).abs() < 1e-9 && (x - (left + side / 2.0)).abs() < 1e-9);
        let (x, _) = l.wavelet_at(1, 1, Port::West, 0);
        assert!((x - left).abs() < 1e-9);
        // Colors 0 and 2 on the same link are apart.
        let a = l.wavelet_at(1, 1, Port::West, 0);
        let b = l.wavelet_at(1, 1, Port::West, 2);
        assert!((a.1 - b.1).abs() > side * 0.5);
    }
}
