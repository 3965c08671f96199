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
  idleLogout();
  // A page that only sends the browser on (to an identity provider) does so
  // at once; without scripts the person follows the link themselves.
  const follow = document.querySelector("a[data-follow]");
  if (follow) {
    location.assign(follow.href);
  }
});

// idleLogout warns before the automatic logoff (45 CFR 164.312(a)(2)(iii))
// and lets the person stay signed in. The server decides: this script asks
// /session/status, which does not extend the session, how long is left.
// Typing and working in a form is activity: it tells the server so
// (/session/keepalive), at most every few seconds. A form whose session
// runs out keeps a draft in the browser (drafts, below), offered back after
// signing in again.
function idleLogout() {
  const idleMeta = document.querySelector('meta[name="sg-idle-seconds"]');
  const csrfMeta = document.querySelector('meta[name="sg-csrf"]');
  const userMeta = document.querySelector('meta[name="sg-user"]');
  const box = document.getElementById("idle-warning");
  if (!idleMeta || !csrfMeta || !box) {
    return;
  }
  const idle = parseInt(idleMeta.content, 10) || 900;
  // Warn two minutes ahead, or at a fifth of a short idle limit.
  const warnAt = Math.min(120, Math.max(2, Math.floor(idle / 5)));
  // Activity is reported at most this often: a tenth of the limit, at most
  // every 30 s, so that a typist's session never runs out.
  const reportEvery = Math.min(30000, Math.max(500, (idle * 1000) / 10));
  const countdown = document.getElementById("idle-countdown");
  const stay = document.getElementById("idle-stay");
  const store = drafts(userMeta ? userMeta.content : "");
  let deadline = Date.now() + idle * 1000;
  let timer = null;
  let reported = Date.now(); // the page load itself was activity
  let reporting = false;

  const signedOut = () => {
    store.saveAll();
    const next = encodeURIComponent(location.pathname + location.search);
    location.assign("/login?reason=idle&next=" + next);
  };

  const check = async () => {
    try {
      const res = await fetch("/session/status", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (res.status === 401 || res.redirected) {
        signedOut();
        return;
      }
      if (res.ok) {
        const s = await res.json();
        deadline = Date.now() + s.seconds_left * 1000;
      }
    } catch (e) {
      // Offline: keep counting down on the last known deadline.
    }
    schedule();
  };

  const keepAlive = async () => {
    const res = await fetch("/session/keepalive", {
      method: "POST",
      headers: { "X-CSRF-Token": csrfMeta.content },
      credentials: "same-origin",
    });
    return res.ok;
  };

  const render = (left) => {
    const secs = Math.max(0, Math.ceil(left / 1000));
    countdown.textContent = secs >= 60 ? Math.ceil(secs / 60) + " minutes" : secs + " seconds";
  };

  const schedule = () => {
    clearTimeout(timer);
    const left = deadline - Date.now();
    if (left <= 0) {
      // Only the server ends a session: ask it, and go to the sign-in page
      // when it says the session is over.
      render(0);
      timer = setTimeout(check, 1000);
      return;
    }
    if (left <= warnAt * 1000) {
      if (box.hidden) {
        box.hidden = false;
        // The session may end: keep what was typed.
        store.saveAll();
        stay.focus();
      }
      render(left);
      timer = setTimeout(tick, 1000);
    } else {
      box.hidden = true;
      // Ask again a little before the warning is due, at most every 30 s.
      timer = setTimeout(check, Math.min(left - warnAt * 1000, 30000));
    }
  };

  const tick = () => {
    if (deadline - Date.now() <= 0) {
      // Another tab may have kept the session alive: ask first.
      check();
      return;
    }
    schedule();
  };

  // active reports typing and form work to the server, which extends the
  // session; the status poll never does.
  const active = async (event) => {
    if (event.target === stay || deadline <= Date.now()) {
      return; // the button speaks for itself; a session past its end is over
    }
    if (!box.hidden) {
      store.saveAll();
    }
    if (reporting || Date.now() - reported < reportEvery) {
      return;
    }
    reporting = true;
    try {
      if (await keepAlive()) {
        reported = Date.now();
        deadline = reported + idle * 1000;
        box.hidden = true;
        schedule();
      }
    } catch (e) {
      // Offline: the countdown goes on.
    } finally {
      reporting = false;
    }
  };
  for (const type of ["input", "change", "keydown"]) {
    document.addEventListener(type, active, true);
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches('form[action="/logout"]')) {
      store.clearAll(); // signing out on purpose leaves nothing behind
    } else if (Date.now() < deadline) {
      store.clear(form); // the text goes to the server
    } else {
      store.save(form); // the session may be over: keep it for after sign-in
    }
  });

  stay.addEventListener("click", async () => {
    if (!(await keepAlive())) {
      signedOut();
      return;
    }
    reported = Date.now();
    box.hidden = true;
    check();
  });
  store.offer();
  schedule();
}

