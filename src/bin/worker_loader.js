// Loads the MNIST lab's training worker (the `worker` bin, built by trunk as worker.js and
// worker_bg.wasm beside this file). Ours rather than trunk's `data-loader-shim`, which calls
// the wasm-bindgen initialiser with a bare path and so logs a deprecation warning.
importScripts("./worker.js");
wasm_bindgen({ module_or_path: "./worker_bg.wasm" });
