// The inventory's import page (riskweb). Safeguard keeps no file between
// checking it and importing it, so each post carries the file again. This
// script sends the form without leaving the page, so the file chosen once
// stays chosen: a check replaces the results (#import-check) in place, an
// import follows the answer's redirect to the inventory. A changed column
// match must be checked again before the import button works. Without
// the script the form posts as it is and the person chooses the file
// again.
"use strict";

(() => {
  const form = document.querySelector("form[data-import]");
  if (!form || typeof fetch === "undefined" || typeof FormData === "undefined" || typeof DOMParser === "undefined") return;
  const status = document.getElementById("import-status");
  const hint = document.getElementById("import-file-hint");
  let busy = false;

  const keepFileHint = () => {
    if (hint) hint.textContent = "Nothing is saved until you import. If you change the file, choose it again and check it.";
  };
  keepFileHint();

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (busy) return;
    busy = true;
    const submitter = ev.submitter || null;
    const data = new FormData(form);
    if (submitter && submitter.name) data.set(submitter.name, submitter.value);
    const importing = submitter && submitter.value === "import";
    status.textContent = importing ? "Importing…" : "Checking the file…";
    try {
      const resp = await fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "text/html" } });
      if (resp.redirected) {
        window.location.assign(resp.url);
        return;
      }
      const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
      const fresh = doc.getElementById("import-check");
      if (!fresh) {
        const lead = doc.querySelector("main .lead, main p");
        status.textContent = lead ? lead.textContent : "The file could not be checked (" + resp.status + "). Try again.";
        return;
      }
      document.getElementById("import-check").replaceWith(document.adoptNode(fresh));
      status.textContent = "";
      keepFileHint();
      const summary = document.getElementById("import-summary") || document.getElementById("import-file-problem");
      if (summary) summary.focus();
    } catch (_) {
      status.textContent = "The file could not be sent. Check your connection and try again.";
    } finally {
      busy = false;
    }
  });

  form.addEventListener("change", (ev) => {
    const go = document.getElementById("import-go");
    if (ev.target.matches("select") && go) {
      go.disabled = true;
      status.textContent = "You changed which field a column fills: check the file again before importing.";
    }
    if (ev.target.matches('input[type="file"]') && go) {
      go.disabled = true;
      status.textContent = "You chose another file: check it before importing.";
    }
  });
})();
