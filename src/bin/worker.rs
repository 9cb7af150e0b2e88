//! The MNIST lab's training Web Worker: trunk links this bin with `data-type="worker"`.
//! Everything it does is in `testbed_lab::training` (the glue in `training::worker`).

fn main() {
    #[cfg(target_arch = "wasm32")]
    testbed_lab::training::worker::start();
}
