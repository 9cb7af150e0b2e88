//! The site's entry point (trunk builds this bin to wasm).

fn main() {
    testbed_lab::mount();
}
