// Moved out of templates/teams/task_detail.html so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  "use strict";
  var region = document.getElementById("task-live");
  var badge = document.getElementById("task-status");
  var list = document.getElementById("task-timeline");
  var team = document.getElementById("task-team");
  var stale = document.getElementById("task-stale");
  var statuses = JSON.parse(document.getElementById("task-status-labels").textContent);
  var labels = JSON.parse(document.getElementById("linli-live-labels").textContent);
  var current = badge.getAttribute("data-status");
  var hasActions = !!document.querySelector(".task-actions");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function sameSite(url) { return typeof url === "string" && /^\/(?![\/\\])/.test(url); }

  function item(ev) {
    var data = ev.data || {}, li = el("li", "timeline-item live-new");
    li.setAttribute("data-live-id", ev.id);
    li.appendChild(el("span", "badge", labels[ev.type] || labels["*"] || ev.type));
    if (data.text) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "timeline-text", String(data.text))); }
    var update = ev.type === "task.updated" && data.update && typeof data.update === "object" ? data.update : null;
    if (update && update.text) li.appendChild(el("p", "update-text", String(update.text)));
    if (update && sameSite(update.photo)) {
      var img = el("img", "update-photo");
      img.src = update.photo; img.alt = ""; img.loading = "lazy";
      li.appendChild(img);
    }
    var when = el("time", "muted");
    when.setAttribute("datetime", ev.at || "");
    when.textContent = window.Linli.formatDate(ev.at, "DATETIME_FORMAT");
    li.appendChild(document.createTextNode(" "));
    li.appendChild(when);
    return li;
  }

  function showStatus(status) {
    badge.setAttribute("data-status", status);
    badge.textContent = statuses[status] || status;
  }

  region.addEventListener("linli:event", function (e) {
    var ev = e.detail, data = ev.data || {};
    var isTask = ev.type.indexOf("task.") === 0 && data.id === Number(region.getAttribute("data-task-id"));
    if (isTask && typeof data.status === "string" && statuses[data.status]) {
      if (data.status !== current && hasActions) stale.hidden = false;
      current = data.status;
    }
    if (isTask && "team" in data) {
      team.textContent = "";
      if (data.team && data.team.name) {
        var a = el("a", "", data.team.name);
        a.href = "/teams/" + Number(data.team.id) + "/";
        team.appendChild(a);
      } else {
        team.textContent = team.getAttribute("data-empty");
      }
    }
    // live.js writes data.status into the badge after this handler; hours events carry the
    // status of their record, so put the task's label back once it is done.
    Promise.resolve().then(function () { showStatus(current); });
    if (!list.querySelector('[data-live-id="' + ev.id + '"]')) {
      var empty = list.querySelector("[data-live-empty]");
      if (empty) empty.parentNode.removeChild(empty);
      list.appendChild(item(ev));
    }
  });
})();
