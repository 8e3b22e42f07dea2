(function () {
  "use strict";

  // Sorting: a click on a th[data-sort] orders the rows by that column. Cells carry their number in
  // data-value (empty: missing, always sorted last); data-sort="text" sorts by the cell's text.
  // The first click uses the header's data-first order (the metric's "best first"), the next flips it.
  function cellKey(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) { return null; }
    if (kind === "text") { return (cell.getAttribute("data-value") || cell.textContent).trim().toLowerCase(); }
    var raw = cell.getAttribute("data-value");
    if (raw === null || raw === "") { return null; }
    var number = parseFloat(raw);
    return isNaN(number) ? null : number;
  }

  function sortTable(table, header) {
    var headers = table.tHead.querySelectorAll("th");
    var explicit = header.getAttribute("data-index");
    var index = explicit !== null ? parseInt(explicit, 10) : Array.prototype.indexOf.call(header.parentNode.children, header);
    var kind = header.getAttribute("data-sort");
    var first = header.getAttribute("data-first") || "ascending";
    var current = header.getAttribute("aria-sort");
    var order = current === first ? (first === "ascending" ? "descending" : "ascending") : first;
    Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", order);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var sign = order === "ascending" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = cellKey(a, index, kind);
      var y = cellKey(b, index, kind);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      if (x < y) { return -sign; }
      if (x > y) { return sign; }
      return 0;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th[data-sort]").forEach(function (header) {
      header.tabIndex = 0;
      header.addEventListener("click", function () { sortTable(table, header); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortTable(table, header); }
      });
    });
  });

  // Leaderboard filters: rows by system name, columns by metric name (case-insensitive substrings).
  function filterRows(input) {
    var table = document.getElementById(input.getAttribute("data-filter-rows"));
    var query = input.value.trim().toLowerCase();
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var name = (row.getAttribute("data-system") || "").toLowerCase();
      row.classList.toggle("hidden", query !== "" && name.indexOf(query) < 0);
    });
  }

  function filterColumns(input) {
    var table = document.getElementById(input.getAttribute("data-filter-cols"));
    var query = input.value.trim().toLowerCase();
    var visible = {};
    table.tHead.querySelectorAll("th[data-col]").forEach(function (header) {
      var index = parseInt(header.getAttribute("data-index"), 10);
      var group = header.getAttribute("data-group") || "";
      var hide = query !== "" && header.getAttribute("data-col").toLowerCase().indexOf(query) < 0;
      header.classList.toggle("hidden", hide);
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        if (row.cells[index]) { row.cells[index].classList.toggle("hidden", hide); }
      });
      visible[group] = (visible[group] || 0) + (hide ? 0 : 1);
    });
    table.tHead.querySelectorAll("th.group[data-group]").forEach(function (header) {
      var count = visible[header.getAttribute("data-group")] || 0;
      header.classList.toggle("hidden", count === 0);
      if (count > 0) { header.colSpan = count; }
    });
  }

  document.querySelectorAll("input[data-filter-rows]").forEach(function (input) {
    input.addEventListener("input", function () { filterRows(input); });
  });
  document.querySelectorAll("input[data-filter-cols]").forEach(function (input) {
    input.addEventListener("input", function () { filterColumns(input); });
  });

  // Gallery filters: system, emotion, and a search over sample ids and texts.
  var gallery = document.getElementById("gallery-cells");
  if (gallery) {
    var systemSelect = document.getElementById("gallery-system");
    var emotionSelect = document.getElementById("gallery-emotion");
    var search = document.getElementById("gallery-search");
    var counter = document.getElementById("gallery-count");
    var apply = function () {
      var system = systemSelect.value;
      var emotion = emotionSelect.value;
      var query = search.value.trim().toLowerCase();
      var shown = 0;
      gallery.querySelectorAll(".gallery-block").forEach(function (block) {
        var visible = 0;
        block.querySelectorAll(".sample").forEach(function (card) {
          var ok = (system === "" || card.getAttribute("data-system") === system) &&
            (emotion === "" || card.getAttribute("data-emotion") === emotion) &&
            (query === "" || card.textContent.toLowerCase().indexOf(query) >= 0);
          card.classList.toggle("hidden", !ok);
          if (ok) { visible += 1; }
        });
        block.classList.toggle("hidden", visible === 0);
        shown += visible;
      });
      if (counter) { counter.textContent = String(shown); }
    };
    [systemSelect, emotionSelect].forEach(function (element) { element.addEventListener("change", apply); });
    search.addEventListener("input", apply);
  }

  // One recording at a time: starting a player pauses the others.
  document.addEventListener("play", function (event) {
    document.querySelectorAll("audio").forEach(function (player) {
      if (player !== event.target) { player.pause(); }
    });
  }, true);
})();
