// Checklists: answers save on change through htmx, so the fallback "Save" buttons hide; the editor's
// arrows move an item up or down (its "Order" numbers follow).
(function () {
  "use strict";
  if (window.htmx) { document.documentElement.classList.add("js-live"); }

  function renumber(list) {
    var n = 1;
    list.querySelectorAll(".editor-item").forEach(function (row) {
      var order = row.querySelector("input[name$='-ORDER']");
      var label = row.querySelector("input[name$='-label']");
      if (order && label && label.value.trim()) { order.value = n; n += 1; }
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move]");
    if (!button) { return; }
    event.preventDefault();
    var row = button.closest(".editor-item");
    var list = row && row.parentElement;
    if (!list) { return; }
    if (button.getAttribute("data-move") === "up" && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
    } else if (button.getAttribute("data-move") === "down" && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    }
    renumber(list);
    button.focus();
  });
})();
