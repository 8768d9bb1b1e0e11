// ServiceDesk: tables become cards on phones (below 576 px, static/css/tables.css), for every table of the
// theme without touching its template. Each body cell gets its column's header as data-label, which the CSS
// shows next to the value. A table opts out with class "table-nostack"; a cell keeps a data-label it has.
(function () {
  "use strict";
  function headerText(cell) {
    if (cell.hasAttribute("data-label")) { return cell.getAttribute("data-label"); }
    // <br> and icons leave no space in textContent: join the child nodes' texts with spaces.
    var parts = Array.prototype.map.call(cell.childNodes, function (node) { return node.textContent; });
    return parts.join(" ").replace(/\s+/g, " ").trim();
  }
  function label(table) {
    if (table.classList.contains("table-nostack") || !table.tHead || !table.tHead.rows.length) { return; }
    var head = table.tHead.rows[table.tHead.rows.length - 1];
    var labels = [];
    Array.prototype.forEach.call(head.cells, function (cell) {
      var text = headerText(cell);
      for (var i = 0; i < (cell.colSpan || 1); i++) { labels.push(text); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label")) {
            // A cell spanning several columns (an empty-list message) is a sentence of its own.
            cell.setAttribute("data-label", cell.colSpan > 1 ? "" : labels[column] || "");
          }
          column += cell.colSpan || 1;
        });
      });
    });
    table.classList.add("table-cards");
  }
  function labelAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.tagName === "TABLE") { label(scope); }
    Array.prototype.forEach.call(scope.querySelectorAll("table.table"), label);
    // Rows swapped into a table by htmx: label their table again.
    if (scope.closest) {
      var table = scope.closest("table.table");
      if (table) { label(table); }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { labelAll(document); });
  document.addEventListener("htmx:load", function (event) { labelAll(event.target); });
})();
