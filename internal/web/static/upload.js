// Evidence uploads with a progress bar. Forms marked data-upload are sent
// with XMLHttpRequest so that the upload's progress can be shown (when the
// form has a progress bar) and the page is not left; the status paragraph
// (role="status") tells screen readers how far it is and how it ended.
// A form also marked data-attach-upload (on an entry's page) announces the
// new evidence with an "sg:evidence-added" event, which attach.js turns
// into an attachment of the response, so nothing typed on the page is lost.
// Without this script the same forms work as plain multipart posts.
"use strict";

(() => {
  const csrf = () => {
    const meta = document.querySelector('meta[name="sg-csrf"]');
    return meta ? meta.content : "";
  };

  const setStatus = (el, text, link) => {
    el.textContent = text;
    if (link) {
      el.append(" ");
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      el.append(a);
    }
  };

  const init = (form) => {
    const status = form.querySelector(".upload-status");
    const box = form.querySelector(".upload-progress");
    const bar = box ? box.querySelector("progress") : { value: 0, removeAttribute() {} };
    const button = form.querySelector('button[type="submit"]');
    const attach = form.hasAttribute("data-attach-upload");
    if (!status || typeof XMLHttpRequest === "undefined" || typeof FormData === "undefined") return;

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      const xhr = new XMLHttpRequest();
      let lastAnnounced = -1;
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.upload.addEventListener("progress", (e) => {
        if (!box) return;
        if (!e.lengthComputable) {
          bar.removeAttribute("value");
          return;
        }
        const pct = Math.floor((e.loaded / e.total) * 100);
        bar.value = pct;
        // Announce in steps of a quarter, not every event.
        const step = Math.floor(pct / 25);
        if (step !== lastAnnounced) {
          lastAnnounced = step;
          setStatus(status, "Uploading: " + pct + "%");
        }
      });
      xhr.addEventListener("load", () => {
        if (button) button.disabled = false;
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (_) {
          body = null;
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          bar.value = 100;
          form.reset();
          if (attach && body && body.evidence) {
            status.dataset.state = "done";
            setStatus(status, "Added “" + body.evidence.title + "” to the evidence.");
            document.dispatchEvent(new CustomEvent("sg:evidence-added", { detail: { evidence: body.evidence, url: body.url } }));
            return;
          }
          const url = (body && body.url) || window.location.pathname;
          const title = body && body.evidence ? body.evidence.title : "the new version";
          setStatus(status, "Upload complete: " + title + ".", { href: url, text: "Open it" });
          status.dataset.state = "done";
          if (!(body && body.evidence)) window.location.reload();
          return;
        }
        bar.value = 0;
        status.dataset.state = "failed";
        let msg = "The upload failed (" + xhr.status + ").";
        if (body && body.error) {
          msg = body.error.message;
          const fields = body.error.fields || {};
          for (const f of Object.keys(fields)) msg += " The " + f.replace(/_/g, " ") + " " + fields[f] + ".";
        }
        setStatus(status, msg);
      });
      xhr.addEventListener("error", () => {
        if (button) button.disabled = false;
        bar.value = 0;
        status.dataset.state = "failed";
        setStatus(status, "The upload failed: the connection was lost. Try again.");
      });
      if (button) button.disabled = true;
      if (box) box.hidden = false;
      bar.value = 0;
      status.dataset.state = "uploading";
      setStatus(status, box ? "Uploading: 0%" : "Adding…");
      xhr.send(data);
    });
  };

  document.querySelectorAll("form[data-upload]").forEach(init);
})();
