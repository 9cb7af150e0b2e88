// The offline copy of the site (a service worker, registered by src/offline.rs).
//
// - Installing saves every file of one build into one cache, named after the build's version.
// - Every request for a file under this worker's folder is answered from that cache first, so
//   a page is always served whole from one build; requests to other origins are never touched.
// - A new deployment (a different BUILD, so a different sw.js) installs beside the old one
//   and waits. The page offers "reload"; only then does it take over, delete the old copy and
//   every open page of the site reloads onto the new build.
//
// `cargo xtask build` replaces the BUILD line below with the build's version (a hash of every
// file of dist/) and its file list. A build that did not go through xtask (`trunk serve`) keeps
// `null`: the worker then saves nothing, answers nothing, and removes any older offline copy.
const BUILD = null; // testbed-lab: precache list

const SCOPE = self.registration.scope; // this worker's folder, ending in "/"
const CACHE_PREFIX = "testbed-lab " + SCOPE + " ";
const CACHE_NAME = BUILD ? CACHE_PREFIX + BUILD.version : null;

self.addEventListener("install", (event) => {
  if (BUILD) {
    event.waitUntil(saveBuild());
  }
});

async function saveBuild() {
  const cache = await caches.open(CACHE_NAME);
  try {
    // From the server, never from the HTTP cache: the files must all be this build's.
    const requests = BUILD.files.map((path) => new Request(new URL(path, SCOPE), { cache: "reload" }));
    await cache.addAll(requests);
  } catch (error) {
    // Installing fails as a whole; the browser tries again on a later visit.
    await caches.delete(CACHE_NAME);
    throw error;
  }
}

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const mine = (await caches.keys()).filter((name) => name.startsWith(CACHE_PREFIX));
      const older = mine.filter((name) => name !== CACHE_NAME);
      await Promise.all(older.map((name) => caches.delete(name)));
      // The first copy takes the open page at once (it is the build that page came from, or
      // newer only if a deployment happened in between); an update only ever takes over
      // when the learner asked for it, and then every page reloads.
      if (older.length === 0 || !BUILD) {
        await self.clients.claim();
      }
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "testbed-lab: take over") {
    self.skipWaiting();
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (!BUILD || request.method !== "GET" || !request.url.startsWith(SCOPE)) {
    return; // the browser's own handling: other origins, other folders, non-GET
  }
  event.respondWith(answer(request));
});

async function answer(request) {
  const cache = await caches.open(CACHE_NAME);
  // The site is one page: the route lives in the address's fragment, so opening the folder
  // or index.html (with any query) is index.html.
  const path = new URL(request.url).pathname;
  const scopePath = new URL(SCOPE).pathname;
  const isPage = request.mode === "navigate" && (path === scopePath || path === scopePath + "index.html");
  const key = isPage ? new URL("index.html", SCOPE).href : request;
  const saved = await cache.match(key, { ignoreSearch: true });
  if (!saved) {
    return fetch(request);
  }
  if (saved.url === request.url) {
    return saved;
  }
  // Saved under another address (`worker_loader.js` for `worker_loader.js?lab=bert`, index.html
  // for the folder): a fresh response has no address of its own, so a worker or page started
  // from it keeps the one it asked for (the worker reads its lab from its query).
  return new Response(saved.body, {
    status: saved.status,
    statusText: saved.statusText,
    headers: saved.headers,
  });
}
