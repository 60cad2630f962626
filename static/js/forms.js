// After a failed submit, move focus to the form's error summary, so that keyboard and
// screen-reader users start from the list of what went wrong; a link in the summary moves
// focus to its field (browsers only scroll to a fragment) and shows the field's question.
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("[data-error-summary] a[href^='#']") : null;
    if (!link) {
      return;
    }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) {
      return;
    }
    event.preventDefault();
    // The first answer of a group is shown with its question (the group's legend).
    var answers = target.closest(".choices");
    var label = answers && answers.parentElement.querySelector("legend") ||
      document.querySelector("label[for='" + CSS.escape(target.id) + "']");
    (label || target).scrollIntoView();
    target.focus({ preventScroll: true });
  });
})();
