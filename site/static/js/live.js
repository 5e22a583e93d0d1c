/* Linli live client: one WebSocket to /ws/live/; no dependencies, no build step.
 * Linli.live.subscribe(topic, fn(event), since) -> unsubscribe function.
 * [data-live-topic] elements start by themselves (data-live-since) and get `linli:event`;
 * inside, [data-live-field=f] shows event.data[f] and [data-live-list] (="prepend") gets an
 * <li> per event (data.text or the type's label from #linli-live-labels); data.texts
 * {lang: text} (likewise .titles...) give them in the <html lang>. Fields take
 * only events of the topic's kind (task.* for task:12, not hours.*) unless data-live-types
 * on or around them in the region says otherwise ("a.b c.* *"). On `resync` regions get
 * a cancelable `linli:resync`; with data-live-reload (on them or <body>) the page reloads.
 * Reconnects with backoff and jitter, resubscribes with since = last id seen, drops dups.
 */
(function (w, d) {
  "use strict";
  var Linli = (w.Linli = w.Linli || {});
  if (Linli.live) return;


  var subs = {}; // topic -> {fns: [], last: id|null, seen: {id: 1}, order: [ids]}
  var ws = null, isOpen = false, attempt = 0, timer = null, pinger = null, labels = null;
  var SEEN_MAX = 500, bound = {};

  function url() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/live/";
  }
  function state(s) { d.documentElement.setAttribute("data-live", s); }
  function send(m) { if (ws && isOpen) ws.send(JSON.stringify(m)); }
  function subscribeMsg(topic) {
    var m = { action: "subscribe", topic: topic }, last = subs[topic].last;
    if (last !== null) m.since = last;
    return m;
  }
  function hasSubs() { for (var t in subs) return true; return false; }

  function connect() {
    clearTimeout(timer); timer = null;
    if (ws || !hasSubs()) return;
    try { ws = new WebSocket(url()); } catch (e) { ws = null; return retry(); }
    state("connecting");
    ws.onopen = function () {
      isOpen = true; attempt = 0; state("open");
      for (var t in subs) send(subscribeMsg(t));
      clearInterval(pinger);
      pinger = setInterval(function () { send({ action: "ping" }); }, 25000);
    };
    ws.onmessage = function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (x) { return; }
      if (m && typeof m.id === "number" && typeof m.topic === "string") deliver(m);
      else if (m && m.type === "resync") resync(m.topic);
      else if (m && m.type === "error" && m.topic && subs[m.topic] &&
               m.code !== "bad_request") refused(m);
    };
    ws.onclose = function () {
      ws = null; isOpen = false; clearInterval(pinger); state("closed");
      retry();
    };
  }

  function retry() {
    if (timer || !hasSubs()) return;
    var max = Math.min(30000, 1000 * Math.pow(2, attempt++));
    timer = setTimeout(connect, max / 2 + Math.random() * max / 2);
  }

  function deliver(ev) {
    var s = subs[ev.topic];
    if (!s || s.seen[ev.id]) return;
    s.seen[ev.id] = 1; s.order.push(ev.id);
    if (s.order.length > SEEN_MAX) delete s.seen[s.order.shift()];
    if (s.last === null || ev.id > s.last) s.last = ev.id;
    s.fns.slice().forEach(function (fn) {
      try { fn(ev); } catch (x) { setTimeout(function () { throw x; }); }
    });
  }

  function resync(topic) {
    var s = subs[topic];
    if (!s) return;
    // The region is reloaded from the server: stream from now on, replay nothing older.
    s.last = null;
    var els = regions(topic), reload = false;
    if (!els.length) els = [d];
    els.forEach(function (el) {
      var ev = new CustomEvent("linli:resync", { cancelable: true, detail: { topic: topic } });
      if (el.dispatchEvent(ev) && el !== d &&
          (el.hasAttribute("data-live-reload") || d.body.hasAttribute("data-live-reload"))) {
        reload = true;
      }
    });
    if (reload) location.reload();
  }

  function refused(m) {
    delete subs[m.topic];
    delete bound[m.topic];
    regions(m.topic).forEach(function (el) {
      el.dispatchEvent(new CustomEvent("linli:error", { detail: m }));
    });
  }

  function regions(topic) {
    return Array.prototype.filter.call(d.querySelectorAll("[data-live-topic]"), function (el) {
      return el.getAttribute("data-live-topic") === topic;
    });
  }

  function own(root, selector) {
    // Matches inside `root` (and root itself) that do not belong to a nested live region.
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches(selector)) found.unshift(root);
    return found.filter(function (el) { return el.closest("[data-live-topic]") === root; });
  }

  function label(type) {
    if (labels === null) {
      var node = d.getElementById("linli-live-labels");
      try { labels = node ? JSON.parse(node.textContent) : {}; } catch (x) { labels = {}; }
    }
    return labels[type] || labels["*"] || type;
  }

  function local(data, key) {
    var all = data[key + "s"], t = all && all[d.documentElement.lang.toLowerCase()];
    return typeof t === "string" ? t : data[key];
  }

  function item(ev) {
    var data = ev.data && typeof ev.data === "object" ? ev.data : {};
    var li = d.createElement("li"), badge = d.createElement("span"), when = d.createElement("time");
    li.className = "notification live-new";
    li.setAttribute("data-live-id", ev.id);
    badge.className = "badge";
    badge.textContent = label(ev.type);
    li.appendChild(badge);
    li.appendChild(d.createTextNode(" "));
    var text = local(data, "text");
    text = text == null ? "" : String(text);
    var link = typeof data.url === "string" && /^\/(?![\/\\])/.test(data.url) ? data.url : "";
    if (text || link) {
      var body = d.createElement(link ? "a" : "span");
      if (link) body.href = link;
      body.textContent = text || label(ev.type);
      li.appendChild(body);
      li.appendChild(d.createTextNode(" "));
    }
    when.className = "muted";
    when.setAttribute("datetime", ev.at || "");
    when.textContent = Linli.formatDate ? Linli.formatDate(ev.at, "DATETIME_FORMAT") : ev.at;
    li.appendChild(when);
    return li;
  }

  function takes(f, el, t) {
    var s = f.closest("[data-live-types]");
    t = typeof t === "string" ? t : "";
    return (s && el.contains(s) ? s.getAttribute("data-live-types")
      : el.getAttribute("data-live-topic").split(":")[0] + ".*"
    ).split(/[\s,]+/).some(function (p) {
      return p === "*" || (p && p === t) || (/.\.\*$/.test(p) && !t.indexOf(p.slice(0, -1)));
    });
  }

  function apply(el, ev) {
    el.dispatchEvent(new CustomEvent("linli:event", { detail: ev }));
    var data = ev.data && typeof ev.data === "object" ? ev.data : {};
    own(el, "[data-live-field]").forEach(function (f) {
      var key = f.getAttribute("data-live-field");
      if (Object.prototype.hasOwnProperty.call(data, key) && takes(f, el, ev.type)) {
        var v = local(data, key);
        f.textContent = v == null ? "" : String(v);
      }
    });
    own(el, "[data-live-list]").forEach(function (list) {
      if (list.querySelector('[data-live-id="' + ev.id + '"]')) return;
      var empty = list.querySelector("[data-live-empty]");
      if (empty) empty.parentNode.removeChild(empty);
      var li = item(ev);
      if (list.getAttribute("data-live-list") === "prepend") list.insertBefore(li, list.firstChild);
      else list.appendChild(li);
    });
  }

  function subscribe(topic, onEvent, since) {
    var s = subs[topic];
    if (!s) {
      since = since === undefined || since === null || since === "" ? null : Number(since);
      s = subs[topic] = { fns: [], last: isFinite(since) && since >= 0 ? since : null,
                          seen: {}, order: [] };
      if (isOpen) send(subscribeMsg(topic));
    }
    if (typeof onEvent === "function") s.fns.push(onEvent);
    if (!ws && !timer) connect();
    return function unsubscribe() {
      var cur = subs[topic];
      if (!cur) return;
      cur.fns = cur.fns.filter(function (fn) { return fn !== onEvent; });
      if (!cur.fns.length) {
        delete subs[topic];
        send({ action: "unsubscribe", topic: topic });
      }
    };
  }

  function start() {
    var since = {};
    Array.prototype.forEach.call(d.querySelectorAll("[data-live-topic]"), function (el) {
      var t = el.getAttribute("data-live-topic"), v = el.getAttribute("data-live-since");
      v = v === null || v === "" ? null : Number(v);
      if (!(t in since) || (v !== null && (since[t] === null || v < since[t]))) since[t] = v;
    });
    Object.keys(since).forEach(function (t) {
      if (bound[t]) return;
      bound[t] = 1;
      subscribe(t, function (ev) {
        regions(ev.topic).forEach(function (el) { apply(el, ev); });
      }, since[t]);
    });
  }

  w.addEventListener("online", function () { if (!ws) { attempt = 0; connect(); } });

  Linli.live = { subscribe: subscribe, start: start };
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})(window, document);
