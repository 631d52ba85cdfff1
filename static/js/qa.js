// Public Q&A pages: while a citizen types a question's title, the similar answered questions appear
// below it (a debounced request to /questions/similar, which answers an HTML fragment), so they can stop
// when the answer already exists. Without JavaScript the form works as it is.
(function () {
  "use strict";
  var input = document.querySelector("input[data-similar-url]");
  var out = document.getElementById("similar-questions");
  if (!input || !out || !window.fetch) { return; }
  var url = input.getAttribute("data-similar-url");
  var timer = null;
  var asked = "";
  var latest = 0;
  function lookUp() {
    var text = input.value.trim();
    if (text === asked) { return; }
    asked = text;
    if (text.length < 2) { out.innerHTML = ""; return; }
    var ticket = ++latest;
    fetch(url + "?text=" + encodeURIComponent(text), {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        // Only the answer to the latest request is shown: an older, slower one must not overwrite it.
        if (ticket === latest) { out.innerHTML = html; }
      })
      .catch(function () { /* the list is a help, not a requirement: the form works without it */ });
  }
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 350);
  });
  if (input.value) { lookUp(); }
})();
