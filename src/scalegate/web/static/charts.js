/* KPI, drift and performance charts of the use case page, drawn with the vendored Chart.js
   from the JSON the page embeds (#kpi-data, #chart-data): no extra request. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  function embedded(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent || "{}") : {};
  }
  var data = embedded("chart-data");
  var kpiData = embedded("kpi-data");
  var palette = ["#1d4ed8", "#e0875a", "#0f7b4f", "#9333ea", "#b42318", "#0891b2", "#a16207", "#64748b"];
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.color = "#5d6b80";
  Chart.defaults.animation = false;

  function options(title, yTitle) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      spanGaps: true,
      plugins: { title: { display: true, text: title, align: "start", font: { weight: "600" } },
                 legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales: { y: { title: { display: true, text: yTitle } }, x: { ticks: { maxTicksLimit: 8 } } }
    };
  }

  function drift(canvas, s) {
    var names = Object.keys(s.features).slice(0, 6);
    var sets = names.map(function (name, i) {
      return { label: name, data: s.features[name], borderColor: palette[i % palette.length],
               backgroundColor: palette[i % palette.length], borderWidth: 2, pointRadius: 2, tension: 0.2 };
    });
    sets.push({ label: "share of features drifted", data: s.drift_share, borderColor: "#111a2c",
                borderDash: [5, 4], borderWidth: 2, pointRadius: 0 });
    return new Chart(canvas, { type: "line", data: { labels: s.labels, datasets: sets },
                               options: options("Drift per feature (top 6)", "drift statistic") });
  }

  function performance(canvas, s) {
    if (!s.metric) { return null; }
    var sets = [
      { label: s.metric + " (realised)", data: s.realised, borderColor: palette[0], backgroundColor: palette[0], borderWidth: 2, pointRadius: 3 },
      { label: s.metric + " (estimated before labels)", data: s.estimated, borderColor: palette[1], backgroundColor: palette[1], borderWidth: 2, borderDash: [4, 3], pointRadius: 2 }
    ];
    if (s.reference !== null && s.reference !== undefined) {
      sets.push({ label: "reference", data: s.labels.map(function () { return s.reference; }),
                  borderColor: "#0f7b4f", borderWidth: 1, borderDash: [2, 2], pointRadius: 0 });
    }
    return new Chart(canvas, { type: "line", data: { labels: s.labels, datasets: sets },
                               options: options(s.metric + " over time", s.metric) });
  }

  function kpi(canvas, name, s) {
    function flat(value) { return s.labels.map(function () { return value; }); }
    var sets = [{ label: name, data: s.values, borderColor: palette[0], backgroundColor: palette[0],
                  borderWidth: 2, pointRadius: 3 }];
    if (s.baseline !== null && s.baseline !== undefined) {
      sets.push({ label: "baseline", data: flat(s.baseline), borderColor: "#64748b",
                  borderWidth: 1, borderDash: [2, 2], pointRadius: 0 });
    }
    if (s.target !== null && s.target !== undefined) {
      sets.push({ label: "target", data: flat(s.target), borderColor: "#0f7b4f",
                  borderWidth: 1, borderDash: [6, 3], pointRadius: 0 });
    }
    return new Chart(canvas, { type: "line", data: { labels: s.labels, datasets: sets },
                               options: options(name + " over time", s.unit || name) });
  }

  var drawn = 0;
  document.querySelectorAll("canvas[data-chart=kpi]").forEach(function (canvas) {
    var name = canvas.getAttribute("data-kpi");
    if (kpiData[name] && kpi(canvas, name, kpiData[name])) { drawn += 1; }
  });
  document.querySelectorAll("canvas[data-chart]:not([data-chart=kpi])").forEach(function (canvas) {
    var s = data[canvas.getAttribute("data-monitor")];
    if (!s) { return; }
    var chart = canvas.getAttribute("data-chart") === "drift" ? drift(canvas, s) : performance(canvas, s);
    if (chart) { drawn += 1; }
  });
  document.documentElement.setAttribute("data-charts-drawn", String(drawn));
})();
