/* Tables people can work with: every scorecard table sorts by any column (tablesort, vendored), and the
   tables marked data-filter get a text box and, where a column says so, team and role pickers.

   Progressive enhancement: the server-rendered <table> is complete and printable without JavaScript; this
   only adds behaviour. Numeric cells carry their exact value in data-sort, so "$1.2M" sorts as 1,234,567
   and "no data" (an empty data-sort) sorts below every number. Hooked to Material's document$ so it also
   runs after instant navigation. */
(function () {
  "use strict";

  var NUMBER = /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i;

  function value(item) {
    var v = parseFloat(item);
    return isNaN(v) ? -Infinity : v;
  }

  if (window.Tablesort && !window.Tablesort.scorecardsExtended) {
    /* A column sorts as numbers when every value it has is a plain number (the data-sort values). */
    window.Tablesort.extend("scorecard-number", function (item) { return NUMBER.test(item); },
      function (a, b) { return value(b) - value(a); });
    window.Tablesort.scorecardsExtended = true;
  }

  /* Sortable headers are buttons for the keyboard too: focusable, Enter or Space sorts. */
  function keyboardHeaders(table) {
    table.querySelectorAll("thead th:not([data-sort-method='none'])").forEach(function (th) {
      th.setAttribute("tabindex", "0");
      th.addEventListener("keydown", function (e) {
        if (e.target !== th) { return; }  /* Enter on the header's glossary link follows the link */
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); th.click(); }
      });
    });
  }

  function option(select, text) {
    var o = document.createElement("option");
    o.value = text; o.textContent = text;
    select.appendChild(o);
  }

  /* A text box filters rows by any cell; a column whose header says data-filter-pick gets a picker. */
  function filters(table) {
    var box = document.createElement("div");
    box.className = "table-filters";
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "Filter…";
    input.setAttribute("aria-label", "Filter the table " + (table.getAttribute("data-filter") || ""));
    label.appendChild(input);
    box.appendChild(label);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var text = rows.map(function (r) { return r.textContent.toLowerCase(); });
    var picks = [];
    table.querySelectorAll("thead th[data-filter-pick]").forEach(function (th) {
      var col = th.cellIndex;
      var select = document.createElement("select");
      select.setAttribute("aria-label", "Show only one " + th.textContent.trim().toLowerCase());
      option(select, "");
      select.options[0].textContent = "All " + th.getAttribute("data-filter-pick");
      var seen = {};
      rows.forEach(function (r) {
        var v = r.cells[col] ? r.cells[col].textContent.trim() : "";
        if (v && !seen[v]) { seen[v] = true; }
      });
      Object.keys(seen).sort().forEach(function (v) { option(select, v); });
      box.appendChild(select);
      picks.push({ col: col, select: select });
    });
    var count = document.createElement("span");
    count.className = "table-count";
    count.setAttribute("aria-live", "polite");
    box.appendChild(count);

    function apply() {
      var q = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (r, i) {
        var ok = !q || text[i].indexOf(q) >= 0;
        for (var k = 0; ok && k < picks.length; k++) {
          var want = picks[k].select.value;
          ok = !want || (r.cells[picks[k].col] && r.cells[picks[k].col].textContent.trim() === want);
        }
        r.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown === rows.length ? rows.length + " rows" : shown + " of " + rows.length + " rows";
    }
    input.addEventListener("input", apply);
    picks.forEach(function (p) { p.select.addEventListener("change", apply); });
    apply();
    var wrap = table.closest(".table-wrap") || table;
    wrap.parentNode.insertBefore(box, wrap);
  }

  /* A big table (scorecards.css) is hidden until here, so that it is laid out once, enhanced: shown whatever
     enhancing it does or fails to do. */
  function show(table) {
    var wrap = table.closest(".table-wrap");
    if (wrap) wrap.classList.add("shown");
  }

  function enhance() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      if (table.getAttribute("data-enhanced") === "true" || !table.tHead || !table.tBodies.length) {
        show(table);
        return;
      }
      table.setAttribute("data-enhanced", "true");
      try {
        if (window.Tablesort && table.tBodies[0].rows.length > 1) {
          new window.Tablesort(table);
          keyboardHeaders(table);
        }
        if (table.hasAttribute("data-filter")) filters(table);
      } finally {
        show(table);
      }
    });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(enhance);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
