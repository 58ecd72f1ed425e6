// IT Docs integrations: while a sync or a key check is under way, poll the integration's status
// endpoint and update its status, reason and progress bar in place; stop once it has ended.
// While the integration is being deleted, poll the same way: say until when the removal waits for
// a sync run (in the viewer's time), then, once the endpoint answers 404, that it was deleted (in
// place, or by going to the element's data-gone-url). An organization being deleted
// ([data-removal-url]) is followed the same way until it is gone.
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
    "Checking keys...": "status-warn",
    "Being deleted\u2026": "status-warn"
  };
  var WAITING = "Waiting for the sync run in progress to stop; removal starts by ";
  var DELETED = "Deleted";
  var DELETED_REASON = "The integration and what it synced were removed.";

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

  function showWaiting(root, startsBy) {
    // "... removal starts by <time>." with the time in the viewer's zone (static/kit.js)
    var why = part(root, "reason");
    var moment = document.createElement("time");
    moment.setAttribute("datetime", startsBy);
    moment.setAttribute("data-local", "");
    moment.textContent = startsBy;
    why.textContent = WAITING;
    why.appendChild(moment);
    why.appendChild(document.createTextNode("."));
    why.hidden = false;
    if (window.linkhubLocaliseTimes) {
      window.linkhubLocaliseTimes(why);
    }
  }

  function apply(root, data) {
    showStatus(root, data.status, data.statusReason);
    if (data.beingDeleted && data.removalStartsBy) {
      showWaiting(root, data.removalStartsBy);
    }
    showProgress(root, data.status === "Syncing...", data.done || 0, data.total || 0);
    var going = data.inProgress || data.beingDeleted;
    root.setAttribute("data-in-progress", going ? "yes" : "no");
    root.setAttribute("data-removing", data.beingDeleted ? "yes" : "no");
    return going;
  }

  function gone(root) {
    // the integration was removed: say so, drop its actions, or leave its own page
    showStatus(root, DELETED, DELETED_REASON);
    showProgress(root, false, 0, 0);
    root.setAttribute("data-in-progress", "no");
    root.setAttribute("data-removing", "no");
    var row = root.closest("tr");
    var menu = row ? row.querySelector("details.actions-menu") : null;
    if (menu) {
      menu.remove();
    }
    var next = root.getAttribute("data-gone-url");
    if (next) {
      window.location.assign(next);
    }
  }

  function stop(root, message) {
    root.setAttribute("data-in-progress", "no");
    var why = part(root, "reason");
    why.textContent = message;
    why.hidden = false;
  }

  var INTEGRATION = { url: "data-status-url", apply: apply, gone: gone, stop: stop };

  function watch(root, view) {
    var url = root.getAttribute(view.url);
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
        view.stop(root, message + " Reload the page to see the status.");
      } else {
        again();
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 404 && root.getAttribute("data-removing") === "yes") {
            view.gone(root);
            return;
          }
          if (response.status === 401 || response.status === 403 || response.status === 404) {
            view.stop(root, "The status is no longer available to you. Reload the page.");
            return;
          }
          if (!response.ok) {
            failed("The status could not be read.");
            return;
          }
          return response.json().then(function (data) {
            failures = 0;
            paced(data);
            if (view.apply(root, data)) {
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

  // -- an organization being deleted --------------------------------------------------------

  function organizationApply(root, data) {
    root.setAttribute("data-removing", data.beingDeleted ? "yes" : "no");
    return data.beingDeleted;
  }

  function organizationGone(root) {
    // gone: say so where "being deleted" was, the list's link goes, or leave its own page
    root.textContent = root.getAttribute("data-gone-text") || "Deleted.";
    root.setAttribute("data-removing", "no");
    var row = root.closest("tr");
    var link = row ? row.querySelector("a[href]") : null;
    if (link) {
      var name = document.createElement("span");
      name.textContent = link.textContent;
      link.replaceWith(name);
    }
    var next = root.getAttribute("data-gone-url");
    if (next) {
      window.location.assign(next);
    }
  }

  function organizationStop(root, message) {
    root.textContent = message;
  }

  var ORGANIZATION = {
    url: "data-removal-url", apply: organizationApply, gone: organizationGone,
    stop: organizationStop
  };

  function start() {
    var found = document.querySelectorAll('[data-status-url][data-in-progress="yes"]');
    for (var n = 0; n < found.length; n += 1) {
      watch(found[n], INTEGRATION);
    }
    var removing = document.querySelectorAll('[data-removal-url][data-removing="yes"]');
    for (var m = 0; m < removing.length; m += 1) {
      watch(removing[m], ORGANIZATION);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
