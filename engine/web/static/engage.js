// Engage: small progressive enhancements.  Every page works without this script.
"use strict";
(function () {
  // "Add another" in repeatable rows: copy the last row, empty it and renumber it, without a round trip.
  function renumber(node, from, to) {
    var pattern = new RegExp("\\[" + from + "\\]", "g");
    var idPattern = new RegExp("-" + from + "(?=-|$)", "g");
    node.querySelectorAll("[name],[id],[for],[aria-describedby]").forEach(function (el) {
      if (el.name) { el.name = el.name.replace(pattern, "[" + to + "]"); }
      if (el.id) { el.id = el.id.replace(idPattern, "-" + to); }
      if (el.htmlFor) { el.htmlFor = el.htmlFor.replace(idPattern, "-" + to); }
      el.removeAttribute("aria-describedby");
      el.removeAttribute("aria-invalid");
    });
    if (node.id) { node.id = node.id.replace(idPattern, "-" + to); }
    node.querySelectorAll("label").forEach(function (label) {
      label.textContent = label.textContent.replace(new RegExp("\\b" + (from + 1) + "\\b"), String(to + 1));
    });
  }
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var fieldset = button.closest("[data-repeat]");
      var rows = fieldset && fieldset.querySelector(".rows");
      if (!rows || !rows.lastElementChild) { return; }
      event.preventDefault();
      var last = rows.lastElementChild;
      var index = rows.children.length - 1;
      var copy = last.cloneNode(true);
      copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      copy.querySelectorAll("input").forEach(function (el) { el.value = ""; });
      copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
      renumber(copy, index, index + 1);
      rows.appendChild(copy);
      var first = copy.querySelector("input, select");
      if (first) { first.focus(); }
    });
  });
  // When a form comes back with errors, move the keyboard focus to the list of problems (or to the
  // field a single error is about) and bring it into the middle of the window: the error may be far
  // below the top of a long page, where nobody would see it.
  var target = document.getElementById("problems") || document.querySelector("[data-focus]");
  if (target) {
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  }
  // The letter's page: a button that prints it, and one that copies the e-mail's text (both need the script,
  // so both are hidden until it runs; without it, the browser's own Print and a selection do the same).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var done = button.parentNode.querySelector("[data-copied]");
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      source.focus();
      source.select();
      var shown = function () { if (done) { done.hidden = false; } };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(source.value).then(shown, function () { document.execCommand("copy"); shown(); });
      } else {
        document.execCommand("copy");
        shown();
      }
    });
  });
})();
