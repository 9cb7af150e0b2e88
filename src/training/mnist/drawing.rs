//! A drawn digit made to look like an MNIST digit, the way the MNIST images were made: the
//! ink's bounding box scaled (keeping its aspect ratio) to fit a 20×20 box with area
//! averaging, then placed in a 28×28 image so that its centre of mass is at the centre.

/// Side of an MNIST image.
pub const SIDE: usize = 28;
/// Side of the box the digit is scaled into.
pub const BOX: usize = 20;
/// Pixels at or below this count as background when finding the ink.
const INK_THRESHOLD: u8 = 24;

/// The 28×28 MNIST-style image of a `width × height` greyscale drawing (row-major, ink high,
/// background 0), or `None` when nothing is drawn.
///
/// # Panics
/// If `pixels.len() != width · height`.
pub fn mnist_style(pixels: &[u8], width: usize, height: usize) -> Option<Vec<u8>> {
    assert_eq!(pixels.len(), width * height, "a width × height image");
    // The ink's bounding box.
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if pixels[y * width + x] > INK_THRESHOLD {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    if x0 == usize::MAX {
        return None;
    }
    let (crop_w, crop_h) = (x1 - x0 + 1, y1 - y0 + 1);
    // Target size: the longer side becomes BOX, the other keeps the aspect ratio.
    let scale = BOX as f64 / crop_w.max(crop_h) as f64;
    let target_w = ((crop_w as f64 * scale).round() as usize).clamp(1, BOX);
    let target_h = ((crop_h as f64 * scale).round() as usize).clamp(1, BOX);
    // Area averaging: every target pixel is the mean of the source pixels whose centres fall
    // in it; when scaling up, the nearest source pixel.
    let mut sums = vec![0.0_f64; target_w * target_h];
    let mut counts = vec![0_u32; target_w * target_h];
    for sy in 0..crop_h {
        let ty = ((sy as f64 + 0.5) * target_h as f64 / crop_h as f64) as usize;
        for sx in 0..crop_w {
            let tx = ((sx as f64 + 0.5) * target_w as f64 / crop_w as f64) as usize;
            let t = ty.min(target_h - 1) * target_w + tx.min(target_w - 1);
            sums[t] += f64::from(pixels[(y0 + sy) * width + x0 + sx]);
            counts[t] += 1;
        }
    }
    let mut small = vec![0.0_f64; target_w * target_h];
    for ty in 0..target_h {
        for tx in 0..target_w {
            let t = ty * target_w + tx;
            small[t] = if counts[t] > 0 {
                sums[t] / f64::from(counts[t])
            } else {
                let sx = ((tx as f64 + 0.5) * crop_w as f64 / target_w as f64) as usize;
                let sy = ((ty as f64 + 0.5) * crop_h as f64 / target_h as f64) as usize;
                f64::from(pixels[(y0 + sy.min(crop_h - 1)) * width + x0 + sx.min(crop_w - 1)])
            };
        }
    }
    // Strokes as dark as MNIST's: the brightest pixel becomes 255.
    let peak = small.iter().copied().fold(0.0_f64, f64::max);
    if peak <= 0.0 {
        return None;
    }
    // Centre of mass of the scaled digit, placed at the image's centre (clamped inside).
    let mass: f64 = small.iter().sum();
    let (mut cx, mut cy) = (0.0, 0.0);
    for ty in 0..target_h {
        for tx in 0..target_w {
            let v = small[ty * target_w + tx];
            cx += (tx as f64 + 0.5) * v;
            cy += (ty as f64 + 0.5) * v;
        }
    }
    let (cx, cy) = (cx / mass, cy / mass);
    let place = |centre: f64, size: usize| -> usize {
        let offset = (SIDE as f64 / 2.0 - centre).round();
        (offset.max(0.0) as usize).min(SIDE - size)
    };
    let (ox, oy) = (place(cx, target_w), place(cy, target_h));
    let mut out = vec![0_u8; SIDE * SIDE];
    for ty in 0..target_h {
        for tx in 0..target_w {
            let v = small[ty * target_w + tx] / peak * 255.0;
            out[(oy + ty) * SIDE + ox + tx] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canvas(width: usize, height: usize, ink: impl Fn(usize, usize) -> bool) -> Vec<u8> {
        (0..width * height)
            .map(|i| if ink(i % width, i / width) { 255 } else { 0 })
            .collect()
    }

    fn ink_box(image: &[u8]) -> (usize, usize, usize, usize) {
        let lit: Vec<(usize, usize)> = (0..SIDE * SIDE)
            .filter(|&i| image[i] > INK_THRESHOLD)
            .map(|i| (i % SIDE, i / SIDE))
            .collect();
        (
            lit.iter().map(|p| p.0).min().unwrap(),
            lit.iter().map(|p| p.1).min().unwrap(),
            lit.iter().map(|p| p.0).max().unwrap(),
            lit.iter().map(|p| p.1).max().unwrap(),
        )
    }

    #[test]
    fn nothing_drawn_is_none() {
        assert_eq!(mnist_style(&[0; 100], 10, 10), None);
        assert_eq!(mnist_style(&[INK_THRESHOLD; 100], 10, 10), None);
    }

    #[test]
    fn a_square_in_a_corner_becomes_a_centred_20_pixel_square() {
        // A 100×100 square in the top-left corner of a 280×280 canvas.
        let image = mnist_style(&canvas(280, 280, |x, y| x < 100 && y < 100), 280, 280).unwrap();
        // 20×20, centre of mass at (14, 14): columns and rows 4..24.
        assert_eq!(ink_box(&image), (4, 4, 23, 23));
        assert_eq!(image[4 * SIDE + 4], 255);
    }

    #[test]
    fn a_tall_stroke_keeps_its_aspect_ratio() {
        // A 20-wide, 200-tall bar: scaled to 2×20, centred.
        let image = mnist_style(
            &canvas(280, 280, |x, y| {
                (130..150).contains(&x) && (40..240).contains(&y)
            }),
            280,
            280,
        )
        .unwrap();
        assert_eq!(ink_box(&image), (13, 4, 14, 23));
    }

    #[test]
    fn a_tiny_dot_is_scaled_up_not_lost() {
        let image = mnist_style(&canvas(50, 50, |x, y| x == 10 && y == 12), 50, 50).unwrap();
        assert_eq!(ink_box(&image), (4, 4, 23, 23));
    }

    #[test]
    fn the_centre_of_mass_not_the_box_is_centred() {
        // An "L": its mass sits low and left, so the box moves up and right of the centred place.
        let image = mnist_style(
            &canvas(200, 200, |x, y| {
                (x < 20 && y < 200) || (y >= 160 && x < 200)
            }),
            200,
            200,
        )
        .unwrap();
        let (x0, y0, x1, y1) = ink_box(&image);
        assert_eq!((x1 - x0 + 1, y1 - y0 + 1), (20, 20));
        assert!(y0 < 4 && x0 > 4, "shifted up and right: {:?}", (x0, y0));
    }
}
