// Quick Find: filter the Setup menu as the admin types (the form still works without script).
(function () {
  "use strict";
  var input = document.getElementById("quick-find");
  if (!input) { return; }
  var status = document.getElementById("quick-find-status");
  var none = document.getElementById("no-match");

  function filter() {
    var words = input.value.trim().toLowerCase();
    var shown = 0;
    document.querySelectorAll("[data-group]").forEach(function (group) {
      var visible = 0;
      group.querySelectorAll("li[data-search]").forEach(function (item) {
        var match = !words || item.dataset.search.toLowerCase().indexOf(words) !== -1;
        item.hidden = !match;
        if (match) { visible += 1; }
      });
      group.hidden = visible === 0;
      shown += visible;
    });
    none.hidden = shown !== 0;
    status.textContent = words ? shown + (shown === 1 ? " result" : " results") : "";
  }

  input.addEventListener("input", filter);
  filter();
})();
