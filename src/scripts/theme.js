// Applies the stored or system theme before the app loads, so the page never flashes.
// A classic script in <head>: it runs before the body is parsed. `src/theme.rs` takes over
// once the app runs (and owns the storage key).
(function () {
  var theme = null;
  try { theme = window.localStorage.getItem("testbed-lab.theme"); } catch (e) {}
  if (theme !== "light" && theme !== "dark") {
    theme = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.setAttribute("data-theme", theme);
})();
