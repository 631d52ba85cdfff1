// Poll results as charts (Chart.js from static/vendor/chartjs), and live updates for `live` polls.
// The tables on the page hold the same figures (the text alternative) and work without JavaScript;
// this script draws a bar chart per choice or rating question and, for a live poll, updates charts
// and tables from the /polls Socket.IO namespace (at most twice a second: the server throttles).
(function () {
  "use strict";
  var root = document.getElementById("poll-figures");
  var dataNode = document.getElementById("poll-results-data");
  if (!root || !dataNode || !window.Chart) { return; }
  var figures = JSON.parse(dataNode.textContent);
  var votesLabel = root.getAttribute("data-label-votes");
  var pointLabels = JSON.parse(root.getAttribute("data-label-points"));  // "1 point" … "5 points", translated
  var charts = {};

  function series(question) {
    if (question.kind === "rating") {
      var values = ["1", "2", "3", "4", "5"];
      return {labels: values.map(function (v, i) { return pointLabels[i]; }),
              data: values.map(function (v) { return question.ratings[v]; })};
    }
    return {labels: question.options.map(function (o) { return o.label; }),
            data: question.options.map(function (o) { return o.votes; })};
  }

  function draw(question) {
    var canvas = document.getElementById("chart-" + question.id);
    if (!canvas) { return; }
    var s = series(question);
    charts[question.id] = new window.Chart(canvas, {
      type: "bar",
      data: {labels: s.labels, datasets: [{label: votesLabel, data: s.data, backgroundColor: "#1f5f9e"}]},
      options: {indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: {duration: 200},
                plugins: {legend: {display: false}},
                scales: {x: {beginAtZero: true, ticks: {precision: 0}}}}
    });
  }

  function setText(scope, selector, value) {
    var node = scope.querySelector(selector);
    if (node) { node.textContent = value; }
  }

  function update(next) {
    figures = next;
    setText(root, "[data-ballots]", next.ballots);
    next.questions.forEach(function (question) {
      var section = root.querySelector('[data-question="' + question.id + '"]');
      if (!section) { return; }
      setText(section, "[data-respondents]", question.respondents);
      if (question.kind === "rating") {
        setText(section, "[data-mean]", question.mean === null ? "—" : question.mean);
        Object.keys(question.ratings).forEach(function (value) {
          var row = section.querySelector('tr[data-value="' + value + '"]');
          if (!row) { return; }
          var votes = question.ratings[value];
          setText(row, "[data-votes]", votes);
          var share = question.respondents ? Math.round(1000 * votes / question.respondents) / 10 : 0;
          setText(row, "[data-percent]", share + "%");
        });
      }
      question.options.forEach(function (option) {
        var row = section.querySelector('tr[data-option="' + option.id + '"]');
        if (!row) { return; }
        setText(row, "[data-votes]", option.votes);
        setText(row, "[data-percent]", option.percent + "%");
      });
      var chart = charts[question.id];
      if (chart) {
        chart.data.datasets[0].data = series(question).data;
        chart.update();
      }
    });
  }

  figures.questions.forEach(function (question) {
    if (question.kind !== "text") { draw(question); }
  });

  if (root.getAttribute("data-live") === "1" && window.io) {
    var pollId = parseInt(root.getAttribute("data-poll"), 10);
    var socket = window.io("/polls", {withCredentials: true});
    socket.on("connect", function () {
      socket.emit("join", {poll: pollId}, function (answer) {
        if (answer && answer.ok) { update(answer.results); }
      });
    });
    socket.on("results", function (payload) {
      if (payload && payload.poll === pollId) { update(payload); }
    });
  }
})();
