// Moved out of templates/teams/team_board.html so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var cfg = JSON.parse(document.getElementById("board-config").textContent);
  var held = document.getElementById("board-held"), open = document.getElementById("board-open");
  var stale = document.getElementById("board-stale");
  var skills = {};
  cfg.skills.forEach(function (s) { skills[s] = 1; });

  function row(id) { return document.querySelector('.task-row[data-task-id="' + id + '"]'); }
  function empty(list) {
    var marker = list.querySelector("[data-empty]");
    if (list.querySelector(".task-row")) { if (marker) marker.parentNode.removeChild(marker); }
    else if (!marker) {
      var li = document.createElement("li");
      li.className = "muted"; li.setAttribute("data-empty", "");
      li.textContent = list.getAttribute("data-empty-text");
      list.appendChild(li);
    }
  }
  function build(data) {
    var li = document.createElement("li"), a = document.createElement("a");
    var meta = document.createElement("span"), badge = document.createElement("span");
    li.className = "task-row card live-new priority-" + (data.priority || "normal");
    li.setAttribute("data-task-id", data.id);
    a.className = "task-row-title";
    a.href = "/teams/tasks/" + Number(data.id) + "/";
    a.textContent = data.title || "";
    meta.className = "task-row-meta";
    badge.className = "badge status-badge";
    meta.appendChild(badge);
    if (data.community && data.community.name) {
      var c = document.createElement("span");
      c.className = "muted"; c.textContent = " " + data.community.name;
      meta.appendChild(c);
    }
    li.appendChild(a); li.appendChild(meta);
    return li;
  }
  function setStatus(li, status) {
    var badge = li.querySelector(".status-badge");
    if (!badge || !cfg.statuses[status]) return;
    badge.setAttribute("data-status", status);
    badge.textContent = cfg.statuses[status];
  }
  function mayTake(data) {
    if (data.dispatched) return !data.team || data.team.id === cfg.team;
    if (!Array.isArray(data.required_skills)) return false;
    return data.required_skills.every(function (s) { return skills[s]; });
  }
  function onTask(ev) {
    var data = ev.data || {};
    if (ev.type.indexOf("task.") !== 0 || typeof data.id !== "number") return;
    var li = row(data.id), ours = data.team && data.team.id === cfg.team;
    if (cfg.held.indexOf(data.status) >= 0) {
      if (ours) {
        if (!li) li = build(data);
        if (li.parentNode !== held) held.insertBefore(li, held.firstChild);
      } else if (li) {
        li.parentNode.removeChild(li);
      }
    } else if (ev.type === "task.released" && data.sensitive) {
      // A sensitive task given back goes to staff, never to the open list.
      if (li) { li.parentNode.removeChild(li); li = null; }
    } else if (data.status === "open") {
      if (!li && (ev.type === "task.dispatched" || ev.type === "task.alert" ||
                  ev.type === "task.released" || ev.type === "task.reopened" ||
                  ev.type === "task.created") && mayTake(data)) {
        li = build(data);
      }
      if (li && li.parentNode !== open) open.insertBefore(li, open.firstChild);
      if (!li && ev.topic === "team:" + cfg.team) stale.hidden = false;
    } else if (li) {
      li.parentNode.removeChild(li);
    }
    if (li) setStatus(li, data.status);
    empty(held); empty(open);
  }
  board.addEventListener("linli:event", function (e) { onTask(e.detail); });
  function follow() {
    // Other teams' claims and new tasks show on the community topics, not on ours.
    cfg.communities.forEach(function (id) { window.Linli.live.subscribe("community:" + id, onTask); });
  }
  if (window.Linli && window.Linli.live) follow();
  else document.addEventListener("DOMContentLoaded", follow);
})();
