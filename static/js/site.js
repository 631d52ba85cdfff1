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
  // The phone header: the preferences and the navigation fold behind the menu button (CSS shows the
  // button only on a narrow screen, and only when this script runs: without it everything stays open).
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    var header = toggle.closest(".site-header");
    var label = toggle.querySelector(".menu-label");
    document.documentElement.classList.add("js-menu");
    var setOpen = function (open) {
      header.classList.toggle("menu-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      label.textContent = toggle.getAttribute(open ? "data-label-close" : "data-label-open");
    };
    toggle.addEventListener("click", function () { setOpen(!header.classList.contains("menu-open")); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) { setOpen(false); toggle.focus(); }
    });
  }
  // Card tables on a phone: every cell carries its column's heading (templates may set data-label themselves).
  document.querySelectorAll("table.card-table").forEach(function (table) {
    var headings = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.from(row.children).forEach(function (cell, i) {
        if (!cell.hasAttribute("data-label") && headings[i]) { cell.setAttribute("data-label", headings[i]); }
      });
    });
  });
  // Rows of a form (e.g. an interview's guests): 增加一行 copies the last row, empty, with the next number.
  document.querySelectorAll("button[data-add-row]").forEach(function (button) {
    var container = document.getElementById(button.getAttribute("data-add-row"));
    var prefix = button.getAttribute("data-prefix");
    var max = parseInt(button.getAttribute("data-max"), 10);
    var rows = function () { return container.querySelectorAll("[data-row]"); };
    button.hidden = rows().length >= max;
    button.addEventListener("click", function () {
      var n = rows().length;
      if (!n || n >= max) { return; }
      var last = rows()[n - 1];
      var copy = last.cloneNode(true);
      var from = prefix + (n - 1) + "-", to = prefix + n + "-";
      copy.querySelectorAll("p.error").forEach(function (e) { e.remove(); });
      copy.querySelectorAll(".has-error").forEach(function (e) { e.classList.remove("has-error"); });
      copy.querySelectorAll("[id], [name], [for], [aria-describedby]").forEach(function (el) {
        el.removeAttribute("aria-invalid");
        ["id", "name", "for", "aria-describedby"].forEach(function (attr) {
          if (!el.hasAttribute(attr)) { return; }
          var value = el.getAttribute(attr).split(" ").filter(function (t) { return !/-error$/.test(t); }).join(" ");
          if (attr === "aria-describedby" && !value) { el.removeAttribute(attr); return; }
          el.setAttribute(attr, value.split(from).join(to));
        });
      });
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
      copy.querySelector("legend").textContent = button.getAttribute("data-legend").replace("{n}", n + 1);
      last.parentNode.insertBefore(copy, last.nextSibling);
      copy.querySelector("input").focus();
      button.hidden = n + 1 >= max;
    });
  });
  // A table wider than the screen scrolls sideways: the keyboard must reach it (focusable, named region).
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    if (wrap.scrollWidth > wrap.clientWidth + 1 && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      var caption = wrap.querySelector("caption");
      var heading = caption || document.querySelector("main h1");
      if (heading) { wrap.setAttribute("aria-label", heading.textContent.trim()); }
    }
  });
  // After a failed submit: a summary of the errors above the form, each a link to its field, and focus on it.
  var main = document.getElementById("main");
  var errors = main ? Array.from(main.querySelectorAll("p.error[id$='-error'], .form-error")) : [];
  if (errors.length && main.getAttribute("data-msg-error-summary")) {
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("tabindex", "-1");
    summary.setAttribute("role", "group");
    summary.setAttribute("aria-labelledby", "error-summary-heading");
    summary.setAttribute("data-testid", "error-summary");
    var heading = document.createElement("h2");
    heading.id = "error-summary-heading";
    heading.textContent = main.getAttribute("data-msg-error-summary");
    var list = document.createElement("ul");
    errors.forEach(function (error) {
      var target = error.id ? document.getElementById(error.id.slice(0, -"-error".length)) : null;
      if (!target || target.type === "hidden") {
        target = error;
        if (!error.id) { error.id = "form-error-" + list.children.length; }
        error.setAttribute("tabindex", "-1");
      }
      var labelFor = target !== error && document.querySelector("label[for='" + target.id + "']");
      var container = target !== error && target.closest("fieldset");
      var name = labelFor ? labelFor.textContent : (container && container.querySelector("legend")
        ? container.querySelector("legend").textContent : "");
      name = name.trim().replace(/\s*\*$/, "");
      var link = document.createElement("a");
      link.href = "#" + target.id;
      link.textContent = (name ? name + main.getAttribute("data-msg-error-separator") : "") + error.textContent.trim();
      // A group of fields (a fieldset) is reached through its first field.
      var focusable = target.matches("input, select, textarea, button, a, [tabindex]") ? target
        : (target.querySelector("input:not([type=hidden]), select, textarea") || target);
      link.addEventListener("click", function (event) { event.preventDefault(); focusable.focus(); });
      var item = document.createElement("li");
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.appendChild(heading);
    summary.appendChild(list);
    var form = errors[0].closest("form");
    var flashes = main.querySelector(".flashes");
    if (form) { form.parentNode.insertBefore(summary, form); }
    else if (flashes) { flashes.parentNode.insertBefore(summary, flashes.nextSibling); }
    else { main.insertBefore(summary, main.firstChild); }
    summary.focus();
  }
})();
