// Loaded first, before anything the Content-Security-Policy could refuse: keeps every
// violation of this page's policy in `window.__cspViolations` (the journeys read it; so can a
// person in the console, e.g. after adding the policy as a header on their host).
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample
  });
});
