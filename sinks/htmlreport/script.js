
(function () {
  "use strict";
  // Data is read from data- attributes and written only as text (textContent), never as HTML.
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // Sortable tables: click (or Enter on) a header; numbers by data-v, text by content.
  function cellKey(td, numeric) {
    var v = td.hasAttribute("data-v") ? td.getAttribute("data-v") : td.textContent;
    if (!numeric) { return v.toLowerCase(); }
    var x = parseFloat(v);
    return isNaN(x) ? null : x;
  }
  function sortBy(table, th, col) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    each(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var numeric = th.getAttribute("data-t") === "n";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (r, i) {
      return { r: r, i: i, k: cellKey(r.cells[col], numeric) };
    });
    rows.sort(function (a, b) {
      if (a.k === null || b.k === null) {
        if (a.k === b.k) { return a.i - b.i; }
        return a.k === null ? 1 : -1; // empty values last either way
      }
      var c = a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
      return (asc ? c : -c) || a.i - b.i;
    });
    rows.forEach(function (x) { body.appendChild(x.r); });
  }
  each(document.querySelectorAll("table.sortable"), function (table) {
    each(table.tHead.rows[0].cells, function (th, col) {
      if (!th.hasAttribute("data-t")) { return; }
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th, col); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th, col); }
      });
    });
  });

  // Filter columns by name (table rows and detail sections).
  var filter = document.getElementById("filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.toLowerCase();
      each(document.querySelectorAll("#coltable tbody tr, details.col"), function (el) {
        var name = (el.getAttribute("data-name") || "").toLowerCase();
        el.hidden = q !== "" && name.indexOf(q) < 0;
      });
    });
  }

  // Fold and unfold the column details.
  each(document.querySelectorAll("button[data-fold]"), function (b) {
    b.addEventListener("click", function () {
      var open = b.getAttribute("data-fold") === "open";
      each(document.querySelectorAll("details.col"), function (d) { d.open = open; });
    });
  });
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  // Heatmap tooltips: the cell under the pointer, from data-cols and data-m.
  var tip = document.getElementById("tip");
  each(document.querySelectorAll("svg.heat"), function (svg) {
    var cols, m;
    try {
      cols = JSON.parse(svg.getAttribute("data-cols"));
      m = JSON.parse(svg.getAttribute("data-m"));
    } catch (e) { return; }
    var x0 = parseFloat(svg.getAttribute("data-x0")), y0 = parseFloat(svg.getAttribute("data-y0"));
    var cell = parseFloat(svg.getAttribute("data-cell"));
    svg.addEventListener("mousemove", function (e) {
      var box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
      var sx = vb.width / box.width, sy = vb.height / box.height;
      var j = Math.floor(((e.clientX - box.left) * sx - x0) / cell);
      var i = Math.floor(((e.clientY - box.top) * sy - y0) / cell);
      if (i < 0 || j < 0 || i >= cols.length || j > i) { tip.hidden = true; return; }
      var v = m[i][j];
      tip.textContent = cols[i] + " × " + cols[j] + ": " + (v === null ? "n/a" : v.toFixed(3));
      tip.style.left = (e.clientX + 12) + "px";
      tip.style.top = (e.clientY + 12) + "px";
      tip.hidden = false;
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; });
  });

  // For the browser test: the whole script ran, under the Content-Security-Policy.
  document.documentElement.setAttribute("data-js", "ready");
})();
