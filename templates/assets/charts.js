/* Render every embedded Vega-Lite spec with the bundled vega-embed (no network).
   Hooked to Material's document$ so it also runs after instant navigation, and
   re-rendered when the reader switches between light and dark palettes. */
(function () {
  "use strict";

  function dark() {
    return document.body.getAttribute("data-md-color-scheme") === "slate";
  }

  function themed(spec) {
    var s = Object.assign({}, spec);
    var fg = dark() ? "#e3e3e3" : "#1f1f1f";
    var grid = dark() ? "#444" : "#e0e0e0";
    s.background = "transparent";
    s.config = Object.assign({}, spec.config || {}, {
      axis: { labelColor: fg, titleColor: fg, gridColor: grid, domainColor: grid, tickColor: grid },
      legend: { labelColor: fg, titleColor: fg },
      title: { color: fg },
      view: { stroke: null, continuousWidth: 300, continuousHeight: 220 }
    });
    return s;
  }

  function renderAll() {
    if (typeof window.vegaEmbed !== "function") return;
    var figures = document.querySelectorAll("figure.scorecard-chart");
    figures.forEach(function (fig) {
      var holder = fig.querySelector(".vega-chart");
      var source = fig.querySelector("script.vega-spec");
      if (!holder || !source) return;
      var spec;
      try {
        spec = JSON.parse(source.textContent);
      } catch (e) {
        holder.textContent = "Chart data could not be read.";
        return;
      }
      holder.setAttribute("data-theme", dark() ? "dark" : "light");
      window.vegaEmbed(holder, themed(spec), { actions: false, renderer: "svg" })
        .then(function () { holder.setAttribute("data-rendered", "true"); })
        .catch(function (err) { holder.textContent = "Chart could not be drawn: " + err.message; });
    });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(renderAll);
  } else {
    document.addEventListener("DOMContentLoaded", renderAll);
  }

  var observer = new MutationObserver(function (mutations) {
    mutations.forEach(function (m) {
      if (m.attributeName === "data-md-color-scheme") renderAll();
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    observer.observe(document.body, { attributes: true });
  });
})();
