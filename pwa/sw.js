// The service worker: the app shell from a versioned cache, pages network-first with the last copy kept for offline.
"use strict";

const VERSION = "2026-12-04.1";   // a new version fetches the shell again (the page script and styles of issue 15)
const SHELL = `ce-shell-${VERSION}`;
const PAGES = `ce-pages-${VERSION}`;
const SHELL_FILES = ["/static/app.css", "/static/app.js", "/static/vendor/htmx.min.js", "/offline",
  "/manifest.webmanifest", "/static/icons/icon-192.png", "/static/icons/icon-512.png"];
// Pages never kept: they carry one-time tokens, or mean nothing offline.
const NEVER_CACHED = ["/login", "/logout", "/sw.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== SHELL && name !== PAGES) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function shellFirst(request) {
  const cached = await caches.match(request);
  const fresh = fetch(request).then(async (response) => {
    if (response.ok) await (await caches.open(SHELL)).put(request, response.clone());
    return response;
  });
  if (cached) { fresh.catch(() => {}); return cached; }
  return fresh;
}

async function pageNetworkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) {
      const cache = await caches.open(PAGES);
      await cache.put(request, response.clone());
      // Having seen home, keep the form too, so that hours can be added on the next offline start.
      if (new URL(request.url).pathname === "/") cache.add("/records/new").catch(() => {});
    }
    return response;
  } catch (e) {
    return (await caches.match(request, { cacheName: PAGES })) || (await caches.match("/offline"));
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(shellFirst(request));
  } else if (request.mode === "navigate" && !NEVER_CACHED.includes(url.pathname) && !url.pathname.startsWith("/api/")) {
    event.respondWith(pageNetworkFirst(request));
  }
});
