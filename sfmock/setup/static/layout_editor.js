// Page layout editor: drag fields between the palette and the layout's columns (HTML5 drag
// and drop), or use each field's "Add to section" / "Remove" button; Save sends the result.
// Without this script the buttons post to the server and save one change at a time.
(function () {
  "use strict";
  var editor = document.querySelector("[data-editor]");
  if (!editor) { return; }
  var palette = editor.querySelector("[data-palette]");
  var status = document.getElementById("editor-status");
  var dragged = null;

  function announce(text) { status.textContent = text; }

  function labelOf(item) { return item.dataset.label; }

  function sectionName(column) {
    return column.closest(".layout-section").querySelector("h3").textContent;
  }

  function shortestColumn(sectionId) {
    var columns = editor.querySelectorAll('.column[data-section="' + sectionId + '"]');
    return Array.prototype.reduce.call(columns, function (best, column) {
      return column.children.length < best.children.length ? column : best;
    });
  }

  function place(item, zone, before) {
    if (zone === palette && item.dataset.locked) {
      announce(labelOf(item) + " is required on the layout and stays on it.");
      return false;
    }
    zone.insertBefore(item, before || null);
    announce(zone === palette
      ? labelOf(item) + " removed from the layout. Save to keep the change."
      : labelOf(item) + " added to " + sectionName(zone) + ". Save to keep the change.");
    return true;
  }

  editor.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("li.field");
    if (!item) { return; }
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.field);
  });

  editor.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    editor.querySelectorAll(".over").forEach(function (zone) { zone.classList.remove("over"); });
  });

  editor.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest(".dropzone");
    if (!zone || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("over");
  });

  editor.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest(".dropzone");
    if (zone && !zone.contains(event.relatedTarget)) { zone.classList.remove("over"); }
  });

  editor.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest(".dropzone");
    if (!zone || !dragged) { return; }
    event.preventDefault();
    zone.classList.remove("over");
    var before = event.target.closest("li.field");
    if (before === dragged || (before && before.parentNode !== zone)) { before = null; }
    place(dragged, zone, before);
  });

  editor.addEventListener("submit", function (event) {
    var form = event.target;
    var item = form.closest("li.field");
    if (!item) { return; }
    event.preventDefault();
    if (form.classList.contains("add-form")) {
      var column = shortestColumn(form.querySelector("select").value);
      if (place(item, column)) {
        (item.querySelector(".remove-form button") || document.querySelector("#save-layout button")).focus();
      }
    } else if (place(item, palette)) {
      item.querySelector(".add-form button").focus();
    }
  });

  var filter = document.getElementById("palette-filter");
  filter.addEventListener("input", function () {
    var words = filter.value.trim().toLowerCase();
    palette.querySelectorAll("li.field").forEach(function (item) {
      var text = (item.dataset.label + " " + item.dataset.field).toLowerCase();
      item.hidden = words !== "" && text.indexOf(words) === -1;
    });
  });

  document.getElementById("save-layout").addEventListener("submit", function () {
    var placement = {};
    editor.querySelectorAll(".layout-section").forEach(function (section) {
      placement[section.dataset.sectionId] = Array.prototype.map.call(
        section.querySelectorAll(".column"),
        function (column) {
          return Array.prototype.map.call(column.querySelectorAll("li.field"),
            function (item) { return item.dataset.field; });
        });
    });
    document.getElementById("layout-json").value = JSON.stringify(placement);
  });
})();
