// IT Docs' "Actions" menus are <details> elements and work without this script. With it, one menu
// is open at a time, Escape closes the open one (back on its "Actions" button), and a click
// elsewhere closes it.
(function () {
  "use strict";

  function menus() {
    return document.querySelectorAll("details.actions-menu");
  }

  function closeAll(except) {
    menus().forEach(function (menu) {
      if (menu !== except) { menu.open = false; }
    });
  }

  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (menu.matches && menu.matches("details.actions-menu") && menu.open) { closeAll(menu); }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var menu = event.target.closest && event.target.closest("details.actions-menu[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("details.actions-menu")) { closeAll(null); }
  });
}());
