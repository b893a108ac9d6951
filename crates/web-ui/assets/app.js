// fraudloop web UI: small enhancements on pages that work without script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Example messages fill the text box.
  for (const button of document.querySelectorAll("button.example")) {
    button.addEventListener("click", () => {
      const box = document.getElementById("text");
      if (box) { box.value = button.dataset.example; box.focus(); }
    });
  }

  // The upload size check before sending (the server checks again).
  const file = document.getElementById("file");
  const fileError = document.getElementById("file-error");
  if (file && fileError) {
    const submit = file.form.querySelector("button[type=submit]");
    file.addEventListener("change", () => {
      const max = Number(file.dataset.maxBytes);
      const tooLarge = file.files.length > 0 && file.files[0].size > max;
      fileError.hidden = !tooLarge;
      fileError.textContent = tooLarge ? fileError.dataset.tooLarge : "";
      submit.disabled = tooLarge;
    });
  }

  // The risk filter of the results table, without a round trip.
  const table = document.getElementById("results");
  const level = document.getElementById("level");
  if (table && level) {
    level.addEventListener("change", () => {
      for (const row of table.tBodies[0].rows) {
        row.hidden = level.value !== "" && row.dataset.level !== level.value;
      }
      const url = new URL(window.location);
      if (level.value) { url.searchParams.set("level", level.value); } else { url.searchParams.delete("level"); }
      history.replaceState(null, "", url);
    });
  }

  // Sortable tables: a heading button sorts by its column, again to reverse.
  for (const sortable of document.querySelectorAll("table.sortable")) {
    const headings = sortable.tHead.rows[0].cells;
    Array.from(headings).forEach((th, column) => {
      const button = th.querySelector("button[data-sort]");
      if (!button) { return; }
      button.addEventListener("click", () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        for (const other of headings) { other.removeAttribute("aria-sort"); }
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const numeric = button.dataset.sort === "num";
        const key = (row) => {
          const cell = row.cells[column];
          const value = cell ? (cell.dataset.value ?? cell.textContent) : "";
          return numeric ? Number(value) : value.toLowerCase();
        };
        const body = sortable.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const order = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? order : -order;
        });
        for (const row of rows) { body.appendChild(row); }
      });
    });
  }

  // Admin actions that change what is served ask once more.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm + "?")) { event.preventDefault(); }
    });
  }
});
