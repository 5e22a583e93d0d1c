/* Linli on the phone: the service worker, and drafts that survive a weak connection.
 *
 * Every page loads this script (templates/base.html, after /jsi18n/ for gettext).
 *
 * 1. Registers /sw.js (site/static/js/sw.js) for the whole site.
 * 2. A form marked data-offline-draft="proposal" or "need" keeps what is being written in
 *    localStorage ("linli.drafts"), saved on every input, restored when the form is opened again,
 *    and carries a hidden client_key (a UUID per draft) so that however often it is sent, the
 *    server files it once (core/drafts.py).
 * 3. Sending: offline, the draft is queued and the page says it will be sent when the connection
 *    returns; online, the form is sent as usual and the draft waits in the queue until the server
 *    confirms. The queue is sent through the JSON API (session + CSRF header) on the `online`
 *    event and on every page load, one draft after the other, each exactly once: a draft that was
 *    already filed comes back as the proposal or request it made. Refusals (400 with the field
 *    errors, 403, 409) turn the draft back into one to correct; 401, 429 and network failures
 *    keep it queued. A draft is only removed once the server has it.
 * 4. The offline page (templates/offline.html, shown by sw.js in place of a page it cannot load)
 *    lists the drafts kept on the phone. What it says of a draft it sent is said again by the
 *    page that replaces it, in the same tab.
 */
