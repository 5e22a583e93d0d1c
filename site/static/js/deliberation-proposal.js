// Moved out of templates/deliberation/proposal_detail.html so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  "use strict";
  var region = document.getElementById("proposal-live");
  var proposalId = Number(region.getAttribute("data-proposal-id"));
  var statusBadge = document.getElementById("proposal-status");
  var stale = document.getElementById("proposal-stale");
  var outcomeSection = document.getElementById("proposal-outcome-section");
  var outcome = document.getElementById("proposal-outcome");
  var taskBox = document.getElementById("proposal-task");
  var taskStatus = document.getElementById("task-status");
  var taskTeam = document.getElementById("task-team");
  var taskLink = document.getElementById("task-link");
  var teamTemplate = document.getElementById("task-team-template").textContent;
  var statuses = JSON.parse(document.getElementById("proposal-status-labels").textContent);
  var taskStatuses = JSON.parse(document.getElementById("task-status-labels").textContent);
  var current = region.getAttribute("data-status");
  var STATUS_OF = { "proposal.voting_opened": "voting", "proposal.withdrawn": "withdrawn" };

  function showStatus(status) {
    if (!statuses[status] || status === current) return;
    current = status;
    region.setAttribute("data-status", status);
    statusBadge.className = "badge status-badge status-" + status;
    statusBadge.textContent = statuses[status];
    stale.hidden = false;
    if (status !== "voting") {
      // The vote is over: its buttons would only be refused now.
      Array.prototype.forEach.call(
        document.querySelectorAll(".vote-form, .time-left, .vote-change-note, #assisted-vote"),
        function (el) { el.hidden = true; });
    }
  }

  function setTally(t) {
    if (!t || typeof t !== "object") return;
    ["support", "oppose", "abstain", "total"].forEach(function (k) {
      var el = document.getElementById("tally-" + k);
      if (el && typeof t[k] === "number") el.textContent = String(t[k]);
    });
  }

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
    if (ev.type === "proposal.decided") {
      setTally(data.tally);
      if (typeof data.outcome === "string" && data.outcome) outcomeSection.hidden = false;
    }
    if (typeof data.status === "string") showStatus(data.status);
    else if (STATUS_OF[ev.type]) showStatus(STATUS_OF[ev.type]);
    if (ev.type === "proposal.hidden" || ev.type === "proposal.restored") stale.hidden = false;
    if (data.task) showTask(data.task);
  });

  function start() {
    var id = Number(taskBox.getAttribute("data-task-id"));
    if (id) follow(id);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
