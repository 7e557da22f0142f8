// kb pages: small enhancements only; every page works without this file.
"use strict";

document.addEventListener("keydown", (event) => {
  // "/" focuses the search box (unless typing in a field already)
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
  const box = document.querySelector("[data-slash-focus]");
  if (box instanceof HTMLInputElement) {
    event.preventDefault();
    box.focus();
    box.select();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  // Copy the draft to the clipboard
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy || "");
      const status = document.getElementById("copy-status");
      if (!(source instanceof HTMLTextAreaElement)) return;
      try {
        await navigator.clipboard.writeText(source.value);
      } catch {
        source.select();
        document.execCommand("copy");
      }
      if (status) status.textContent = "✓";
    });
  }
});
