//! The GPU on a canvas: the SMs (lit while a kernel computes), HBM with reads and writes
//! streaming over the link between them, and the kernel timeline with a playhead, so every
//! kernel's trip to HBM and back is visible.

use leptos::html::Canvas;
use leptos::prelude::*;
use sim::gpu::{GpuSnapshot, Kernel, KernelPhase};
use web_sys::HtmlCanvasElement;

use crate::charts::canvas::{css_width, prepare_canvas, use_resize_tick};
use crate::charts::palette::{Palette, use_palette};

/// Height of the drawing in CSS pixels.
pub const GPU_CANVAS_HEIGHT: f64 = 256.0;
const PAD: f64 = 14.0;
const TOP_BAND: f64 = 150.0;

/// Columns and rows of the SM grid for `n_sms` SMs in a `w × h` box, and the cell side.
pub fn sm_grid(n_sms: u32, w: f64, h: f64) -> (u32, u32, f64) {
    let n = n_sms.max(1);
    let mut best = (n, 1, 0.0);
    for cols in 1..=n {
        let rows = n.div_ceil(cols);
        let side = (w / f64::from(cols)).min(h / f64::from(rows));
        if side > best.2 {
            best = (cols, rows, side);
        }
    }
    best
}

/// x of `cycle` on a timeline of `total` cycles drawn from `x0` over `width` pixels.
pub fn timeline_x(cycle: u64, total: u64, x0: f64, width: f64) -> f64 {
    if total == 0 {
        return x0;
    }
    // Cycle counts → f64 for a position only.
    x0 + width * (cycle.min(total) as f64 / total as f64)
}

/// Whether HBM traffic flows at `cycle` of kernel `k` (after the launch, for `memory` cycles).
pub fn hbm_streaming(k: &Kernel, cycle: u64) -> bool {
    let begin = k.start.0 + k.launch.0;
    cycle >= begin && cycle < begin + k.memory.0
}

