/* Render every embedded Vega-Lite spec with the bundled vega-embed (no network).
   Hooked to Material's document$ so it also runs after instant navigation, and
   re-rendered when the reader switches between light and dark palettes.

   Each render goes into a fresh element and is numbered: a render overtaken by a newer
   one (a quick palette toggle) is discarded, so a chart never shows two themes at once.
   `data-theme` and `data-rendered="true"` on `.vega-chart` say what was drawn last. */
(function () {
  "use strict";

  var views = [];       // live Vega views, finalized before the next render
  var generation = 0;   // bumped on every renderAll

  function dark() {
    return document.body.getAttribute("data-md-color-scheme") === "slate";
  }

  function themed(spec, isDark) {
    var s = Object.assign({}, spec);
    var fg = isDark ? "#e3e3e3" : "#1f1f1f";
    var grid = isDark ? "#444" : "#e0e0e0";
    s.background = "transparent";
    s.config = Object.assign({}, spec.config || {}, {
      axis: { labelColor: fg, titleColor: fg, gridColor: grid, domainColor: grid, tickColor: grid },
      legend: { labelColor: fg, titleColor: fg },
      title: { color: fg },
      view: { stroke: null, continuousWidth: 300, continuousHeight: 220 }
    });
    return s;
  }

  /* Material's search dialog has no accessible name (axe: aria-dialog-name). */
  function labelSearchDialog() {
    var dialog = document.querySelector('.md-search[role="dialog"]');
    if (dialog && !dialog.hasAttribute("aria-label") && !dialog.hasAttribute("aria-labelledby")) {
      dialog.setAttribute("aria-label", "Search");
    }
  }

  /* A table box that scrolls sideways must be reachable by keyboard (axe: scrollable-region-focusable):
     it becomes a focusable region named after the section it sits in. Re-checked on resize. */
  function focusableTableBoxes() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) {
          var heading = null;
          for (var el = box.previousElementSibling; el && !heading; el = el.previousElementSibling) {
            if (/^H[1-6]$/.test(el.tagName)) heading = el;
          }
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", (heading ? heading.textContent.trim() + ": " : "") + "table, scrolls sideways");
          box.setAttribute("data-scroll-focus", "true");
        }
      } else if (box.getAttribute("data-scroll-focus") === "true") {
        ["tabindex", "role", "aria-label", "data-scroll-focus"].forEach(function (a) { box.removeAttribute(a); });
      }
    });
  }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(focusableTableBoxes, 150);
  });

  function renderAll() {
    labelSearchDialog();
    focusableTableBoxes();
    views.forEach(function (v) { try { v.finalize(); } catch (e) { /* already gone */ } });
    views = [];
    var mine = ++generation;
    var isDark = dark();
    document.querySelectorAll("figure.scorecard-chart").forEach(function (fig) {
      var holder = fig.querySelector(".vega-chart");
      var source = fig.querySelector("script.vega-spec");
      if (!holder || !source) return;
      holder.removeAttribute("data-rendered");
      holder.setAttribute("data-theme", isDark ? "dark" : "light");
      if (typeof window.vegaEmbed !== "function") {
        holder.textContent = "Chart not available: the description below says what it shows.";
        return;
      }
      var spec;
      try {
        spec = JSON.parse(source.textContent);
      } catch (e) {
        holder.textContent = "Chart data could not be read.";
        return;
      }
      /* A page carries only {kind, title, description, values}; the spec of each kind is site-wide. */
      if (spec.kind) {
        var base = (window.SCORECARD_CHART_SPECS || {})[spec.kind];
        if (!base) {
          holder.textContent = "Chart type " + spec.kind + " is not known to this site.";
          return;
        }
        spec = Object.assign({}, base, {
          title: spec.title, description: spec.description, datasets: { values: spec.values }
        });
      }
      var target = document.createElement("div");
      holder.replaceChildren(target);
      var currency = window.SCORECARD_CURRENCY || "$";
      var locale = { decimal: ".", thousands: ",", grouping: [3], currency: [currency, ""] };
      window.vegaEmbed(target, themed(spec, isDark), { actions: false, renderer: "svg", formatLocale: locale })
        .then(function (result) {
          if (mine !== generation) { result.view.finalize(); return; }
          views.push(result.view);
          holder.setAttribute("data-rendered", "true");
        })
        .catch(function (err) {
          if (mine === generation) holder.textContent = "Chart could not be drawn: " + err.message;
        });
    });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(renderAll);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }

  /* The palette toggle sets data-md-color-scheme on <body>: redraw in the new colours. */
  function watchPalette() {
    var last = dark();
    new MutationObserver(function () {
      if (dark() !== last) {
        last = dark();
        renderAll();
      }
    }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  }
  if (document.body) {
    watchPalette();
  } else {
    document.addEventListener("DOMContentLoaded", watchPalette);
  }
})();
