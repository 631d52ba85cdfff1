// Oversight's performance page: the charts (Chart.js from static/vendor/chartjs) over the figures the page's
// tables hold (the text alternative), and the exports fetched with a progress line when they take over a second.
(function () {
  "use strict";

  function drawCharts() {
    var root = document.getElementById("oversight-charts");
    var dataNode = document.getElementById("oversight-data");
    if (!root || !dataNode || !window.Chart) { return; }
    var data = JSON.parse(dataNode.textContent) || {};
    var trend = document.getElementById("chart-trend");
    if (trend && data.trend && data.trend.length) {
      new window.Chart(trend, {
        data: {
          labels: data.trend.map(function (m) { return m.month; }),
          datasets: [
            {type: "bar", label: root.getAttribute("data-label-received"), yAxisID: "y",
             data: data.trend.map(function (m) { return m.received; }), backgroundColor: "#1f5f9e"},
            {type: "line", label: root.getAttribute("data-label-on-time"), yAxisID: "rate",
             data: data.trend.map(function (m) { return m.on_time === null ? null : Math.round(m.on_time * 1000) / 10; }),
             borderColor: "#b3261e", backgroundColor: "#b3261e", spanGaps: false}
          ]
        },
        options: {responsive: true, maintainAspectRatio: false, animation: false,
                  scales: {y: {beginAtZero: true, ticks: {precision: 0}, position: "left"},
                           rate: {min: 0, max: 100, position: "right", grid: {drawOnChartArea: false},
                                  ticks: {callback: function (v) { return v + "%"; }}}}}
      });
    }
    var satisfaction = document.getElementById("chart-satisfaction");
    if (satisfaction && data.satisfaction && data.satisfaction.length) {
      satisfaction.parentNode.style.height = Math.max(200, data.satisfaction.length * 28 + 60) + "px";
      new window.Chart(satisfaction, {
        type: "bar",
        data: {labels: data.satisfaction.map(function (d) { return d.department; }),
               datasets: [{label: root.getAttribute("data-label-satisfaction"), backgroundColor: "#2e7d32",
                           data: data.satisfaction.map(function (d) { return Math.round(d.rate * 1000) / 10; })}]},
        options: {indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
                  plugins: {legend: {display: false}},
                  scales: {x: {min: 0, max: 100, ticks: {callback: function (v) { return v + "%"; }}}}}
      });
    }
  }

  function fileName(response, url) {
    var disposition = response.headers.get("Content-Disposition") || "";
    var match = /filename=([^;]+)/.exec(disposition);
    return match ? match[1].trim() : url.split("/").pop().split("?")[0];
  }

  function wireExports() {
    var status = document.getElementById("export-status");
    if (!status || !window.fetch || !window.URL || !URL.createObjectURL) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("a[data-export]"), function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var url = link.href;
        status.textContent = "";
        // Say something only when it takes a while: most periods come back at once.
        var timer = window.setTimeout(function () {
          status.textContent = status.getAttribute("data-working");
          link.setAttribute("aria-busy", "true");
        }, 1000);
        fetch(url, {credentials: "same-origin"}).then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.blob().then(function (blob) { return {blob: blob, name: fileName(response, url)}; });
        }).then(function (file) {
          var a = document.createElement("a");
          a.href = URL.createObjectURL(file.blob);
          a.download = file.name;
          document.body.appendChild(a);
          a.click();
          window.setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
          status.textContent = status.getAttribute("data-done");
        }).catch(function () {
          status.textContent = status.getAttribute("data-failed");
        }).then(function () {
          window.clearTimeout(timer);
          link.removeAttribute("aria-busy");
        });
      });
    });
  }

  drawCharts();
  wireExports();
}());