/// Draws the GPU at `snap`.
pub fn draw_gpu(
    canvas: &HtmlCanvasElement,
    snap: &GpuSnapshot,
    kernels: &[Kernel],
    n_sms: u32,
    palette: &Palette,
) -> Option<()> {
    let w = css_width(canvas);
    let h = GPU_CANVAS_HEIGHT;
    let ctx = prepare_canvas(canvas, w, h)?;
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, w, h);
    ctx.set_font("12px system-ui, sans-serif");

    let current = snap.kernel_idx.and_then(|i| kernels.get(i));
    // During a launch no SM works yet; once launched the kernel's SMs compute, then wait.
    let active = match snap.phase {
        KernelPhase::Computing | KernelPhase::WaitingOnMemory => {
            current.map_or(0, |k| k.active_sms)
        }
        KernelPhase::Launching | KernelPhase::Done => 0,
    };
    let sm_colour = match snap.phase {
        KernelPhase::Computing => palette.busy,
        KernelPhase::WaitingOnMemory => palette.stalled,
        KernelPhase::Launching => palette.launching,
        KernelPhase::Done => palette.idle,
    };

    // SMs on the left 45%.
    let grid_w = (w - 3.0 * PAD) * 0.45;
    let grid_h = TOP_BAND - 2.0 * PAD - 14.0;
    let (cols, _rows, side) = sm_grid(n_sms, grid_w, grid_h);
    let gap = if side > 6.0 { 1.5 } else { 0.5 };
    for (lit, colour) in [(false, palette.idle), (true, sm_colour)] {
        ctx.begin_path();
        for i in 0..n_sms {
            if (i < active) == lit {
                let (cx, cy) = (f64::from(i % cols), f64::from(i / cols));
                ctx.rect(
                    PAD + cx * side,
                    PAD + 14.0 + cy * side,
                    side - gap,
                    side - gap,
                );
            }
        }
        ctx.set_fill_style_str(colour);
        ctx.fill();
    }
    ctx.set_fill_style_str(palette.text);
    let _ = ctx.fill_text(
        &format!("SMs ({active} of {n_sms} working)"),
        PAD,
        PAD + 8.0,
    );

    // HBM on the right.
    let hbm_w = (w - 3.0 * PAD) * 0.2;
    let hbm_x = w - PAD - hbm_w;
    let hbm_y = PAD + 14.0;
    let hbm_h = grid_h;
    ctx.set_fill_style_str(palette.launching);
    ctx.fill_rect(hbm_x, hbm_y, hbm_w, hbm_h);
    ctx.set_fill_style_str(palette.text);
    // Right-aligned to the canvas's edge: on a phone the HBM box is narrower than its label,
    // which, left-aligned at the box, ran off the canvas ("HBM (off chi").
    ctx.set_text_align("right");
    let _ = ctx.fill_text("HBM (off chip)", w - PAD, PAD + 8.0);
    ctx.set_text_align("left");
    let _ = ctx.fill_text(
        &snap.hbm_bytes.to_string(),
        hbm_x + 6.0,
        hbm_y + hbm_h / 2.0 + 4.0,
    );

    // The link: reads flow to the SMs (upper lane), writes to HBM (lower lane).
    let link_x0 = PAD + grid_w + PAD;
    let link_x1 = hbm_x - PAD;
    let lane_read = hbm_y + hbm_h * 0.35;
    let lane_write = hbm_y + hbm_h * 0.65;
    ctx.set_stroke_style_str(palette.grid);
    ctx.set_line_width(6.0);
    for lane in [lane_read, lane_write] {
        ctx.begin_path();
        ctx.move_to(link_x0, lane);
        ctx.line_to(link_x1, lane);
        ctx.stroke();
    }
    ctx.set_fill_style_str(palette.muted);
    let _ = ctx.fill_text("reads \u{2190}", link_x0, lane_read - 8.0);
    let _ = ctx.fill_text("writes \u{2192}", link_x0, lane_write + 18.0);
    if let Some(k) = current
        && hbm_streaming(k, snap.cycle.0)
    {
        let spacing = 22.0;
        let len = (link_x1 - link_x0).max(1.0);
        // The dots advance with simulated time, so a paused run stands still.
        let shift = (snap.cycle.0 % 64) as f64 / 64.0 * spacing;
        let mut x = 0.0;
        ctx.begin_path();
        while x < len {
            let read_x = link_x1 - ((x + shift) % len);
            let write_x = link_x0 + ((x + shift) % len);
            ctx.move_to(read_x + 3.0, lane_read);
            let _ = ctx.arc(read_x, lane_read, 3.0, 0.0, std::f64::consts::TAU);
            ctx.move_to(write_x + 3.0, lane_write);
            let _ = ctx.arc(write_x, lane_write, 3.0, 0.0, std::f64::consts::TAU);
            x += spacing;
        }
        ctx.set_fill_style_str(palette.channel(0));
        ctx.fill();
    }

    // Timeline: one bar per kernel, launch | compute | waiting on HBM.
    let total = kernels.last().map_or(0, |k| k.end().0);
    let tl_x = PAD;
    let tl_w = w - 2.0 * PAD;
    let tl_y = TOP_BAND + 26.0;
    let bar_h = 34.0;
    ctx.set_fill_style_str(palette.text);
    let _ = ctx.fill_text("Kernel timeline", tl_x, TOP_BAND + 14.0);
    for k in kernels {
        let start = k.start.0;
        let launch_end = start + k.launch.0;
        let compute_end = launch_end + k.compute.0;
        let end = k.end().0;
        for (a, b, colour) in [
            (start, launch_end, palette.launching),
            (launch_end, compute_end.min(end), palette.busy),
            (compute_end.min(end), end, palette.stalled),
        ] {
            if b > a {
                let x0 = timeline_x(a, total, tl_x, tl_w);
                let x1 = timeline_x(b, total, tl_x, tl_w);
                ctx.set_fill_style_str(colour);
                ctx.fill_rect(x0, tl_y, (x1 - x0).max(0.5), bar_h);
            }
        }
        let x0 = timeline_x(start, total, tl_x, tl_w);
        ctx.set_fill_style_str(palette.background);
        ctx.fill_rect(x0, tl_y, 1.0, bar_h);
    }
    // Not yet run: veiled.
    let now_x = timeline_x(snap.cycle.0, total, tl_x, tl_w);
    ctx.set_global_alpha(0.55);
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(now_x, tl_y, tl_x + tl_w - now_x, bar_h);
    ctx.set_global_alpha(1.0);
    ctx.set_fill_style_str(palette.selected);
    ctx.fill_rect(now_x - 1.0, tl_y - 6.0, 2.0, bar_h + 12.0);
    // Labels of kernels wide enough to hold one.
    ctx.set_fill_style_str(palette.muted);
    ctx.set_font("11px system-ui, sans-serif");
    for k in kernels {
        let x0 = timeline_x(k.start.0, total, tl_x, tl_w);
        let x1 = timeline_x(k.end().0, total, tl_x, tl_w);
        // About 6.5 px per character at 11 px: only names that fit their bar.
        if x1 - x0 > 6.5 * k.name.len() as f64 + 6.0 {
            let _ = ctx.fill_text(&k.name, x0 + 2.0, tl_y + bar_h + 14.0);
        }
    }
    ctx.set_fill_style_str(palette.text);
    ctx.set_font("12px system-ui, sans-serif");
    let phase = match (current, snap.phase) {
        (Some(k), KernelPhase::Launching) => format!("kernel {}: launching", k.name),
        (Some(k), KernelPhase::Computing) => format!("kernel {}: computing", k.name),
        (Some(k), KernelPhase::WaitingOnMemory) => format!("kernel {}: waiting on HBM", k.name),
        _ => "all kernels done".to_owned(),
    };
    let _ = ctx.fill_text(&phase, tl_x, tl_y + bar_h + 34.0);
    Some(())
}