(function () {
  "use strict";

  var STORE = "linli.drafts";
  var SENT = "sent:"; // drafts sent with the form, waiting for the server's confirmation
  var PAGES_CACHE = "linli-pages";
  var RETRY_MS = 30000;
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj, named) {
    return named ? fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); })
      : fmt.replace(/%s/g, function () { return String(obj.shift()); });
  };
  var root = document.documentElement;

  /* ---- service worker ---------------------------------------------------------------------- */

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) {
      return Promise.resolve(null);
    }
    return navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var catalog = document.querySelector("script[src*='/jsi18n/']");
      if (catalog && registration.active) {
        registration.active.postMessage({type: "linli:keep-catalog", url: catalog.src});
      }
      return registration;
    }).catch(function () { return null; });
  }

  function keepPageOffline() {
    // The form pages are kept so that they open without a connection (sw.js serves them).
    if (!window.caches) {
      return Promise.resolve();
    }
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.add(location.origin + location.pathname);
    }).catch(function () {});
  }

  function forgetPagesOnSignOut() {
    document.addEventListener("submit", function (event) {
      var action = event.target.getAttribute("action") || "";
      if (action.indexOf("/accounts/logout/") === -1) {
        return;
      }
      if (window.caches) {
        caches.delete(PAGES_CACHE);
      }
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({type: "linli:clear-pages"});
      }
    }, true);
  }

  /* ---- storage ----------------------------------------------------------------------------- */

  function loadAll() {
    try {
      return JSON.parse(localStorage.getItem(STORE) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function saveAll(all) {
    try {
      localStorage.setItem(STORE, JSON.stringify(all));
      return true;
    } catch (e) {
      return false;
    }
  }

  function update(id, fn) {
    var all = loadAll();
    var next = fn(all[id] || null);
    if (next) {
      all[id] = next;
    } else {
      delete all[id];
    }
    saveAll(all);
    return next;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); });
    return [h.slice(0, 4).join(""), h.slice(4, 6).join(""), h.slice(6, 8).join(""),
      h.slice(8, 10).join(""), h.slice(10).join("")].join("-");
  }

  /* ---- messages ---------------------------------------------------------------------------- */

  function noticeBox(form) {
    var box = form ? form.querySelector("[data-draft-status]") : null;
    if (!box) {
      box = document.getElementById("linli-draft-notice");
    }
    if (!box) {
      box = document.createElement("div");
      box.id = "linli-draft-notice";
      box.className = "draft-status";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      var main = document.getElementById("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    return box;
  }

  function say(form, kind, text, link) {
    var box = noticeBox(form);
    var p = document.createElement("p");
    p.className = "message message-" + kind;
    p.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      p.appendChild(document.createTextNode(" "));
      p.appendChild(a);
    }
    box.textContent = "";
    box.appendChild(p);
    box.hidden = false;
    box.setAttribute("data-state", kind);
    if (started && box.scrollIntoView) {
      // Said in answer to a tap or to the connection coming back: make sure it is seen.
      box.scrollIntoView({block: "nearest"});
    }
    return p;
  }

  function queuedText(kind) {
    return kind === "need"
      ? gettext("No connection: your request for help is saved on this phone and will be sent by itself when the connection returns.")
      : gettext("No connection: your proposal is saved on this phone and will be sent by itself when the connection returns.");
  }

  /* ---- the forms --------------------------------------------------------------------------- */

  var FIELDS = {
    proposal: ["on_behalf_of", "title", "category", "body", "location"],
    need: ["on_behalf_of", "community", "category", "description", "private"]
  };

  function draftId(form) {
    return form.getAttribute("data-offline-draft") + ":" + (form.getAttribute("data-draft-user") || "") +
      ":" + location.pathname;
  }

  function readFields(form, kind) {
    var out = {};
    FIELDS[kind].forEach(function (name) {
      var el = form.elements[name];
      if (!el) {
        return;
      }
      out[name] = el.type === "checkbox" ? el.checked : el.value;
    });
    return out;
  }

  function writeFields(form, fields) {
    Object.keys(fields || {}).forEach(function (name) {
      var el = form.elements[name];
      if (!el) {
        return;
      }
      if (el.type === "checkbox") {
        el.checked = !!fields[name];
      } else {
        el.value = fields[name];
      }
    });
  }

  function hasText(fields) {
    return Object.keys(fields).some(function (k) {
      return typeof fields[k] === "string" && fields[k].trim() && k !== "category" && k !== "community";
    });
  }

  function label(kind, fields) {
    var text = (kind === "need" ? fields.description : fields.title) || "";
    return text.length > 40 ? text.slice(0, 40) + "…" : text;
  }

  function bindForm(form) {
    var kind = form.getAttribute("data-offline-draft");
    if (!FIELDS[kind]) {
      return null;
    }
    var id = draftId(form);
    var user = form.getAttribute("data-draft-user") || "";
    var keyInput = form.elements.client_key;
    var serverKey = keyInput && keyInput.value;
    var draft = loadAll()[id];
    if (draft && draft.user !== user) {
      draft = null;
    }
    if (serverKey) {
      // The server sent the form back (a field to correct): it holds what was sent, and the
      // draft is one to edit again, no longer one waiting for the server.
      update(SENT + serverKey, function () { return null; });
      draft = update(id, function (old) {
        return makeDraft(form, kind, id, serverKey, old && old.key === serverKey ? old : {}, "editing");
      });
    } else if (draft) {
      writeFields(form, draft.fields);
      if (draft.state === "queued") {
        say(form, "info", queuedText(kind));
        root.setAttribute("data-draft", "queued");
      } else if (draft.error) {
        say(form, "error", draft.error);
      } else {
        say(form, "info", gettext("The draft you were writing on this phone is back."));
      }
    }
    if (keyInput) {
      keyInput.value = draft ? draft.key : newKey();
    }

    function store(state, submit) {
      return update(id, function (old) {
        var d = makeDraft(form, kind, id, keyInput ? keyInput.value : newKey(), old || {}, state);
        if (submit !== undefined) {
          d.submit = submit;
        }
        return d;
      });
    }

    function onEdit() {
      var old = loadAll()[id];
      if (!old && !hasText(readFields(form, kind))) {
        return;
      }
      store(old && old.state === "queued" ? "queued" : "editing");
    }
    form.addEventListener("input", onEdit);
    form.addEventListener("change", onEdit);

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      var submit = !(submitter && submitter.name === "save_draft");
      if (navigator.onLine === false) {
        event.preventDefault();
        store("queued", submit);
        var photos = form.querySelector("input[type=file]");
        say(form, "info", queuedText(kind) + (photos && photos.files && photos.files.length
          ? " " + gettext("Photos cannot wait on the phone: add them once the proposal is sent, by editing it.")
          : ""));
        root.setAttribute("data-draft", "queued");
        return;
      }
      // Online: the form goes as usual. Until the server is known to have it, the draft waits
      // in the queue under its key (a page that comes back with errors takes it back, above;
      // any other page confirms it through the API, which files a key once).
      var key = keyInput ? keyInput.value : newKey();
      var d = makeDraft(form, kind, SENT + key, key, {}, "native");
      d.formId = id;
      d.submit = submit;
      var all = loadAll();
      delete all[id];
      all[SENT + key] = d;
      saveAll(all);
    });
    return {id: id, form: form, kind: kind};
  }

  function makeDraft(form, kind, id, key, old, state) {
    var fields = readFields(form, kind);
    return {
      id: id,
      formId: id,
      kind: kind,
      key: key,
      user: form.getAttribute("data-draft-user") || "",
      api: form.getAttribute("data-draft-api"),
      formUrl: location.pathname,
      fields: fields,
      label: label(kind, fields),
      submit: old.submit !== false,
      state: state,
      error: state === "editing" ? "" : (old.error || ""),
      updated: Date.now()
    };
  }

  /* ---- sending the queue ------------------------------------------------------------------- */

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) {
      return decodeURIComponent(m[1]);
    }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function payload(draft) {
    var f = draft.fields || {};
    var data;
    if (draft.kind === "need") {
      data = {
        category: f.category,
        description: f.description || "",
        private: !!f.private,
        client_key: draft.key
      };
    } else {
      data = {
        title: f.title || "",
        body: f.body || "",
        category: f.category || "other",
        location: f.location || "",
        submit: draft.submit !== false,
        client_key: draft.key
      };
    }
    if (f.on_behalf_of) {
      // Staff filing for a resident at the service station (only where the form offers it).
      data.on_behalf_of = parseInt(f.on_behalf_of, 10);
    }
    return data;
  }

  function apiUrl(draft) {
    return (draft.api || "").replace("{community}", encodeURIComponent((draft.fields || {}).community || ""));
  }

  function fieldErrors(body, form) {
    var parts = [];
    var errors = (body && body.errors) || {};
    Object.keys(errors).forEach(function (k) {
      // "Title: This field is required." with the form's own label when the form is here.
      var labelEl = form && form.querySelector("label[for='id_" + k + "']");
      var name = labelEl ? labelEl.textContent.trim().replace(/[:：]$/, "") : "";
      var colon = (root.lang || "").indexOf("zh") === 0 ? "：" : ": ";
      [].concat(errors[k]).forEach(function (m) { parts.push(name ? name + colon + m : m); });
    });
    return parts.length ? parts.join(" ") : ((body && body.detail) || "");
  }

  var sending = false;
  var retryTimer = null;
  var current = null; // the bound form of this page, if any

  function later(ms) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, ms);
  }

  function pending(all) {
    return Object.keys(all).map(function (k) { return all[k]; }).filter(function (d) {
      return d && (d.state === "queued" || d.state === "native") && d.api;
    });
  }

  function flush() {
    if (sending || navigator.onLine === false) {
      return Promise.resolve();
    }
    var queue = pending(loadAll());
    if (!queue.length) {
      return Promise.resolve();
    }
    sending = true;
    root.setAttribute("data-draft", "sending");
    return fetch("/api/v1/me", {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) {
        if (r.status === 401) {
          say(formFor(queue[0]), "warning", gettext("Sign in to send the draft kept on this phone."),
            {href: "/accounts/login/?next=" + encodeURIComponent(location.pathname), text: gettext("Sign in")});
          return null;
        }
        return r.ok ? r.json() : Promise.reject(new Error("me " + r.status));
      })
      .then(function (me) {
        if (!me) {
          return "stop";
        }
        // Only the person who wrote a draft sends it (a shared phone).
        var mine = queue.filter(function (d) { return String(d.user) === String(me.id); });
        return mine.reduce(function (chain, draft) {
          return chain.then(function (result) {
            return result === "stop" ? "stop" : sendOne(draft);
          });
        }, Promise.resolve());
      })
      .catch(function () {
        say(formFor(queue[0]), "warning",
          gettext("The connection is still weak. The draft stays on this phone and will be sent later."));
        later(RETRY_MS);
        return "stop";
      })
      .then(function (result) {
        sending = false;
        var left = pending(loadAll()).length;
        root.setAttribute("data-draft", left ? "queued" : (result === "stop" ? "kept" : "sent"));
      });
  }

  function formFor(draft) {
    return current && current.id === draft.id ? current.form : null;
  }

  function sendOne(draft) {
    var form = formFor(draft);
    return fetch(apiUrl(draft), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(payload(draft))
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        return {status: r.status, body: body, retryAfter: r.headers.get("Retry-After")};
      });
    }).then(function (res) {
      if (res.status === 200 || res.status === 201) {
        sent(draft, res.body, form);
        return "ok";
      }
      if (res.status === 429) {
        var wait = Math.max(parseInt(res.retryAfter, 10) || 60, 5);
        say(form, "warning", gettext("Too many sends just now. The draft stays on this phone and will be sent in a few minutes."));
        later(wait * 1000);
        return "stop";
      }
      if (res.status === 401) {
        say(form, "warning", gettext("Sign in to send the draft kept on this phone."),
          {href: "/accounts/login/?next=" + encodeURIComponent(draft.formUrl), text: gettext("Sign in")});
        return "stop";
      }
      if (res.status >= 500) {
        say(form, "warning", gettext("The connection is still weak. The draft stays on this phone and will be sent later."));
        later(RETRY_MS);
        return "stop";
      }
      // 400, 403, 404, 409: the server refuses this draft as it is. Keep it to be corrected.
      var reason = fieldErrors(res.body, form) || gettext("The draft could not be sent.");
      var text = interpolate(gettext("The draft kept on this phone was not sent: %(reason)s"), {reason: reason}, true);
      // Back to its form as a draft to correct (unless a newer one is being written there).
      var all = loadAll();
      var mine = all[draft.id];
      if (mine && mine.key === draft.key) {
        delete all[draft.id];
        var slot = all[draft.formId];
        if (!slot || slot.key === draft.key) {
          mine.id = draft.formId;
          mine.state = "editing";
          mine.error = text;
          all[draft.formId] = mine;
        }
        saveAll(all);
      }
      if (form) {
        writeFields(form, draft.fields);
      }
      say(form, "error", text, form ? null : {href: draft.formUrl, text: gettext("Open the draft to correct it")});
      return "next";
    });
  }

  function sent(draft, body, form) {
    update(draft.id, function (old) {
      // Remove it unless it was edited into a new draft meanwhile.
      return old && old.key !== draft.key ? old : null;
    });
    var link;
    var text;
    if (draft.kind === "need") {
      link = {href: "/teams/needs/#need-" + body.id, text: gettext("See your requests for help")};
      text = gettext("Your request for help kept on this phone has been sent.");
    } else {
      link = {href: body.url || draft.formUrl, text: gettext("See the proposal")};
      text = gettext("Your proposal kept on this phone has been sent.");
    }
    // Sent with the form just before, and this is the page it led to: the page says so.
    var here = draft.state === "native" && !!(
      (draft.kind === "need" && document.getElementById("need-" + body.id)) ||
      (body.url && new URL(body.url, location.href).pathname === location.pathname));
    if (form) {
      form.reset();
      var keyInput = form.elements.client_key;
      if (keyInput) {
        keyInput.value = newKey();
      }
    }
    if (!here) {
      say(form, "success", text, link);
      if (standIn) {
        // The offline page is left for the page it stands in for as soon as the connection is
        // back (a reload, "Try again"), often while it is saying this: the draft is no longer
        // on the phone, so this would be the only word of it, gone with the page.
        handOver({text: text, link: link});
      }
    }
  }

  /* ---- the offline page -------------------------------------------------------------------- */

  var HANDED = "linli.draft-sent"; // sessionStorage: the offline page's word for the next page
  var standIn = false; // this is the offline page

  function handOver(notice) {
    try {
      sessionStorage.setItem(HANDED, JSON.stringify(notice));
    } catch (e) {
      // No session storage (a private mode): the offline page said it, and that is all.
    }
  }

  function sayHandedOver() {
    var notice;
    try {
      notice = JSON.parse(sessionStorage.getItem(HANDED) || "null");
      sessionStorage.removeItem(HANDED);
    } catch (e) {
      return;
    }
    if (notice && notice.text) {
      say(null, "success", notice.text, notice.link);
    }
  }

  function listDrafts() {
    var section = document.querySelector("[data-draft-list]");
    var retry = document.querySelector("[data-retry]");
    if (retry) {
      retry.href = location.href;
    }
    if (!section) {
      return;
    }
    var all = loadAll();
    var list = section.querySelector("ul");
    list.textContent = "";
    Object.keys(all).forEach(function (k) {
      var d = all[k];
      var li = document.createElement("li");
      var state = d.state === "editing" ? gettext("draft") : gettext("waiting to be sent");
      li.textContent = (d.kind === "need" ? gettext("Request for help") : gettext("Proposal")) +
        ": " + (d.label || "…") + " (" + state + ")";
      list.appendChild(li);
    });
    section.hidden = !list.children.length;
  }

  /* ---- start ------------------------------------------------------------------------------- */

  var started = false; // messages said while the page loads need no scrolling

  function start() {
    forgetPagesOnSignOut();
    var form = document.querySelector("form[data-offline-draft]");
    current = form ? bindForm(form) : null;
    listDrafts();
    standIn = !!document.querySelector("[data-draft-list]");
    if (!standIn) {
      sayHandedOver();
    }
    started = true;
    window.addEventListener("online", function () { flush(); });
    registerWorker().then(function (registration) {
      if (registration && current) {
        return keepPageOffline();
      }
    }).then(function () {
      root.setAttribute("data-pwa", "ready");
    });
    flush();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
