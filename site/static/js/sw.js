/* Linli service worker, served at /sw.js by core/pwa.py (which fills in the version and the
 * list of files to precache).
 *
 * - Static files (/static/...): cache first; their names change with their content in
 *   production, and the worker's version changes with them.
 * - Pages: network first. A page the phone kept (the propose and help forms, see pwa.js) is
 *   shown from the cache when the network fails, any other page gets the offline page.
 *   A form sent while the connection drops also gets the offline page: the draft is on the
 *   phone (pwa.js) and is sent when the connection returns.
 * - /jsi18n/?v=<language> (the translations of the scripts, asked for by every page): the
 *   cached copy at once, refreshed in the background (one round trip less per page).
 * - The API, the WebSocket, the admin and sign-in pages are never cached.
 */
"use strict";

var VERSION = "__VERSION__";
var PRECACHE = "__PRECACHE__";
var STATIC_CACHE = "linli-static-" + VERSION;
var PAGES_CACHE = "linli-pages"; // kept across versions: the forms a person kept; pwa.js fills it
var OFFLINE_URL = "/offline/";
var CATALOG_PATH = "/jsi18n/";
var NEVER = ["/api/", "/ws/", "/admin/", "/accounts/", "/_allauth/", "/sw.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(function (cache) {
      return cache.addAll(PRECACHE);
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("linli-static-") === 0 && name !== STATIC_CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  // Signing out: the kept pages are the person's own.
  if (data.type === "linli:clear-pages") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
  // A page names the translations it uses, so that they are there offline too.
  if (data.type === "linli:keep-catalog" && typeof data.url === "string") {
    var url = new URL(data.url, self.location.href);
    if (url.origin === self.location.origin && url.pathname === CATALOG_PATH) {
      event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
        return cache.match(url.href).then(function (hit) {
          return hit || cache.add(url.href);
        });
      }).catch(function () {}));
    }
  }
});

function offlinePage() {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(OFFLINE_URL);
  }).then(function (response) {
    return response || new Response("<h1>Offline</h1>", {
      status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}
    });
  });
}

function cacheFirst(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request, {ignoreSearch: true}).then(function (hit) {
      if (hit) {
        return hit;
      }
      return fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") {
          cache.put(request, response.clone());
        }
        return response;
      });
    });
  });
}

function catalog(event) {
  // Keyed by the full URL: its ?v= names the language of the page that asks for it.
  var request = event.request;
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) {
          return cache.put(request, response.clone()).then(function () { return response; });
        }
        return response;
      });
      if (hit) {
        event.waitUntil(fresh.catch(function () {}));
        return hit;
      }
      return fresh.catch(function () {
        // No translations offline: the scripts fall back to their own (English) words.
        return new Response("", {headers: {"Content-Type": "text/javascript"}});
      });
    });
  });
}

function page(request) {
  var url = new URL(request.url);
  var key = url.origin + url.pathname;
  return fetch(request).then(function (response) {
    if (request.method === "GET" && response.ok && response.type === "basic") {
      // Refresh a page the phone keeps; others are not stored.
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) {
        return cache.match(key).then(function (kept) {
          if (kept) {
            return cache.put(key, copy);
          }
        });
      });
    }
    return response;
  }).catch(function () {
    if (request.method !== "GET") {
      return offlinePage();
    }
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.match(key);
    }).then(function (kept) {
      return kept || offlinePage();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  for (var i = 0; i < NEVER.length; i++) {
    if (url.pathname.indexOf(NEVER[i]) === 0) {
      return;
    }
  }
  if (request.mode === "navigate") {
    event.respondWith(page(request));
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname === CATALOG_PATH) {
    event.respondWith(catalog(event));
  }
});
