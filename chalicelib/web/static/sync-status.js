// IT Docs integrations: while a sync or a key check is under way, poll the integration's status
// endpoint and update its status, reason and progress bar in place; stop once it has ended.
// Without this script the page still shows the status and progress as of its last load.
(function () {
  "use strict";

  var POLL_MS = 1500;
  var SLOWEST_MS = 10000; // a run paused by the vendor's rate limit is asked less and less often
  var MAX_FAILURES = 5;
  var CLASSES = {
    "OK": "status-ok",
    "Error": "status-error",
    "Queued": "status-warn",
    "Syncing...": "status-warn",
    "Checking keys...": "status-warn"
  };

  function part(root, name) {
    return root.querySelector('[data-part="' + name + '"]');
  }

  function showStatus(root, status, reason) {
    var label = part(root, "status");
    label.textContent = status;
    label.className = CLASSES[status] || "";
    var why = part(root, "reason");
    why.textContent = reason || "";
    why.hidden = !reason;
  }

  function showProgress(root, syncing, done, total) {
    var box = part(root, "progress");
    box.hidden = !syncing;
    var bar = box.querySelector("progress");
    if (total > 0) {
      bar.max = total;
      bar.value = done;
      part(root, "count").textContent = done + " of " + total + " customers";
    } else {
      bar.removeAttribute("value");
      part(root, "count").textContent = "Fetching the customer list";
    }
  }

  function apply(root, data) {
    showStatus(root, data.status, data.statusReason);
    showProgress(root, data.status === "Syncing...", data.done || 0, data.total || 0);
    root.setAttribute("data-in-progress", data.inProgress ? "yes" : "no");
    return data.inProgress;
  }

  function stop(root, message) {
    root.setAttribute("data-in-progress", "no");
    var why = part(root, "reason");
    why.textContent = message;
    why.hidden = false;
  }

  function watch(root) {
    var url = root.getAttribute("data-status-url");
    var failures = 0;
    var wait = POLL_MS;
    var last = "";

    function again() {
      window.setTimeout(poll, wait);
    }

    function paced(data) {
      var now = JSON.stringify(data);
      wait = now === last ? Math.min(SLOWEST_MS, Math.round(wait * 1.25)) : POLL_MS;
      last = now;
    }

    function failed(message) {
      failures += 1;
      if (failures >= MAX_FAILURES) {
        stop(root, message + " Reload the page to see the status.");
      } else {
        again();
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 401 || response.status === 403 || response.status === 404) {
            stop(root, "The status is no longer available to you. Reload the page.");
            return;
          }
          if (!response.ok) {
            failed("The status could not be read.");
            return;
          }
          return response.json().then(function (data) {
            failures = 0;
            paced(data);
            if (apply(root, data)) {
              again();
            }
          });
        })
        .catch(function () {
          failed("The status could not be read.");
        });
    }

    again();
  }

  function start() {
    var found = document.querySelectorAll('[data-status-url][data-in-progress="yes"]');
    for (var n = 0; n < found.length; n += 1) {
      watch(found[n]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
