// Starts the app: loads wasm-bindgen's module and the app's wasm. Trunk would inline this as a
// <script type="module">, which the Content-Security-Policy (script-src 'self') refuses, so
// Trunk.toml's `pattern_script` emits `<script type="module" src="start.js" data-js=… data-wasm=…>`
// instead: trunk fills in the hashed file names, this file reads them from that tag.
const tag = document.querySelector("script[data-app-js][data-app-wasm]");
const base = document.baseURI;
const { default: init } = await import(new URL(tag.dataset.appJs, base).href);
await init({ module_or_path: new URL(tag.dataset.appWasm, base).href });
