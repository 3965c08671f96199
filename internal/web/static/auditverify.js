// Shows the progress of an audit-log verification running on the server.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("verify");
  const status = document.getElementById("verify-status");
  if (!box || !status || !document.getElementById("verify-progress")) {
    return;
  }
  const url = box.dataset.statusUrl;
  const poll = async () => {
    let s;
    try {
      const res = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!res.ok) {
        return;
      }
      s = await res.json();
    } catch (e) {
      setTimeout(poll, 2000);
      return;
    }
    if (s.running) {
      const bar = document.getElementById("verify-progress");
      const text = document.getElementById("verify-text");
      bar.value = Math.round(s.percent);
      bar.textContent = Math.round(s.percent) + "%";
      text.textContent = "Verifying: " + s.done + " of " + s.total + " entries…";
      setTimeout(poll, 500);
      return;
    }
    // Finished: the page shows the result as the server renders it.
    location.reload();
  };
  setTimeout(poll, 500);
});
