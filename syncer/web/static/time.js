// Timestamps in the viewer's own time zone: every <time datetime="..."> the pages render in
// UTC is rewritten with the browser's Intl; the UTC text stays as the tooltip (and is what
// shows without JavaScript).
"use strict";
(function () {
  const format = new Intl.DateTimeFormat(undefined, {dateStyle: "medium", timeStyle: "medium"});
  for (const element of document.querySelectorAll("time[datetime]")) {
    const moment = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) continue;
    element.title = element.textContent.trim();
    element.textContent = format.format(moment);
    element.dataset.local = "true";
  }
})();
