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
function idleLogout() {
  const idleMeta = document.querySelector('meta[name="sg-idle-seconds"]');
  const csrfMeta = document.querySelector('meta[name="sg-csrf"]');
  const box = document.getElementById("idle-warning");
  if (!idleMeta || !csrfMeta || !box) {
    return;
  }
  const idle = parseInt(idleMeta.content, 10) || 900;
  // Warn two minutes ahead, or at a fifth of a short idle limit.
  const warnAt = Math.min(120, Math.max(2, Math.floor(idle / 5)));
  const countdown = document.getElementById("idle-countdown");
  const stay = document.getElementById("idle-stay");
  let deadline = Date.now() + idle * 1000;
  let timer = null;

  const signedOut = () => {
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

  stay.addEventListener("click", async () => {
    const res = await fetch("/session/keepalive", {
      method: "POST",
      headers: { "X-CSRF-Token": csrfMeta.content },
      credentials: "same-origin",
    });
    if (!res.ok) {
      signedOut();
      return;
    }
    box.hidden = true;
    check();
  });
  schedule();
}
