/* Linli header counts: the unread notifications ([data-unread-count]) and, for staff, what
 * waits in the inbox ([data-inbox-count]) go up live, without a reload.
 * Needs live.js (Linli.live) and <body data-user-topic="user:<id>">. Only new events count:
 * the page came with the numbers of when it was made. On the notifications page, whose list
 * shows the new events itself, they are marked read at once instead of counted.
 */
(function (w, d) {
  "use strict";
  var body = d.body, topic = body && body.getAttribute("data-user-topic");
  if (!topic || !w.Linli || !w.Linli.live) return;
  var ngettext = w.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = w.interpolate || function (f, a) { return f.replace("%s", a[0]); };
  var MAX = 99, status = null;

  function csrfToken() {
    var m = d.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = d.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function announce(text) {
    if (!status) {
      status = d.createElement("span");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      body.appendChild(status);
    }
    status.textContent = text;
  }

  function show(selector, n) {
    Array.prototype.forEach.call(d.querySelectorAll(selector), function (el) {
      el.textContent = n > MAX ? MAX + "+" : String(n);
      el.hidden = n <= 0;
    });
  }

  function current(selector) {
    var el = d.querySelector(selector);
    var n = el && !el.hidden ? parseInt(el.textContent, 10) : 0;
    return isFinite(n) && n > 0 ? n : 0;
  }

  function readingHere() {
    return !!d.querySelector('[data-live-topic="' + topic + '"]');
  }

  function markRead(id) {
    w.fetch("/api/v1/notifications/read", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ upto: id })
    }).catch(function () {});
  }

  function refreshInbox() {
    if (!d.querySelector("[data-inbox-count]")) return;
    w.fetch("/api/v1/inbox?limit=0", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.counts) return;
        var sum = 0;
        for (var kind in data.counts) sum += Number(data.counts[kind]) || 0;
        show("[data-inbox-count]", sum);
      })
      .catch(function () {});
  }

  function onEvent(ev) {
    // What is told to staff (a new request for help, inbox.new, ...) may change what waits.
    refreshInbox();
    if (readingHere()) {
      markRead(ev.id);
      return;
    }
    var n = current("[data-unread-count]") + 1;
    show("[data-unread-count]", n);
    announce(interpolate(ngettext("%s unread notification", "%s unread notifications", n), [n]));
  }

  w.Linli.live.subscribe(topic, onEvent);
})(window, document);
