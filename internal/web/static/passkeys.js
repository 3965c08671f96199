// Passkeys and security keys (WebAuthn): registering one on the passkeys
// page, and using one as the second step of signing in. The server keeps each
// challenge; this script only carries options to the browser and the
// authenticator's answer back, converting binary fields to and from base64url.
"use strict";

(() => {
  const csrf = () => {
    const meta = document.querySelector('meta[name="sg-csrf"]');
    return meta ? meta.content : "";
  };

  const fromB64url = (s) => {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  };

  const toB64url = (buf) => {
    const bytes = new Uint8Array(buf);
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  // post sends a JSON body and returns the JSON answer, or throws an Error
  // carrying the server's message.
  const post = async (url, body) => {
    const resp = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf()},
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try {
      data = await resp.json();
    } catch (e) {
      // An empty or non-JSON answer; the status says enough.
    }
    if (!resp.ok) {
      const e = (data && data.error) || {};
      const err = new Error(e.message || `The server answered ${resp.status}.`);
      // Field problems say more than the summary: "Name must be at most 64 characters."
      err.fields = e.fields || {};
      const said = Object.entries(err.fields).map(([f, m]) => `${f.charAt(0).toUpperCase()}${f.slice(1)} ${m}.`);
      if (said.length) err.message = said.join(" ");
      throw err;
    }
    return data;
  };

  const creationOptions = (opts) => {
    const pk = opts.publicKey;
    pk.challenge = fromB64url(pk.challenge);
    pk.user.id = fromB64url(pk.user.id);
    for (const c of pk.excludeCredentials || []) c.id = fromB64url(c.id);
    return {publicKey: pk};
  };

  const requestOptions = (opts) => {
    const pk = opts.publicKey;
    pk.challenge = fromB64url(pk.challenge);
    for (const c of pk.allowCredentials || []) c.id = fromB64url(c.id);
    return {publicKey: pk};
  };

  const attestationJSON = (cred) => ({
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: toB64url(cred.response.clientDataJSON),
      attestationObject: toB64url(cred.response.attestationObject),
      transports: cred.response.getTransports ? cred.response.getTransports() : [],
    },
    clientExtensionResults: cred.getClientExtensionResults(),
  });

  const assertionJSON = (cred) => ({
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: toB64url(cred.response.clientDataJSON),
      authenticatorData: toB64url(cred.response.authenticatorData),
      signature: toB64url(cred.response.signature),
      userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : undefined,
    },
    clientExtensionResults: cred.getClientExtensionResults(),
  });

  // explain turns what the browser throws into words a person can act on.
  const explain = (err) => {
    switch (err && err.name) {
      case "NotAllowedError":
        return "The passkey request was cancelled or timed out. Try again.";
      case "InvalidStateError":
        return "This authenticator already holds a passkey for your account.";
      case "SecurityError":
        return "Passkeys need a secure address: https, or localhost.";
      case "NotSupportedError":
        return "This authenticator does not support what Safeguard asks for.";
    }
    return (err && err.message) || "Something went wrong.";
  };

  const showError = (box, msg) => {
    box.textContent = "";
    if (!msg) return;
    const p = document.createElement("p");
    p.className = "problem";
    p.textContent = msg;
    box.appendChild(p);
  };

  const supported = () => !!(window.PublicKeyCredential && navigator.credentials);

  const nextParam = () => new URLSearchParams(window.location.search).get("next") || "";

  document.addEventListener("DOMContentLoaded", () => {
    const errorBox = document.getElementById("passkey-error");
    const status = document.getElementById("passkey-status");
    const say = (msg) => { if (status) status.textContent = msg; };

    // Registering a new passkey.
    const form = document.getElementById("passkey-register");
    if (form && errorBox) {
      const button = form.querySelector("button[type=submit]");
      if (!supported()) {
        button.disabled = true;
        showError(errorBox, "This browser cannot use passkeys.");
      }
      const input = form.elements.name;
      const hint = input.getAttribute("aria-describedby") || "";
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        showError(errorBox, "");
        input.removeAttribute("aria-invalid");
        input.setAttribute("aria-describedby", hint);
        button.disabled = true;
        say("Follow your browser's prompt to create the passkey…");
        try {
          const opts = await post("/account/passkeys/register/begin", {name: input.value});
          const cred = await navigator.credentials.create(creationOptions(opts));
          const next = form.dataset.next || nextParam();
          const url = "/account/passkeys/register/finish" + (next ? "?next=" + encodeURIComponent(next) : "");
          const done = await post(url, attestationJSON(cred));
          say("Passkey added.");
          window.location.assign(done.redirect);
        } catch (err) {
          say("");
          showError(errorBox, explain(err));
          if (err.fields && err.fields.name) {
            // Tie the problem to the field it is about.
            input.setAttribute("aria-invalid", "true");
            input.setAttribute("aria-describedby", `${hint} passkey-error`.trim());
          }
          button.disabled = false;
          input.focus();
        }
      });
    }

    // Using a passkey as the second step of signing in.
    const signin = document.getElementById("passkey-signin");
    if (signin && errorBox) {
      if (!supported()) {
        signin.disabled = true;
        showError(errorBox, "This browser cannot use passkeys.");
      }
      signin.addEventListener("click", async () => {
        showError(errorBox, "");
        signin.disabled = true;
        say("Follow your browser's prompt to use your passkey…");
        try {
          const opts = await post("/login/passkey/begin", {});
          const cred = await navigator.credentials.get(requestOptions(opts));
          const next = nextParam();
          const url = "/login/passkey/finish" + (next ? "?next=" + encodeURIComponent(next) : "");
          const done = await post(url, assertionJSON(cred));
          say("Signed in.");
          window.location.assign(done.redirect);
        } catch (err) {
          say("");
          showError(errorBox, explain(err));
          signin.disabled = false;
          signin.focus();
        }
      });
    }

    // Removing asks first.
    for (const f of document.querySelectorAll("form[data-confirm]")) {
      f.addEventListener("submit", (ev) => {
        if (!window.confirm(f.dataset.confirm)) ev.preventDefault();
      });
    }
  });
})();
