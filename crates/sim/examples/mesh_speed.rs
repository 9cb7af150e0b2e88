//! Native speed of the mesh simulator, in PE-cycles per second.
//!
//! `cargo run --release -p sim --example mesh_speed`

use std::time::Instant;

fn main() -> Result<(), sim::SimError> {
    for (w, h, cycles) in [(32u32, 32u32, 40_000u64), (64, 64, 10_000)] {
        // Warm up caches and the allocator.
        let _ = sim::bench::mesh_pe_cycles_on(w, h, 500)?;
        let t = Instant::now();
        let pe_cycles = sim::bench::mesh_pe_cycles_on(w, h, cycles)?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "{w}×{h} mesh, {cycles} cycles: {pe_cycles} PE-cycles in {s:.3} s = {:.1} M PE-cycles/s \
             ({:.0} mesh cycles/s)",
            pe_cycles as f64 / s / 1e6,
            cycles as f64 / s
        );
    }
    Ok(())
}
