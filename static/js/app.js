// ServiceDesk: tiny behaviours without inline scripts (the CSP allows only our own files).
(function () {
  "use strict";
  // <button data-print> prints the page.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-print]");
    if (target) { event.preventDefault(); window.print(); }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      event.preventDefault();
      navigator.clipboard && navigator.clipboard.writeText(copy.getAttribute("data-copy"));
      copy.classList.add("btn-success");
    }
  });
  // <form data-confirm="..."> asks before submitting.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
