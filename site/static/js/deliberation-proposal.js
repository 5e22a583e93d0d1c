/* The proposal page, live: after an event that changes the proposal, the parts that depend
 * on its state (status sentence, author and staff controls, vote, discussion) are drawn
 * again by the server for this reader (deliberation:proposal_parts) and swapped in, keeping
 * what the reader typed, the open details and the focus. Tallies come with their events.
 * Without JavaScript the page is complete on each load.
 */
(function () {
  "use strict";
  var region = document.getElementById("proposal-live");
  var proposalId = Number(region.getAttribute("data-proposal-id"));
  var partsUrl = region.getAttribute("data-parts-url");
  var announcer = document.getElementById("proposal-announce");
  var gone = document.getElementById("proposal-gone");
  var taskBox = document.getElementById("proposal-task");
  var taskStatus = document.getElementById("task-status");
  var taskTeam = document.getElementById("task-team");
  var taskLink = document.getElementById("task-link");
  var teamTemplate = document.getElementById("task-team-template").textContent;
  var statuses = JSON.parse(document.getElementById("proposal-status-labels").textContent);
  var taskStatuses = JSON.parse(document.getElementById("task-status-labels").textContent);
  var current = region.getAttribute("data-status");
  var STATUS_OF = { "proposal.voting_opened": "voting", "proposal.withdrawn": "withdrawn" };
  // Events after which the server draws the parts again; a tally only changes numbers.
  var REDRAW = ["proposal.published", "proposal.voting_opened", "proposal.decided",
                "proposal.withdrawn", "proposal.hidden", "proposal.restored",
                "proposal.comment_added", "proposal.comment_hidden", "proposal.comment_restored"];

  function showStatus(status) {
    var badge = document.getElementById("proposal-status");
    if (!statuses[status] || status === current) return false;
    current = status;
    region.setAttribute("data-status", status);
    if (badge) {
      badge.className = "badge status-badge status-" + status;
      badge.textContent = statuses[status];
    }
    return true;
  }

  function announce(text) {
    // Cleared first so that the same words twice are read twice.
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function setTally(t) {
    if (!t || typeof t !== "object") return;
    ["support", "oppose", "abstain", "total"].forEach(function (k) {
      var el = document.getElementById("tally-" + k);
      if (el && typeof t[k] === "number") el.textContent = String(t[k]);
    });
  }

  // --- redrawing the parts ------------------------------------------------------------------

  function fieldKey(el) {
    var form = el.form || el.closest("form");
    return (form ? form.getAttribute("action") : "") + "|" + (el.id || el.name);
  }

  function detailsKey(el) {
    if (el.id) return "#" + el.id;
    var form = el.querySelector("form");
    return form ? form.getAttribute("action") : null;
  }

  function typed(part) {
    // What the reader changed in this part: typed text, choices, open details, the focus.
    var kept = { fields: {}, open: {}, focus: null };
    Array.prototype.forEach.call(part.querySelectorAll("input, textarea, select"), function (el) {
      if (el.type === "hidden" || el.type === "submit" || el.type === "button") return;
      var changed = el.type === "checkbox" || el.type === "radio"
        ? el.checked !== el.defaultChecked
        : el.tagName === "SELECT"
          ? Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; })
          : el.value !== el.defaultValue;
      if (changed) kept.fields[fieldKey(el)] = el;
    });
    Array.prototype.forEach.call(part.querySelectorAll("details"), function (el) {
      var key = detailsKey(el);
      if (key) kept.open[key] = el.open;
    });
    var active = document.activeElement;
    if (active && active !== document.body && part.contains(active)) kept.focus = active;
    return kept;
  }

  function find(root, key, selector) {
    return Array.prototype.filter.call(root.querySelectorAll(selector), function (el) {
      return fieldKey(el) === key;
    })[0] || null;
  }

  function swap(part, html) {
    var kept = typed(part), box = document.createElement("div");
    box.innerHTML = html;
    var keys = Object.keys(kept.fields);
    // Never lose typing: a part whose field would go away stays as it is until sent.
    for (var i = 0; i < keys.length; i++) {
      if (!find(box, keys[i], "input, textarea, select")) return false;
    }
    keys.forEach(function (key) {
      var old = kept.fields[key], now = find(box, key, "input, textarea, select");
      if (old.type === "checkbox" || old.type === "radio") now.checked = old.checked;
      else now.value = old.value;
    });
    Array.prototype.forEach.call(box.querySelectorAll("details"), function (el) {
      var key = detailsKey(el);
      if (key && key in kept.open) el.open = kept.open[key];
    });
    var focusKey = kept.focus ? fieldKey(kept.focus) : null;
    var selection = kept.focus && typeof kept.focus.selectionStart === "number"
      ? [kept.focus.selectionStart, kept.focus.selectionEnd] : null;
    part.replaceChildren.apply(part, Array.prototype.slice.call(box.childNodes));
    if (focusKey) {
      var target = find(part, focusKey, "input, textarea, select, button");
      if (target) {
        target.focus({ preventScroll: true });
        if (selection) {
          try { target.setSelectionRange(selection[0], selection[1]); } catch (x) { /* not text */ }
        }
      }
    }
    return true;
  }

  function eachPart(fn) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-proposal-part]"), fn);
  }

  var loading = false, again = false, againWords = "", closeTimer = null;

  function redraw(words) {
    if (loading) {
      // One more round after this one, for the state the later event made.
      again = true;
      if (words) againWords = words;
      return;
    }
    loading = true;
    var url = partsUrl + (location.search || "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404 || response.status === 403) {
          // No longer visible to this reader: its buttons would only be refused now.
          gone.hidden = false;
          eachPart(function (part) { part.hidden = true; });
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (!body || !body.parts) return;
        gone.hidden = true;
        eachPart(function (part) {
          var html = body.parts[part.getAttribute("data-proposal-part")];
          if (typeof html === "string" && swap(part, html)) part.hidden = false;
        });
        showStatus(body.status);
        watchClose();
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

  function watchClose() {
    // The vote closes at its time without an event: draw the parts again then.
    clearTimeout(closeTimer);
    var left = document.querySelector(".time-left[data-closes-at]");
    if (!left) return;
    var wait = new Date(left.getAttribute("data-closes-at")) - Date.now() + 1000;
    if (wait > 0 && wait < 2147483647) closeTimer = setTimeout(function () { redraw(); }, wait);
  }

  // --- the follow-up task -------------------------------------------------------------------

  function showTask(task) {
    // task: {id, status, team: {id, name} | null}
    if (!task || typeof task !== "object" || typeof task.id !== "number") return;
    var id = task.id;
    if (taskBox.getAttribute("data-task-id") !== String(id)) {
      taskBox.setAttribute("data-task-id", String(id));
      taskLink.href = "/teams/tasks/" + id + "/";
    }
    taskBox.hidden = false;
    if (typeof task.status === "string" && taskStatuses[task.status]) {
      taskStatus.setAttribute("data-status", task.status);
      taskStatus.textContent = taskStatuses[task.status];
    }
    if ("team" in task) {
      taskTeam.textContent = task.team && task.team.name
        ? teamTemplate.replace("%(team)s", String(task.team.name))
        : taskTeam.getAttribute("data-empty");
    }
    follow(id);
  }

  var following = null;
  function follow(id) {
    // Live progress of the follow-up task on its own topic, task:<id>.
    if (following === id || !window.Linli || !window.Linli.live) return;
    following = id;
    var since = taskBox.getAttribute("data-live-topic") === "task:" + id
      ? taskBox.getAttribute("data-live-since") : 0;
    window.Linli.live.subscribe("task:" + id, function (ev) {
      var data = ev.data || {};
      // Only task events describe the task (hours events carry their record's status).
      if (ev.type.indexOf("task.") !== 0 || data.id !== id) return;
      var seen = { id: id, status: data.status };
      if ("team" in data) seen.team = data.team;
      showTask(seen);
    }, since);
  }

  region.addEventListener("linli:event", function (e) {
    var ev = e.detail || {}, data = ev.data || {};
    if (ev.topic !== "proposal:" + proposalId) return;
    if (ev.type === "proposal.tally") setTally(data);
    if (ev.type === "proposal.decided") setTally(data.tally);
    var status = typeof data.status === "string" ? data.status : STATUS_OF[ev.type];
    var changed = status ? showStatus(status) : false;
    if (data.task) showTask(data.task);
    if (REDRAW.indexOf(ev.type) >= 0) {
      var words = announcer.getAttribute("data-changed");
      redraw(changed || ev.type.indexOf("comment") < 0 ? words + " " + statuses[current] : "");
    }
  });

  // The server asks to start afresh (events were missed): draw the parts again, no reload.
  region.addEventListener("linli:resync", function (e) {
    e.preventDefault();
    redraw();
  });

  function start() {
    var id = Number(taskBox.getAttribute("data-task-id"));
    if (id) follow(id);
    watchClose();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
