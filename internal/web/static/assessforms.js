// The assessment forms that save several entries at once (guided mode and
// the table). When the server sends such a form back because something
// needs attention, the problems are listed at the top and shown beside
// their fields; this script takes the person to the first of those fields
// at once, and makes the links of the list put the cursor in the field
// they name. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form#guided-form, form#table-form");
  if (!form) {
    return;
  }
  // The field itself, or the first choice of a group of choices.
  const focusable = (el) => {
    if (el.matches("fieldset")) {
      return el.querySelector("input:checked") || el.querySelector("input, select, textarea");
    }
    if (el.matches("input, select, textarea, [tabindex]")) {
      return el;
    }
    return el.querySelector("input, select, textarea") || null;
  };
  const go = (el) => {
    const details = el.closest("details");
    if (details) {
      details.open = true;
    }
    el.scrollIntoView({ block: "center" });
    const f = focusable(el);
    if (f) {
      f.focus({ preventScroll: true });
    }
  };
  for (const a of document.querySelectorAll("#page-problem .problem-list a[href^='#']")) {
    a.addEventListener("click", (ev) => {
      const target = document.getElementById(decodeURIComponent(a.hash.slice(1)));
      if (target) {
        ev.preventDefault();
        history.replaceState(null, "", a.hash);
        go(target);
      }
    });
  }
  if (!document.getElementById("page-problem") || location.hash) {
    return;
  }
  const first = form.querySelector(".conflict, fieldset[aria-describedby*='problem'], [aria-invalid='true']");
  if (first) {
    go(first);
  }
});
