// ServiceDesk: tiny behaviours without inline scripts (the CSP allows only our own files).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    // <button data-print> prints the page.
    var printer = event.target.closest("[data-print]");
    if (printer) { event.preventDefault(); window.print(); }
    // <button data-copy="text"> copies text.
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      event.preventDefault();
      if (navigator.clipboard) { navigator.clipboard.writeText(copy.getAttribute("data-copy")); }
      copy.classList.add("btn-success");
    }
    // <button data-clear="#selector"> empties a container (e.g. the picked client).
    var clear = event.target.closest("[data-clear]");
    if (clear) {
      event.preventDefault();
      var box = document.querySelector(clear.getAttribute("data-clear"));
      if (box) { box.innerHTML = ""; }
    }
  });
  // <form data-confirm="..."> asks before submitting.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  // Intake: show the item fields only for services that take an item, the visit fields only for visits.
  function syncIntake() {
    var service = document.getElementById("id_service_type");
    var format = document.getElementById("id_format");
    if (!service || !format) { return; }
    var option = service.options[service.selectedIndex];
    var needsItem = !option || option.getAttribute("data-needs-item") !== "0";
    var items = document.getElementById("item-fields");
    if (items) { items.classList.toggle("is-hidden", !needsItem); }
    var formats = option && option.getAttribute("data-formats");
    if (formats) {
      var allowed = formats.split(",");
      Array.prototype.forEach.call(format.options, function (o) { o.disabled = allowed.indexOf(o.value) === -1; });
      if (format.options[format.selectedIndex].disabled) { format.value = allowed[0]; }
    }
    var visit = document.getElementById("visit-fields");
    if (visit) { visit.classList.toggle("is-hidden", ["on_site", "combined"].indexOf(format.value) === -1); }
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_service_type" || event.target.id === "id_format") { syncIntake(); }
  });
  document.addEventListener("DOMContentLoaded", syncIntake);
})();
