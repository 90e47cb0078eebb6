(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  // Theme: auto (the system's), light, dark; remembered when the browser allows it.
  var themes = ["auto", "light", "dark"];
  var toggle = document.getElementById("theme-toggle");
  function setTheme(name) {
    if (name === "light" || name === "dark") { root.setAttribute("data-theme", name); }
    else { root.removeAttribute("data-theme"); name = "auto"; }
    toggle.textContent = "Theme: " + name;
  }
  var saved = null;
  try { saved = window.localStorage.getItem("wheelwatch-theme"); } catch (e) { saved = null; }
  setTheme(saved);
  toggle.addEventListener("click", function () {
    var now = root.getAttribute("data-theme") || "auto";
    var next = themes[(themes.indexOf(now) + 1) % themes.length];
    setTheme(next);
    try { window.localStorage.setItem("wheelwatch-theme", next); } catch (e) { /* file: or private mode */ }
  });

  // Project picker: one project at a time.
  var picker = document.getElementById("project-picker");
  if (picker) {
    var sections = document.querySelectorAll("section.project");
    var show = function (id) {
      sections.forEach(function (s) { s.hidden = s.id !== id; });
      picker.value = id;
    };
    picker.addEventListener("change", function () {
      show(picker.value);
      try { window.history.replaceState(null, "", "#" + picker.value); } catch (e) { /* ignore */ }
    });
    var wanted = window.location.hash.slice(1);
    show(/^project-\d+$/.test(wanted) && document.getElementById(wanted) ? wanted : picker.value);
  }

  // Sortable tables: click a column head.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    table.querySelectorAll("thead th").forEach(function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      var numeric = th.getAttribute("data-type") === "num";
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var key = function (row) {
          var cell = row.cells[col];
          var v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
          return numeric ? (parseFloat(v) || 0) : v.toLowerCase();
        };
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var c = x < y ? -1 : (x > y ? 1 : 0);
          return ascending ? c : -c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

  // Filters: rows whose text contains every word typed.
  document.querySelectorAll("input[data-table]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    var count = input.parentNode.parentNode.querySelector(".count");
    var apply = function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0, rows = table.tBodies[0].rows;
      for (var i = 0; i < rows.length; i++) {
        var text = rows[i].textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        rows[i].hidden = !ok;
        if (ok) { shown++; }
      }
      if (count) { count.textContent = shown + " of " + rows.length + " shown"; }
    };
    input.addEventListener("input", apply);
    apply();
  });
})();
