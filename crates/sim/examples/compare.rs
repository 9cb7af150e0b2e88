//! The same workload on the GPU model and on the mesh: where the bytes go.
//!
//! `cargo run --release -p sim --example compare`

use sim::engine::Engine;
use sim::gpu::{GpuConfig, GpuSim};
use sim::units::Cycle;
use sim::workload::presets;
use sim::wse::{GemvRun, WseConfig};

fn main() -> Result<(), sim::SimError> {
    for batch in [1, 8] {
        let w = presets::mnist_mlp_layer(batch)?;
        println!("== {} ==\n{w}", w.name);
        for gpu in [
            GpuConfig::a100_40gb_sxm(),
            GpuConfig::a100_40gb_sxm_with_l2(),
        ] {
            let m = GpuSim::new(gpu, &w)?.run_to_end();
            println!("{m}\n");
        }
        let mut mesh = GemvRun::from_workload(WseConfig::wse2(8, 8), &w, 1)?;
        let _ = mesh.run_until(Cycle(u64::MAX));
        println!("{}\n", mesh.metrics());
    }
    Ok(())
}
