// Admin > Security Settings: User Exceptions show as soon as Require Log In with Hub is on, and
// leaving the page with unsaved changes asks first. Without this script the page still works:
// the exceptions show after Save.
(function () {
  "use strict";
  var form = document.getElementById("security-settings");
  if (!form) { return; }
  var toggle = document.getElementById("require-hub-login");
  var exceptions = document.getElementById("user-exceptions-section");
  var note = document.getElementById("unsaved-note");
  var submitting = false;

  function snapshot() {
    return new URLSearchParams(new FormData(form)).toString();
  }
  var saved = snapshot();

  function unsaved() {
    return !submitting && snapshot() !== saved;
  }

  function refresh() {
    if (toggle && exceptions) { exceptions.hidden = !toggle.checked; }
    if (note) { note.hidden = !unsaved(); }
  }

  form.addEventListener("change", refresh);
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved()) { return; }
    event.preventDefault();
    event.returnValue = "";
  });
  window.addEventListener("pageshow", function () { submitting = false; });
  refresh();
})();
