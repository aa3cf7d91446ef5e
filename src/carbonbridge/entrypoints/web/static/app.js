// CarbonBridge web: progressive enhancement only (every page works without it).
// Draws the Plotly charts whose data the server put in data-* attributes, and moves the
// focus to an error summary so that keyboard and screen-reader users hear it first.
(function () {
  "use strict";

  function drawCompliance(element) {
    var series = JSON.parse(element.getAttribute("data-series"));
    var labels = JSON.parse(element.getAttribute("data-labels"));
    var traces = ["verified", "surrendered", "allocated"].map(function (key) {
      return { type: "bar", name: labels[key], x: series.installations, y: series[key] };
    });
    var layout = { barmode: "group", margin: { t: 20, r: 10, b: 80, l: 60 }, height: 360 };
    window.Plotly.newPlot(element, traces, layout, { displaylogo: false, responsive: true });
  }

  function drawMarket(element) {
    var series = JSON.parse(element.getAttribute("data-series"));
    var labels = JSON.parse(element.getAttribute("data-labels"));
    var traces = [
      { type: "scatter", mode: "lines+markers", name: labels.close, x: series.days, y: series.close },
      { type: "bar", name: labels.volume, x: series.days, y: series.volume, yaxis: "y2", opacity: 0.4 }
    ];
    var layout = {
      margin: { t: 20, r: 60, b: 50, l: 60 }, height: 320,
      yaxis2: { overlaying: "y", side: "right", showgrid: false }
    };
    window.Plotly.newPlot(element, traces, layout, { displaylogo: false, responsive: true });
  }

  function drawInventory(element) {
    var series = JSON.parse(element.getAttribute("data-series"));
    var labels = JSON.parse(element.getAttribute("data-labels"));
    var traces = [{ type: "scatter", mode: "lines+markers", name: labels.totals, x: series.years, y: series.totals }];
    var layout = { margin: { t: 20, r: 10, b: 50, l: 70 }, height: 320, showlegend: true };
    window.Plotly.newPlot(element, traces, layout, { displaylogo: false, responsive: true });
  }

  var charts = { compliance: drawCompliance, market: drawMarket, inventory: drawInventory };

  function start() {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var draw = charts[element.getAttribute("data-chart")];
      if (draw) { draw(element); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
