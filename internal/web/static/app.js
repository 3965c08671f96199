// Safeguard's small enhancements. Every page works without this file.
"use strict";

// Tell the stylesheet (and the browser tests) that scripts run.
document.documentElement.dataset.js = "on";

document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the main region after following the skip link, so that
  // keyboard users continue from there.
  const skip = document.querySelector("a.skip");
  const main = document.getElementById("main");
  if (skip && main) {
    skip.addEventListener("click", () => main.focus());
  }
});
