// Draws the dashboard charts from the JSON block the page carries; the tables beside them hold the same
// figures, so the page is complete without JavaScript. No inline script (the CSP allows 'self' only).
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const axis = (names) => ({ type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 40 : 0 } });
  const build = {
    activities: (d) => ({
      tooltip: { trigger: "axis" }, legend: {}, grid: { bottom: 80 },
      xAxis: axis(d.names), yAxis: { type: "value", minInterval: 1 },
      series: [{
        name: d.label_held, type: "bar", data: d.held,
        markLine: d.required ? { symbol: "none", data: [{ yAxis: d.required, name: d.label_required }],
                                 label: { formatter: d.label_required + " {c}" } } : undefined,
      }],
    }),
    attendance: (d) => ({
      tooltip: { trigger: "axis" }, legend: {}, grid: { bottom: 80 },
      xAxis: axis(d.names), yAxis: { type: "value", max: 100 },
      series: [{ name: d.label, type: "bar", data: d.rates }],
    }),
    orders: (d) => ({
      tooltip: { trigger: "axis" }, legend: {}, grid: { bottom: 80 },
      xAxis: axis(d.names), yAxis: { type: "value", minInterval: 1 },
      series: d.series.map((s) => ({ name: s.name, type: "bar", data: s.data })),
    }),
    steps: (d) => ({
      tooltip: { trigger: "axis" }, grid: { left: 220 },
      yAxis: { type: "category", data: d.names }, xAxis: { type: "value", name: d.label },
      series: [{ name: d.label, type: "bar", data: d.hours }],
    }),
  };
  const charts = [];
  document.querySelectorAll("[data-chart]").forEach((el) => {
    const key = el.dataset.chart;
    if (!data[key] || !build[key] || !data[key].names.length) return;
    el.style.height = key === "steps" ? Math.max(220, 36 * data[key].names.length) + "px" : "320px";
    const chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build[key](data[key]));
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
