// The leads list: "all on this page", how many are chosen, and only the chosen action's fields.
(function () {
  "use strict";

  function setup() {
    var form = document.getElementById("lead-bulk");
    if (!form) return;
    var all = document.getElementById("pick-all");
    var picks = form.querySelectorAll("input[name=leads]");
    var counter = document.getElementById("picked-count");
    var action = form.querySelector("select[name=action]");

    function count() {
      var n = 0;
      picks.forEach(function (box) { if (box.checked) n += 1; });
      if (counter) counter.textContent = n ? n + " ✓" : "";
      if (all) {
        all.checked = n > 0 && n === picks.length;
        all.indeterminate = n > 0 && n < picks.length;
      }
    }

    function showFields() {
      if (!action) return;
      form.querySelectorAll("[data-for]").forEach(function (part) {
        part.hidden = part.dataset.for !== action.value;
      });
    }

    if (all) {
      all.addEventListener("change", function () {
        picks.forEach(function (box) { box.checked = all.checked; });
        count();
      });
    }
    picks.forEach(function (box) { box.addEventListener("change", count); });
    if (action) action.addEventListener("change", showFields);
    count();
    showFields();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