/// The GPU, drawn whenever its snapshot or the theme changes.
#[component]
pub fn GpuCanvas(
    /// What the GPU is doing.
    #[prop(into)]
    snapshot: Signal<Option<GpuSnapshot>>,
    /// The planned kernels (fixed for a run).
    #[prop(into)]
    kernels: Signal<Vec<Kernel>>,
    /// SMs of the machine.
    #[prop(into)]
    n_sms: Signal<u32>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let palette = use_palette();
    let resized = use_resize_tick();
    Effect::new(move |_| {
        resized.track();
        let palette = palette.get();
        let n_sms = n_sms.get();
        if let Some(canvas) = canvas_ref.get() {
            snapshot.with(|snap| {
                kernels.with(|ks| {
                    if let Some(snap) = snap {
                        let _ = draw_gpu(&canvas, snap, ks, n_sms, &palette);
                    }
                });
            });
        }
    });
    view! {
        <canvas
            class="sim-canvas sim-canvas--gpu"
            data-testid="sim-gpu-canvas"
            node_ref=canvas_ref
            role="img"
            aria-label="The GPU's SMs, its HBM and the kernel timeline; the same information is in the metrics, the event log and the kernel table"
        ></canvas>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm_grids_use_the_box() {
        // 108 SMs in 300×100: 18 columns × 6 rows of 16.67 px beats squarer grids.
        let (cols, rows, side) = sm_grid(108, 300.0, 100.0);
        assert_eq!((cols, rows), (18, 6));
        assert!((side - 100.0 / 6.0).abs() < 1e-9);
        assert!(f64::from(cols) * side <= 300.0 && f64::from(rows) * side <= 100.0);
        assert_eq!(sm_grid(4, 300.0, 100.0), (4, 1, 75.0));
        assert_eq!(sm_grid(0, 10.0, 10.0).0, 1);
    }

    #[test]
    fn the_timeline_maps_cycles_to_pixels() {
        assert!((timeline_x(50, 200, 10.0, 400.0) - 110.0).abs() < 1e-9);
        assert!((timeline_x(500, 200, 10.0, 400.0) - 410.0).abs() < 1e-9);
        assert!((timeline_x(5, 0, 10.0, 400.0) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn hbm_streams_after_the_launch_for_the_memory_cycles() {
        let w = sim::workload::presets::gemv(784, 128).unwrap();
        let g = sim::gpu::GpuSim::new(sim::gpu::GpuConfig::a100_40gb_sxm(), &w).unwrap();
        let k = &g.kernels()[0];
        // Launch 5,640 cycles, then 1,587 cycles of HBM (the engine's GEMV test derives them:
        // 25 SMs drawing 25/108 of the bandwidth).
        assert!(!hbm_streaming(k, 5_639));
        assert!(hbm_streaming(k, 5_640));
        assert!(hbm_streaming(k, 7_226));
        assert!(!hbm_streaming(k, 7_227));
    }
}
