// Moderation queue: "select all on this page" for the bulk decision (the page works without it).
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (toggle) {
    var name = toggle.getAttribute("data-select-all");
    var boxes = document.querySelectorAll("input[type=checkbox][name='" + name + "']");
    toggle.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = toggle.checked; });
    });
  });
})();
