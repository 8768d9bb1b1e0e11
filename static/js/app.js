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

  // Accessibility (docs/accessibility.md) ------------------------------------------------------------
  // After a refused submit the focus goes to the error summary (_partials/form_errors.html), or else to the
  // first invalid field, so a keyboard or screen reader user hears what to correct instead of starting over.
  function focusErrors(root) {
    var target = root.querySelector("[data-error-summary]") ||
      root.querySelector("form .is-invalid:not([type=hidden]), form [aria-invalid=true]:not([role=radiogroup])");
    if (!target) { return; }
    if (target.matches("[data-error-summary]") && !target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }
  // The skip link focuses <main> without putting "#main" in the address (a form posted from there would carry
  // it along, and the browser's jump to it would take the focus from the error summary).
  document.addEventListener("click", function (event) {
    var skip = event.target.closest(".skip-link");
    var main = skip && document.getElementById("main");
    if (main) { event.preventDefault(); main.focus(); main.scrollIntoView(); }
  });
  // A summary's link focuses its field (a fragment link alone only scrolls).
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (field) { event.preventDefault(); field.focus(); }
  });
  // A table wider than a phone scrolls inside its .table-responsive box: the box joins the Tab order (and is
  // named by its table's caption or heading) so the keyboard can scroll it too.
  function nameOf(box) {
    var caption = box.querySelector("caption");
    var card = box.closest(".card");
    var heading = card && card.querySelector("h2, h3, .card-header");
    var text = (caption || heading || {}).textContent || document.title;
    return text.trim().replace(/\s+/g, " ");
  }
  function focusableScrollers(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".table-responsive"), function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) { box.setAttribute("aria-label", nameOf(box)); }
        box.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        ["tabindex", "role", "aria-label", "data-scroll-focus"].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    focusableScrollers(document);
    focusErrors(document);
  });
  // Again once images and fonts are in: a column of charts or a web font can widen a table after the DOM
  // is ready (the dashboard's SLA table at 375 px in Russian).
  window.addEventListener("load", function () { focusableScrollers(document); });
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { focusableScrollers(document); }, 200);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (!target || !target.querySelectorAll) { return; }
    focusableScrollers(target.parentElement || target);
    var config = event.detail.requestConfig;
    if (config && config.verb && config.verb.toLowerCase() !== "get") { focusErrors(target); }
  });
})();
