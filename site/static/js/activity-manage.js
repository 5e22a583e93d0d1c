/* The organiser's attendance page (templates/activities/manage.html).
 * 1. The QR code: fetched again from [data-code-url] when it runs out (every 30 s), and the
 *    签到码 / 签退码 toggle switches without reloading. Without this script the "Refresh" link
 *    does the same.
 * 2. The list follows the live topic attendance:<id> (live.js): on an event the counts and
 *    rows are fetched again as the server draws them and swapped in; a row the organiser is
 *    typing in (focus inside, or an open form) is left alone.
 */
(function () {
  "use strict";
  var d = document;

  function svgNode(text) {
    // The server's own SVG, parsed as SVG (not as HTML) and checked to be one <svg>.
    try {
      var doc = new DOMParser().parseFromString(String(text), "image/svg+xml");
      var root = doc.documentElement;
      if (!root || root.nodeName.toLowerCase() !== "svg" || doc.getElementsByTagName("parsererror").length) return null;
      return d.importNode(root, true);
    } catch (x) { return null; }
  }

  var card = d.getElementById("qr");
  if (card && window.fetch) {
    var box = d.getElementById("qr-box"), state = d.getElementById("qr-state");
    var heading = d.getElementById("qr-heading"), refreshLink = d.getElementById("qr-refresh");
    var codeUrl = card.getAttribute("data-code-url"), purpose = card.getAttribute("data-purpose");
    var windowMs = (Number(card.getAttribute("data-window")) || 30) * 1000, timer = null, seq = 0;

    var schedule = function (expiresAt) {
      clearTimeout(timer);
      var wait = windowMs, t = Date.parse(expiresAt || "");
      if (!isNaN(t)) wait = Math.min(windowMs, Math.max(2000, t - Date.now() + 500));
      timer = setTimeout(refresh, wait);
    };
    var refresh = function () {
      clearTimeout(timer);
      var mine = ++seq;
      fetch(codeUrl + "?purpose=" + encodeURIComponent(purpose), {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }
      }).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      }).then(function (data) {
        if (mine !== seq) return;
        var node = svgNode(data.svg);
        if (node) { box.textContent = ""; box.appendChild(node); }
        if (state) state.textContent = "";
        schedule(data.expires_at);
      }).catch(function (e) {
        if (mine !== seq) return;
        if (state) state.textContent = window.gettext ? gettext("No connection; trying again…") : "";
        if (e && (e.message === "409" || e.message === "403")) {
          var stale = d.getElementById("manage-stale");
          if (stale) stale.hidden = false;
          return;
        }
        timer = setTimeout(refresh, 5000);
      });
    };
    Array.prototype.forEach.call(card.querySelectorAll("[data-purpose-link]"), function (link) {
      link.addEventListener("click", function (e) {
        e.preventDefault();
        purpose = link.getAttribute("data-purpose-link");
        Array.prototype.forEach.call(card.querySelectorAll("[data-purpose-link]"), function (other) {
          if (other === link) other.setAttribute("aria-current", "true");
          else other.removeAttribute("aria-current");
        });
        heading.textContent = link.getAttribute("data-label");
        card.setAttribute("data-purpose", purpose);
        if (refreshLink) refreshLink.setAttribute("href", "?purpose=" + purpose + "#qr");
        if (window.history && history.replaceState) history.replaceState(null, "", "?purpose=" + purpose + "#qr");
        refresh();
      });
    });
    if (refreshLink) refreshLink.addEventListener("click", function (e) { e.preventDefault(); refresh(); });
    d.addEventListener("visibilitychange", function () { if (!d.hidden) refresh(); });
    schedule(card.getAttribute("data-expires-at"));
  }

  var region = d.getElementById("attendance");
  if (!region || !window.fetch) return;
  var rowsUrl = region.getAttribute("data-rows-url"), pending = null, again = false, loading = false;

  function busy(row) {
    var active = d.activeElement;
    return (active && active !== d.body && row.contains(active)) || !!row.querySelector("details[open]");
  }

  function same(a, b) {
    // The text and state of a row (its forms' CSRF tokens differ on every drawing).
    return a.textContent === b.textContent && a.getAttribute("data-state") === b.getAttribute("data-state");
  }

  function swap(html) {
    var tpl = d.createElement("template");
    tpl.innerHTML = html;
    var counts = tpl.content.getElementById("manage-counts"), oldCounts = d.getElementById("manage-counts");
    if (counts && oldCounts) oldCounts.parentNode.replaceChild(counts, oldCounts);
    var list = tpl.content.getElementById("attendance-list"), oldList = d.getElementById("attendance-list");
    if (!list || !oldList) return;
    var placed = [], prev = null;
    Array.prototype.slice.call(list.children).forEach(function (row) {
      var old = row.id ? d.getElementById(row.id) : null, node = row;
      if (old && old.parentNode === oldList) {
        if (busy(old) || same(old, row)) node = old;
        else { oldList.replaceChild(row, old); row.classList.add("live-new"); }
      }
      placed.push(node);
      var ref = prev ? prev.nextSibling : oldList.firstChild;
      if (node !== ref) oldList.insertBefore(node, ref);
      prev = node;
    });
    // Rows no longer listed go, unless the organiser is typing in one.
    Array.prototype.slice.call(oldList.children).forEach(function (row) {
      if (placed.indexOf(row) < 0 && !(row.id && busy(row))) oldList.removeChild(row);
    });
  }

  function load() {
    if (loading) { again = true; return; }
    loading = true;
    fetch(rowsUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(swap)
      .catch(function () {})
      .then(function () {
        loading = false;
        if (again) { again = false; load(); }
      });
  }
  function soon() { clearTimeout(pending); pending = setTimeout(load, 250); }

  region.addEventListener("linli:event", function (e) {
    var type = e.detail && e.detail.type;
    if (type === "activity.finished") {
      var stale = d.getElementById("manage-stale");
      if (stale) stale.hidden = false;
    }
    soon();
  });
  region.addEventListener("linli:resync", function (e) { e.preventDefault(); soon(); });
})();
