// Leader mailbox pages: small enhancements; everything works without JavaScript.
(function () {
  "use strict";
  // Number and query code: show what was typed in capitals (the server ignores case anyway).
  ["number", "query_code"].forEach(function (id) {
    var input = document.getElementById(id);
    if (!input) { return; }
    input.addEventListener("input", function () {
      var at = input.selectionStart;
      input.value = input.value.toUpperCase();
      input.setSelectionRange(at, at);
    });
  });
  // Rating: show the overall score (rounded mean of the three dimensions) as the writer chooses.
  var fieldsets = document.querySelectorAll("fieldset.rating");
  if (fieldsets.length === 3) {
    var out = document.createElement("p");
    out.className = "rating-overall";
    out.setAttribute("aria-live", "polite");
    fieldsets[2].parentNode.insertBefore(out, fieldsets[2].nextSibling);
    var label = document.documentElement.lang.indexOf("zh") === 0 ? "总体评价：" : "Overall: ";
    var update = function () {
      var total = 0, n = 0;
      fieldsets.forEach(function (set) {
        var checked = set.querySelector("input:checked");
        if (checked) { total += parseInt(checked.value, 10); n += 1; }
      });
      out.textContent = n === 3 ? label + Math.floor((2 * total + 3) / 6) : "";
    };
    fieldsets.forEach(function (set) { set.addEventListener("change", update); });
    update();
  }
})();
