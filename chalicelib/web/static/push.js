// The push login step: poll the status endpoint and move on by itself once the device approves.
(function () {
  "use strict";

  function start() {
    var root = document.getElementById("push-login");
    if (!root) {
      return;
    }
    var statusUrl = root.getAttribute("data-status-url");
    var pollMs = parseInt(root.getAttribute("data-poll-ms"), 10) || 1500;
    var pending = document.getElementById("push-pending");
    var outcome = document.getElementById("push-outcome");
    var complete = document.getElementById("push-complete");
    var resend = document.getElementById("push-resend");
    var finished = false;

    function show(element, visible) {
      if (element) {
        element.hidden = !visible;
      }
    }

    function settle(state, message) {
      finished = true;
      root.setAttribute("data-state", state);
      show(pending, false);
      if (outcome) {
        outcome.textContent = message;
      }
      show(outcome, true);
      show(complete, false);
      show(resend, state === "expired" || state === "limited");
    }

    function apply(data) {
      var state = data.state;
      root.setAttribute("data-state", state);
      if (state === "approved") {
        finished = true;
        var waiting = document.getElementById("push-waiting");
        if (waiting) {
          waiting.textContent = data.message;
        }
        complete.submit();
      } else if (state === "denied" || state === "expired" || state === "limited") {
        settle(state, data.message);
      }
    }

    function poll() {
      if (finished) {
        return;
      }
      fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 401) {
            settle("expired", "Your sign-in expired. Please start again.");
            return null;
          }
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (data) {
            apply(data);
          }
        })
        .catch(function () {
          // A dropped request is retried on the next tick.
        })
        .then(function () {
          if (!finished) {
            window.setTimeout(poll, pollMs);
          }
        });
    }

    if (root.getAttribute("data-state") === "pending") {
      window.setTimeout(poll, pollMs);
    } else if (root.getAttribute("data-state") === "approved" &&
               root.getAttribute("data-auto-continue") === "yes") {
      complete.submit();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
