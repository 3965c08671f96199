// Members page: "Remove" asks for confirmation in a dialog. Without this
// script the server asks on a page of its own; with it, the dialog's
// answer is sent along (confirm=yes) so that the server acts at once.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const dialog = document.getElementById("remove-dialog");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  let pending = null;
  for (const form of document.querySelectorAll("form.remove-member")) {
    form.addEventListener("submit", (ev) => {
      if (form.querySelector('input[name="confirm"]')) {
        return;
      }
      ev.preventDefault();
      pending = form;
      for (const el of dialog.querySelectorAll(".member-name")) el.textContent = form.dataset.member;
      for (const el of dialog.querySelectorAll(".member-email")) el.textContent = form.dataset.email;
      dialog.returnValue = "";
      dialog.showModal();
    });
  }
  dialog.addEventListener("close", () => {
    const form = pending;
    pending = null;
    if (!form || dialog.returnValue !== "remove") {
      return;
    }
    const confirm = document.createElement("input");
    confirm.type = "hidden";
    confirm.name = "confirm";
    confirm.value = "yes";
    form.appendChild(confirm);
    form.submit();
  });
});
