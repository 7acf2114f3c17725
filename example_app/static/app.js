// Acme Portal: local times, live countdowns and the /api/me panel. No dependencies.
"use strict";

(function () {
  function parse(iso) {
    var t = Date.parse(iso);
    return isNaN(t) ? null : t;
  }

  function duration(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(sec).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }

  function ago(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 5) return "just now";
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    return Math.floor(s / 3600) + " h ago";
  }

  function localTimes() {
    document.querySelectorAll("[data-local-time]").forEach(function (el) {
      var t = parse(el.getAttribute("data-local-time"));
      if (t !== null) {
        el.title = el.textContent;
        el.textContent = new Date(t).toLocaleString();
      }
    });
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var end = parse(el.getAttribute("data-countdown"));
      if (end === null) return;
      var left = end - now;
      var threshold = Number(el.getAttribute("data-refresh-threshold") || 0) * 1000;
      el.classList.toggle("countdown-soon", threshold > 0 && left < threshold);
      if (left <= 0) {
        el.textContent = "expired";
        el.classList.add("countdown-over");
        // Reload once, and only if the page was loaded before the end (no reload loop
        // when the browser's clock is ahead of Okta's): the server then sends the
        // browser to sign-in.
        if (el.id === "countdown" && el.dataset.armed === "1") {
          el.dataset.armed = "0";
          window.location.reload();
        }
      } else {
        if (!el.dataset.armed) el.dataset.armed = "1";
        el.textContent = duration(left) + " left";
      }
    });
    document.querySelectorAll("[data-ago]").forEach(function (el) {
      var t = parse(el.getAttribute("data-ago"));
      if (t !== null) el.textContent = "(" + ago(now - t) + ")";
    });
  }

  function apiPanels() {
    document.querySelectorAll("[data-fetch]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-target"));
        target.textContent = "Loading…";
        fetch(button.getAttribute("data-fetch"), { headers: { Accept: "application/json" } })
          .then(function (response) {
            return response.json().then(function (body) {
              target.textContent = "HTTP " + response.status + "\n" + JSON.stringify(body, null, 2);
            });
          })
          .catch(function (error) {
            target.textContent = "Request failed: " + error;
          });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes();
    tick();
    window.setInterval(tick, 1000);
    apiPanels();
  });
})();
