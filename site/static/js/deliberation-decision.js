/* The decision form: as staff tick the follow-up task's skills, each team says whether it
 * has them all, and a warning shows when no team has. Listens on the document, so a form
 * the live page draws again keeps working. Without JavaScript the server says the same for
 * the skills the form was drawn with.
 */
(function () {
  "use strict";

  function refresh(box) {
    var chosen = [];
    var names = {};
    box.querySelectorAll('input[type="checkbox"][name$="required_skills"]').forEach(function (input) {
      var label = box.querySelector('label[for="' + input.id + '"]');
      names[input.value] = label ? label.textContent.trim() : input.value;
      if (input.checked) chosen.push(input.value);
    });
    var separator = box.getAttribute("data-separator") || ", ";
    var anyFits = false;
    box.querySelectorAll(".team-choice").forEach(function (choice) {
      var has = (choice.getAttribute("data-skills") || "").split(" ");
      var missing = chosen.filter(function (slug) { return has.indexOf(slug) === -1; });
      var fit = choice.querySelector(".team-fit");
      if (!missing.length) anyFits = true;
      if (!fit) return;
      fit.setAttribute("data-fit", missing.length ? "no" : "yes");
      fit.textContent = missing.length
        ? box.getAttribute("data-lacks-text").replace("%s",
            missing.map(function (slug) { return names[slug]; }).join(separator))
        : box.getAttribute("data-can-text");
    });
    var warning = document.getElementById("decision-no-team");
    if (warning) warning.hidden = anyFits;
  }

  document.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest("#decision-follow-up");
    if (box && event.target.name && /required_skills$/.test(event.target.name)) refresh(box);
  });
})();
