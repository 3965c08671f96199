// Reports page: the form shows only the choices that apply: the register
// when the format is one register at a time (CSV), the asset when the
// report is about one asset. Without this script every choice shows, and
// the server ignores those that do not apply.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("report-form");
  if (!form) {
    return;
  }
  const format = document.getElementById("report-format");
  const register = document.getElementById("report-register-field");
  const asset = document.getElementById("report-asset-field");
  const registerFormats = (form.dataset.registerFormats || "").split(" ");
  const update = () => {
    const part = form.querySelector('input[name="part"]:checked');
    if (register && format) {
      register.hidden = !registerFormats.includes(format.value);
    }
    if (asset) {
      asset.hidden = !(part && part.value === "asset");
    }
  };
  form.addEventListener("change", update);
  update();
});
