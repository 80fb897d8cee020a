// Settings of handoffs, routing, scoring and integrations: copy a secret shown once, and ask
// before a form that cannot be undone (data-confirm) is sent.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const text = document.getElementById(button.dataset.copy)?.textContent.trim() || "";
  // The confirmation's words come from the template (data-copied), in the page's language.
  const done = () => {
    if (button.dataset.copied) button.textContent = button.dataset.copied;
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => selectText(button.dataset.copy));
  } else {
    selectText(button.dataset.copy);
  }
});

function selectText(id) {
  // Without the clipboard API (plain http), select the text for the user to copy.
  const range = document.createRange();
  range.selectNodeContents(document.getElementById(id));
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
