// Engage's rule editor: line numbers that follow the text, and the check's messages at the caret's line.
// The page works without it: the server numbers the lines, marks those with messages, and the
// links of the list of messages go to the line numbers.
"use strict";
(function () {
  var editor = document.querySelector("[data-editor]");
  if (!editor) { return; }
  var text = editor.querySelector("textarea");
  var gutter = editor.querySelector(".gutter");
  var said = document.getElementById("line-messages");
  // The messages the server marked, by line number (the marks stay on their numbers while the text changes).
  var marks = {};
  gutter.querySelectorAll("span.mark").forEach(function (span) {
    marks[span.textContent] = { cls: span.className, title: span.getAttribute("title") };
  });
  var shown = 0;

  function count() { return text.value.split("\n").length; }

  // One number per line, as many as the text has; the text box grows with it (it never scrolls up and down).
  function renumber() {
    var lines = count();
    if (lines !== shown) {
      var html = [];
      for (var n = 1; n <= lines; n++) {
        var mark = marks[String(n)];
        var span = document.createElement("span");
        span.id = "L" + n;
        span.textContent = String(n);
        if (mark) { span.className = mark.cls; span.setAttribute("title", mark.title); }
        html.push(span);
      }
      gutter.replaceChildren.apply(gutter, html);
      shown = lines;
    }
    text.rows = lines + 1;
  }

  function lineAtCaret() { return text.value.slice(0, text.selectionStart).split("\n").length; }

  // The messages of the caret's line, just under that line (a polite live region: read out, not interrupting).
  function sayLine() {
    var line = lineAtCaret();
    var mark = marks[String(line)];
    if (mark && mark.title) {
      var style = getComputedStyle(text);
      var top = text.offsetTop + parseFloat(style.borderTopWidth) + parseFloat(style.paddingTop);
      said.style.top = (top + line * parseFloat(style.lineHeight) - text.scrollTop) + "px";
      said.style.left = gutter.offsetWidth + "px";
      said.textContent = mark.title;
      said.hidden = false;
    } else {
      said.textContent = "";
      said.hidden = true;
    }
  }

  // A link of the list of messages puts the caret at the start of its line and brings the line into view.
  function goTo(line) {
    var parts = text.value.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < parts.length; i++) { offset += parts[i].length + 1; }
    text.focus({ preventScroll: true });
    text.setSelectionRange(offset, offset);
    var target = document.getElementById("L" + line);
    if (target) { target.scrollIntoView({ block: "center" }); }
    sayLine();
  }

  document.querySelectorAll("a[data-line]").forEach(function (link) {
    var line = parseInt(link.getAttribute("data-line"), 10);
    if (!line) { return; }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      goTo(line);
    });
  });
  text.addEventListener("input", renumber);
  ["keyup", "click", "focus"].forEach(function (name) { text.addEventListener(name, sayLine); });
  // The gutter does not scroll sideways with the text: nothing to follow but the line count.
  renumber();
  var wanted = /^#L(\d+)$/.exec(window.location.hash);
  if (wanted) { goTo(parseInt(wanted[1], 10)); }
})();
