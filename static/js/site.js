// Small enhancements for every page; each works without JavaScript too.
(function () {
  "use strict";
  // Character counters: <textarea data-counter="5000"> with a sibling .counter element.
  document.querySelectorAll("[data-counter]").forEach(function (field) {
    var max = parseInt(field.getAttribute("data-counter"), 10);
    var out = document.getElementById(field.id + "-counter");
    if (!out) { return; }
    var template = out.getAttribute("data-template") || "{n} / {max}";
    function update() {
      var n = Array.from(field.value).length;
      out.textContent = template.replace("{n}", n).replace("{max}", max);
      out.classList.toggle("over", n > max);
    }
    field.addEventListener("input", update);
    update();
  });
  // Confirmation for destructive buttons: <button data-confirm="...">.
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // A submitted form cannot be sent twice by a double click.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      // A disabled button is left out of the form data: keep the clicked one's name=value
      // (e.g. <button name="verdict" value="approve">) in a hidden input before disabling it.
      var submitter = event.submitter;
      if (submitter && submitter.name) {
        var keep = document.createElement("input");
        keep.type = "hidden";
        keep.name = submitter.name;
        keep.value = submitter.value;
        form.appendChild(keep);
      }
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
})();
