/* An activity's page, live: after an event of its topic (activity:<id>) the parts that change
 * (the facts with the places left, and the reader's own state with the sign-up button) are
 * drawn again by the server for this reader (activities:detail_parts) and swapped in, so
 * places, the waiting-list number and the status follow without a reload. live.js delivers
 * the events (the region's data-live-topic). Without JavaScript the page is complete on each
 * load.
 */
(function (d) {
  "use strict";
  var region = d.getElementById("activity-live");
  if (!region) return;
  var partsUrl = region.getAttribute("data-parts-url");
  var announcer = d.getElementById("activity-announce");
  var REDRAW = ["activity.places", "activity.changed", "activity.cancelled",
                "activity.finished", "activity.published"];
  var loading = false, again = false, againWords = "";

  function announce(text) {
    if (!announcer || !text) return;
    // Cleared first so that the same words twice are read twice.
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function busy() {
    // A form being sent keeps its part: the answer reloads the page anyway.
    return region.querySelector("form[data-sending]") !== null;
  }

  function swap(part, html) {
    var active = d.activeElement, focusId = active && part.contains(active) ? active.id : "";
    var box = d.createElement("div");
    box.innerHTML = html;
    part.replaceChildren.apply(part, Array.prototype.slice.call(box.childNodes));
    if (focusId) {
      var target = d.getElementById(focusId);
      if (target) target.focus({ preventScroll: true });
    }
  }

  function redraw(words) {
    if (loading) {
      again = true;
      if (words) againWords = words;
      return;
    }
    loading = true;
    fetch(partsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body || !body.parts || busy()) return;
        Array.prototype.forEach.call(region.querySelectorAll("[data-activity-part]"), function (part) {
          var html = body.parts[part.getAttribute("data-activity-part")];
          if (typeof html === "string") swap(part, html);
        });
        if (words) announce(words);
      })
      .catch(function () { /* offline: the next event or resync tries again */ })
      .then(function () {
        loading = false;
        if (again) {
          var next = againWords;
          again = false;
          againWords = "";
          redraw(next);
        }
      });
  }

  region.addEventListener("submit", function (e) {
    if (e.target && e.target.setAttribute) e.target.setAttribute("data-sending", "1");
  });

  region.addEventListener("linli:event", function (e) {
    var ev = e.detail || {};
    if (ev.topic !== region.getAttribute("data-live-topic")) return;
    if (REDRAW.indexOf(ev.type) < 0) return;
    var changed = ev.type !== "activity.places";
    redraw(changed && announcer ? announcer.getAttribute("data-changed") : "");
  });

  // The server asks to start afresh (events were missed): draw the parts again, no reload.
  region.addEventListener("linli:resync", function (e) {
    e.preventDefault();
    redraw();
  });
})(document);
