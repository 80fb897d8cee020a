// Leadflow's pages: small behaviours on top of htmx, no framework.
(function () {
  "use strict";

  // A disposition form shows the reasons of the chosen disposition's purpose only, and the
  // amount only where one is needed (won).
  function syncDisposition(form) {
    var pick = form.querySelector("select[name=disposition]");
    if (!pick || !pick.selectedOptions.length) return;
    var chosen = pick.selectedOptions[0];
    var purpose = chosen.dataset.purpose || "";
    var reason = form.querySelector("select[name=reason]");
    if (reason) {
      Array.prototype.forEach.call(reason.options, function (option) {
        var fits = !option.value || option.dataset.purpose === purpose;
        option.hidden = !fits;
        option.disabled = !fits;
      });
      if (reason.selectedOptions.length && reason.selectedOptions[0].disabled) reason.value = "";
      reason.hidden = !purpose;
    }
    var amount = form.querySelector("[name=amount]");
    if (amount) amount.hidden = !chosen.dataset.amount;
  }

  function syncAll(root) {
    root.querySelectorAll("form[data-disposition]").forEach(syncDisposition);
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && event.target.name === "disposition") syncDisposition(form);
  });

  // A form being filled in is never replaced by the periodic refresh of its list
  // (data-idle-refresh); a submitted one is replaced by the answer as usual. A listener, not an
  // hx-trigger filter: htmx evaluates filters as strings, which the CSP (script-src 'self') forbids.
  document.addEventListener("input", function (event) {
    if (event.target.form) event.target.form.classList.add("dirty");
  });
  function idle() {
    var active = document.activeElement;
    return !document.querySelector("form.dirty") && !(active && active.closest && active.closest("form"));
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.hasAttribute("data-idle-refresh") && !idle()) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    syncAll(document);
    if (window.htmx) window.htmx.onLoad(syncAll);
  });
})();