// drafts keeps the unsaved text of a page's forms in the browser's
// localStorage, by user, page and form, and offers it back. It never keeps
// passwords, codes, tokens or hidden fields, and forgets drafts after a day.
function drafts(user) {
  const maxAge = 24 * 60 * 60 * 1000;
  const prefix = "sg-draft:" + user + ":";
  const secret = /pass|token|code|secret|csrf|otp|recovery/i;
  const enabled = user !== "" && typeof localStorage !== "undefined";

  const forms = () => Array.from(document.querySelectorAll("main form")).filter((f) => (f.method || "").toLowerCase() === "post" && !f.hasAttribute("data-no-draft"));

  const key = (form) => {
    const action = form.getAttribute("action") || "";
    const same = forms().filter((f) => (f.getAttribute("action") || "") === action);
    const name = form.id || action + "#" + same.indexOf(form);
    return prefix + location.pathname + location.search + ":" + name;
  };

  // fields are the controls a draft keeps, in the form's order.
  const fields = (form) => Array.from(form.elements).filter((el) => {
    if (!el.name || el.disabled || secret.test(el.name) || secret.test(el.id || "") || el.autocomplete === "one-time-code") {
      return false;
    }
    const type = (el.type || "").toLowerCase();
    return !["hidden", "password", "file", "submit", "button", "reset", "image"].includes(type);
  });

  const changed = (el) => {
    if (el.type === "checkbox" || el.type === "radio") {
      return el.checked !== el.defaultChecked;
    }
    if (el.tagName === "SELECT") {
      return Array.from(el.options).some((o) => o.selected !== o.defaultSelected);
    }
    return el.value !== el.defaultValue;
  };

  const save = (form) => {
    if (!enabled) {
      return;
    }
    const els = fields(form);
    if (!els.some(changed)) {
      return;
    }
    const values = els.map((el) => (el.type === "checkbox" || el.type === "radio" ? { n: el.name, c: el.checked } : { n: el.name, v: el.value }));
    try {
      localStorage.setItem(key(form), JSON.stringify({ at: Date.now(), values }));
    } catch (e) {
      // Storage full or refused: nothing to keep.
    }
  };

  const clear = (form) => {
    if (enabled) {
      localStorage.removeItem(key(form));
    }
  };

  const clearAll = () => {
    if (!enabled) {
      return;
    }
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && k.startsWith(prefix)) {
        localStorage.removeItem(k);
      }
    }
  };

  const restore = (form, draft) => {
    const els = fields(form);
    draft.values.forEach((d, i) => {
      const el = els[i];
      if (!el || el.name !== d.n) {
        return; // the form changed since: leave the field as it is
      }
      if ("c" in d) {
        el.checked = d.c;
      } else {
        el.value = d.v;
      }
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
  };

  // offer shows, above each form with a draft, the choice to restore it.
  const offer = () => {
    if (!enabled) {
      return;
    }
    for (const form of forms()) {
      let draft = null;
      try {
        draft = JSON.parse(localStorage.getItem(key(form)) || "null");
      } catch (e) {
        draft = null;
      }
      if (!draft || !Array.isArray(draft.values) || Date.now() - draft.at > maxAge) {
        clear(form);
        continue;
      }
      const note = document.createElement("div");
      note.className = "notice draft-offer";
      note.setAttribute("role", "status");
      const text = document.createElement("p");
      text.textContent = "Restore your unsaved text? You were signed out before saving this form on " + new Date(draft.at).toLocaleString() + ".";
      const yes = document.createElement("button");
      yes.type = "button";
      yes.className = "draft-restore";
      yes.textContent = "Restore it";
      const no = document.createElement("button");
      no.type = "button";
      no.className = "draft-discard secondary";
      no.textContent = "Discard it";
      yes.addEventListener("click", () => {
        restore(form, draft);
        clear(form);
        note.remove();
        const first = fields(form)[0];
        if (first) {
          first.focus();
        }
      });
      no.addEventListener("click", () => {
        clear(form);
        note.remove();
      });
      note.append(text, yes, " ", no);
      form.before(note);
    }
  };

  return {
    save,
    saveAll: () => forms().forEach(save),
    clear,
    clearAll,
    offer,
  };
}

// A submit button with data-busy says what is happening while the server
// works (a large report takes a few seconds), and is not pressed twice.
document.addEventListener("submit", (event) => {
  const button = event.submitter || event.target.querySelector("button[data-busy]");
  if (!button || !button.dataset.busy || event.defaultPrevented) return;
  button.textContent = button.dataset.busy;
  button.setAttribute("aria-busy", "true");
  setTimeout(() => { button.disabled = true; }, 0);
});
