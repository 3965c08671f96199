// Recovery codes page: copy the codes, download them as a text file made
// here in the browser (the codes never travel in a URL or reach a log), or
// print the sheet (the print stylesheet shows only the codes and the
// account). Without this script the browser's own print still works.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const actions = document.getElementById("recovery-actions");
  const sheet = document.getElementById("recovery-sheet");
  if (!actions || !sheet) {
    return;
  }
  const status = document.getElementById("recovery-status");
  const codes = [...sheet.querySelectorAll("#recovery-codes code")].map((c) => c.textContent.trim());
  const text = (id) => (document.getElementById(id) || { textContent: "" }).textContent.trim();
  const say = (msg) => { status.textContent = msg; };

  const asText = () => [
    "Safeguard recovery codes",
    "Account: " + text("recovery-account"),
    "Safeguard: " + text("recovery-site"),
    "Made: " + text("recovery-made"),
    "",
    ...codes.map((c, i) => (i + 1) + ". " + c),
    "",
    "Each code signs you in once instead of the code from your authenticator app.",
    "Keep this file somewhere safe, apart from your phone. A newer set replaces these codes.",
    "",
  ].join("\r\n");

  document.getElementById("recovery-copy").addEventListener("click", async () => {
    const plain = codes.join("\n");
    try {
      await navigator.clipboard.writeText(plain);
      say("Copied " + codes.length + " codes. Paste them into your password manager.");
    } catch (e) {
      // No clipboard access: select the codes so that the person can copy
      // them with the keyboard.
      const range = document.createRange();
      range.selectNodeContents(document.getElementById("recovery-codes"));
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      say("The codes are selected: press Ctrl+C (or ⌘C) to copy them.");
    }
  });

  document.getElementById("recovery-download").addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([asText()], { type: "text/plain;charset=utf-8" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "safeguard-recovery-codes.txt";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    say("Downloaded safeguard-recovery-codes.txt. Keep it somewhere safe, apart from your phone.");
  });

  document.getElementById("recovery-print").addEventListener("click", () => window.print());
  actions.hidden = false;
});
