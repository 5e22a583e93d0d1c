/* The page a scanned check-in or check-out code lands on: press its one button on load, so
 * that scanning is all it takes. Without JavaScript the button is one tap. Sent once only:
 * coming back to the page (back button, page cache) does not send it again by itself. */
(function (d) {
  "use strict";
  function go() {
    var form = d.getElementById("scan-form");
    if (!form || !form.hasAttribute("data-autosubmit") || form.getAttribute("data-sent")) return;
    form.setAttribute("data-sent", "1");
    var working = d.getElementById("scan-working"), button = d.getElementById("scan-button");
    if (working) working.hidden = false;
    if (button) button.setAttribute("aria-busy", "true");
    form.submit();
  }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", go);
  else go();
})(document);
