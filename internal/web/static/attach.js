// Search-and-attach on an entry's page (templates/_evidence.html). Without
// this script the search is a GET of the page and Attach and Detach submit
// the response form, saving it. With it, nothing leaves the page: Find asks
// the API for a page of the organisation's current evidence by title,
// Attach adds the evidence to the response form's list and Detach takes it
// off, and the change is saved with the response by "Save response" — so a
// half-written narrative is never lost to a search. Evidence uploaded from
// the page (upload.js, event "sg:evidence-added") is attached the same way.
"use strict";

(() => {
  const find = document.querySelector("[data-evidence-find]");
  const linked = document.querySelector("[data-evidence-linked]");
  const search = document.getElementById("evidence-search");
  if (!find || !linked || !search || typeof fetch === "undefined") return;
  const results = find.querySelector("[data-evidence-results]");
  const status = find.querySelector("[data-evidence-status]");
  const none = linked.parentElement.querySelector("[data-evidence-none]");
  const input = document.getElementById("evidence-q");
  const api = find.dataset.api;
  const base = find.dataset.evidenceBase;

  const say = (text) => {
    status.textContent = text;
  };
  const linkedIDs = () => Array.from(linked.querySelectorAll("li[data-evidence-id]")).map((li) => li.dataset.evidenceId);

  // label builds the link, kind and marks of a piece of evidence, as the
  // template's "evidence-option" does.
  const label = (ev) => {
    const frag = document.createDocumentFragment();
    const a = document.createElement("a");
    a.href = ev.url || base + "/" + ev.id;
    a.textContent = ev.title;
    const kind = document.createElement("span");
    kind.className = "muted";
    kind.textContent = "(" + (ev.kind === "link" ? "link" : "file") + ")";
    frag.append(a, " ", kind);
    if (ev.kind === "link" && /^http:/i.test(ev.href || "")) {
      const pill = document.createElement("span");
      pill.className = "pill warn";
      pill.textContent = "not encrypted (http)";
      frag.append(" ", pill);
    }
    return frag;
  };

  const detachButton = (ev) => {
    const b = document.createElement("button");
    b.type = "submit";
    b.name = "detach";
    b.value = ev.id;
    b.className = "secondary small";
    b.dataset.detach = "";
    b.setAttribute("aria-label", "Detach " + ev.title);
    b.textContent = "Detach";
    return b;
  };

  const attachButton = (ev) => {
    const b = document.createElement("button");
    b.type = "submit";
    b.name = "attach";
    b.value = ev.id;
    b.className = "secondary small";
    b.dataset.attach = "";
    b.dataset.title = ev.title;
    b.dataset.kind = ev.kind;
    b.dataset.url = ev.url || base + "/" + ev.id;
    b.setAttribute("aria-label", "Attach " + ev.title);
    b.textContent = "Attach";
    return b;
  };

  const markAttached = (id, attached) => {
    results.querySelectorAll('li[data-evidence-id="' + id + '"]').forEach((li) => {
      const b = li.querySelector("button[data-attach]");
      const note = li.querySelector(".attached-note");
      if (attached && b) {
        const span = document.createElement("span");
        span.className = "muted attached-note";
        span.textContent = "attached";
        b.replaceWith(span);
      } else if (!attached && note) {
        note.replaceWith(attachButton({ id: id, title: li.dataset.title, kind: li.dataset.kind, url: li.dataset.url }));
      }
    });
  };

  const attach = (ev) => {
    const id = String(ev.id);
    if (linkedIDs().includes(id)) {
      say("“" + ev.title + "” is already attached.");
      return;
    }
    const li = document.createElement("li");
    li.dataset.evidenceId = id;
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "evidence";
    hidden.value = id;
    li.append(hidden, label(ev), " ", detachButton(ev));
    linked.append(li);
    if (none) none.hidden = true;
    markAttached(id, true);
    say("Attached “" + ev.title + "”. Save the response to keep it.");
  };

  const detach = (li) => {
    const title = li.querySelector("a") ? li.querySelector("a").textContent : "the evidence";
    const id = li.dataset.evidenceId;
    li.remove();
    if (none) none.hidden = linkedIDs().length > 0;
    markAttached(id, false);
    say("Detached “" + title + "”. Save the response to keep the change.");
  };

  const render = (items, next, query, append) => {
    let list = results.querySelector("ul.evidence-found");
    if (!append) {
      results.textContent = "";
      list = null;
    }
    const more = results.querySelector("[data-evidence-more]");
    if (more) more.closest("p").remove();
    if (!list) {
      if (items.length === 0) {
        const p = document.createElement("p");
        p.textContent = query ? "No current evidence has “" + query + "” in its title." : "There is no current evidence yet.";
        results.append(p);
        return;
      }
      list = document.createElement("ul");
      list.className = "plain evidence-found";
      results.append(list);
    }
    const have = linkedIDs();
    for (const ev of items) {
      const li = document.createElement("li");
      li.dataset.evidenceId = ev.id;
      li.dataset.title = ev.title;
      li.dataset.kind = ev.kind;
      li.dataset.url = base + "/" + ev.id;
      li.append(label({ id: ev.id, title: ev.title, kind: ev.kind, href: ev.url }), " ");
      if (have.includes(String(ev.id))) {
        const span = document.createElement("span");
        span.className = "muted attached-note";
        span.textContent = "attached";
        li.append(span);
      } else {
        li.append(attachButton(ev));
      }
      list.append(li);
    }
    if (next) {
      const p = document.createElement("p");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary small";
      b.dataset.evidenceMore = "";
      b.textContent = "More results";
      b.addEventListener("click", () => run(query, next));
      p.append(b);
      results.append(p);
    }
  };

  const run = async (query, cursor) => {
    const u = new URL(api, window.location.origin);
    u.searchParams.set("q", query);
    u.searchParams.set("current", "true");
    u.searchParams.set("limit", "20");
    if (cursor) u.searchParams.set("cursor", cursor);
    say("Searching…");
    try {
      const resp = await fetch(u, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!resp.ok) throw new Error(String(resp.status));
      const body = await resp.json();
      const items = body.evidence || [];
      render(items, body.next_cursor, query, Boolean(cursor));
      say(cursor ? "More results shown." : items.length === 1 ? "1 result." : items.length + (body.next_cursor ? " results shown; there are more." : " results."));
    } catch (_) {
      say("The search did not work. Check the connection and try again.");
    }
  };

  search.addEventListener("submit", (e) => {
    e.preventDefault();
    run(input.value.trim(), "");
  });

  // Attach and Detach are submit buttons of the response form (they work
  // without this script); here they change the form in place instead.
  linked.closest("form").addEventListener("click", (e) => {
    const more = e.target.closest("a[data-evidence-more]");
    if (more) {
      e.preventDefault();
      run(input.value.trim(), new URL(more.href).searchParams.get("evidence_cursor") || "");
      return;
    }
    const b = e.target.closest("button[data-attach], button[data-detach]");
    if (!b) return;
    e.preventDefault();
    if (b.hasAttribute("data-attach")) {
      attach({ id: b.value, title: b.dataset.title, kind: b.dataset.kind, url: b.dataset.url });
    } else {
      detach(b.closest("li"));
    }
  });
  results.querySelectorAll("li[data-evidence-id]").forEach((li) => {
    const b = li.querySelector("button[data-attach]");
    if (b) Object.assign(li.dataset, { title: b.dataset.title, kind: b.dataset.kind, url: b.dataset.url });
  });

  document.addEventListener("sg:evidence-added", (e) => {
    const ev = e.detail.evidence;
    attach({ id: ev.id, title: ev.title, kind: ev.kind, url: e.detail.url });
  });
})();
