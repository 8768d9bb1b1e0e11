// Technicians pages: a running timer counts up on screen ([data-timer-started] holds an ISO time).
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var nodes = document.querySelectorAll("[data-timer-started]");
    for (var i = 0; i < nodes.length; i++) {
      var started = Date.parse(nodes[i].getAttribute("data-timer-started"));
      if (isNaN(started)) { continue; }
      var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
      var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
      nodes[i].textContent = h + ":" + pad(m) + ":" + pad(s);
    }
  }
  if (document.querySelector("[data-timer-started]")) { tick(); window.setInterval(tick, 1000); }
})();
// My jobs: a group's chip opens its folded group before the browser scrolls to it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-open-group]");
    if (!chip) { return; }
    var group = document.getElementById(chip.getAttribute("data-open-group"));
    if (group && group.tagName === "DETAILS") { group.open = true; }
  });
})();
