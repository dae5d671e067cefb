// mashbot pages (the local console and /web): small progressive enhancement. Everything works without it.
(function () {
  "use strict";

  // Show a field only when the control it depends on has a given value (e.g. "Why it is
  // urgent" when "Urgent" is ticked). Without JavaScript every field stays visible.
  function valueOf(control) {
    if (!control) { return ""; }
    if (control.type === "checkbox") { return control.checked ? control.value : ""; }
    return control.value;
  }
  function applyConditions() {
    document.querySelectorAll("[data-shown-when]").forEach(function (field) {
      var rule = field.getAttribute("data-shown-when");
      var at = rule.indexOf("=");
      var control = document.getElementById(rule.slice(0, at));
      var show = valueOf(control) === rule.slice(at + 1);
      // Keep a field with an error visible, so the message is never hidden.
      field.hidden = !show && !field.classList.contains("field-error");
    });
    // And hide what a complaint does not need once "complaint" is the reason.
    document.querySelectorAll("[data-hidden-when]").forEach(function (block) {
      var rule = block.getAttribute("data-hidden-when");
      var at = rule.indexOf("=");
      block.hidden = valueOf(document.getElementById(rule.slice(0, at))) === rule.slice(at + 1);
    });
  }
  document.addEventListener("change", applyConditions);
  document.addEventListener("DOMContentLoaded", function () {
    applyConditions();
    // Move focus to the error summary so screen-reader and keyboard users hear it first.
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }
  });
})();
