// The "Go back" of the too-many-requests page: back in the browser's history, so the form
// comes back as it was left, with what was typed. Without JavaScript the link opens the form.
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-go-back]");
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
