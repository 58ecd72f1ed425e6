// The UI kit's small enhancements; every page works without them.
// Menus (<details class="menu">): Escape closes the open one and returns focus to its button;
// a click elsewhere, or opening another menu, closes it.
// Times (<time datetime="...Z" data-local>): shown in the browser's time zone, UTC in the tooltip.
// Tables wider than a small screen scroll in their own box (static/app.css): such a box takes
// keyboard focus when nothing in it does, so it can be scrolled without a mouse.
(function () {
  "use strict";

  function openMenus() {
    return Array.prototype.slice.call(document.querySelectorAll("details.menu[open]"));
  }

  function closeMenus(except) {
    openMenus().forEach(function (menu) {
      if (menu !== except && !menu.contains(except)) { menu.open = false; }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var menus = openMenus();
    if (!menus.length) { return; }
    var inner = menus[menus.length - 1];
    inner.open = false;
    inner.querySelector("summary").focus();
  });

  document.addEventListener("click", function (event) {
    var menu = event.target.closest ? event.target.closest("details.menu") : null;
    closeMenus(menu);
  });

  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches("details.menu") && event.target.open) {
      closeMenus(event.target);
    }
  }, true);

  var pad = function (n) { return (n < 10 ? "0" : "") + n; };

  function localText(moment) {
    var zone = "";
    try {
      zone = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
        .formatToParts(moment).filter(function (p) { return p.type === "timeZoneName"; })
        .map(function (p) { return p.value; }).join("");
    } catch (e) { zone = ""; }
    return moment.getFullYear() + "-" + pad(moment.getMonth() + 1) + "-" + pad(moment.getDate()) +
      " " + pad(moment.getHours()) + ":" + pad(moment.getMinutes()) + (zone ? " " + zone : "");
  }

  function localiseTimes(root) {
    root.querySelectorAll("time[data-local]").forEach(function (node) {
      var moment = new Date(node.getAttribute("datetime"));
      if (isNaN(moment.getTime())) { return; }
      if (!node.title) { node.title = node.textContent.trim(); }
      node.textContent = localText(moment);
      node.removeAttribute("data-local");
    });
  }

  function focusableScrollers() {
    document.querySelectorAll("main table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1 &&
        !table.querySelector("a[href], button, input, select, textarea, [tabindex]");
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && table.hasAttribute("data-scroll-focus")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-scroll-focus");
      }
    });
  }

  function ready() {
    localiseTimes(document);
    focusableScrollers();
  }

  window.linkhubLocaliseTimes = localiseTimes;
  window.addEventListener("resize", focusableScrollers);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
}());
