//! `draw_heatmap`: an attention map (row `i`: how much token `i` draws from each token) as a
//! grid of squares whose strength is the probability relative to the map's largest, tokens
//! named along both edges.

use web_sys::HtmlCanvasElement;

use super::canvas::prepare_canvas;
use super::palette::Palette;

/// Room for the token names on the left and on top, in CSS pixels.
const LABEL_ROOM: f64 = 72.0;

/// Draws `matrix` (square, rows summing to 1) on `canvas`, `width` CSS pixels wide, with
/// `tokens` (one per row) along the edges; returns the height used.
pub fn draw_heatmap(
    canvas: &HtmlCanvasElement,
    matrix: &[Vec<f32>],
    tokens: &[String],
    width: f64,
    palette: &Palette,
) -> f64 {
    let n = matrix.len().max(1);
    let grid = (width - LABEL_ROOM).clamp(60.0, 420.0);
    let cell = grid / n as f64;
    let height = LABEL_ROOM + grid;
    let Some(ctx) = prepare_canvas(canvas, LABEL_ROOM + grid, height) else {
        return height;
    };
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, LABEL_ROOM + grid, height);
    let largest = matrix
        .iter()
        .flatten()
        .copied()
        .fold(f32::MIN_POSITIVE, f32::max);
    for (i, row) in matrix.iter().enumerate() {
        for (j, &p) in row.iter().enumerate() {
            ctx.set_global_alpha(f64::from((p / largest).clamp(0.0, 1.0)));
            ctx.set_fill_style_str(palette.memory_bar);
            ctx.fill_rect(
                LABEL_ROOM + j as f64 * cell,
                LABEL_ROOM + i as f64 * cell,
                cell.ceil(),
                cell.ceil(),
            );
        }
    }
    ctx.set_global_alpha(1.0);
    ctx.set_stroke_style_str(palette.grid);
    ctx.stroke_rect(LABEL_ROOM, LABEL_ROOM, grid, grid);
    // Token names only when they fit (12 px a row).
    if cell >= 11.0 {
        ctx.set_fill_style_str(palette.text);
        ctx.set_font(&format!(
            "{:.0}px system-ui, sans-serif",
            cell.min(13.0) - 1.0
        ));
        for (i, token) in tokens.iter().enumerate().take(n) {
            let short: String = token.chars().take(9).collect();
            let y = LABEL_ROOM + (i as f64 + 0.75) * cell;
            ctx.set_text_align("right");
            let _ = ctx.fill_text(&short, LABEL_ROOM - 4.0, y);
            ctx.save();
            let _ = ctx.translate(LABEL_ROOM + (i as f64 + 0.75) * cell, LABEL_ROOM - 4.0);
            let _ = ctx.rotate(-std::f64::consts::FRAC_PI_2);
            ctx.set_text_align("left");
            let _ = ctx.fill_text(&short, 0.0, 0.0);
            ctx.restore();
        }
    }
    height
}

/// For each row token, the token it attends to most and how much: the text alternative of a
/// map.
pub fn strongest_links(matrix: &[Vec<f32>], tokens: &[String]) -> Vec<(String, String, f32)> {
    matrix
        .iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let (j, &p) = row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
            Some((tokens.get(i)?.clone(), tokens.get(j)?.clone(), p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_is_paired_with_the_token_it_attends_to_most() {
        let tokens = vec!["[CLS]".to_string(), "good".into(), "[SEP]".into()];
        let matrix = vec![
            vec![0.2, 0.7, 0.1],
            vec![0.5, 0.25, 0.25],
            vec![0.1, 0.1, 0.8],
        ];
        assert_eq!(
            strongest_links(&matrix, &tokens),
            vec![
                ("[CLS]".into(), "good".into(), 0.7),
                ("good".into(), "[CLS]".into(), 0.5),
                ("[SEP]".into(), "[SEP]".into(), 0.8)
            ]
        );
    }
}
