// Filters and views for the closeout report; the page reads fine without it.
(function () {
  "use strict";
  var checked = function (name) {
    return Array.prototype.filter.call(document.querySelectorAll('input[name="' + name + '"]'), function (i) { return i.checked; })
      .map(function (i) { return i.value; });
  };
  var openOnly = document.getElementById("openonly");
  function apply() {
    var statuses = checked("status"), severities = checked("severity");
    document.querySelectorAll("tr.finding").forEach(function (row) {
      var st = row.getAttribute("data-status"), sev = row.getAttribute("data-severity");
      var show = statuses.indexOf(st) >= 0 && severities.indexOf(sev) >= 0 && !(openOnly.checked && (st === "pass" || st === "waived"));
      row.classList.toggle("hidden", !show);
    });
    document.querySelectorAll("article").forEach(function (a) {
      a.classList.toggle("hidden", a.querySelectorAll("tr.finding:not(.hidden)").length === 0);
    });
  }
  document.querySelectorAll("#controls input").forEach(function (i) { i.addEventListener("change", apply); });
  document.querySelectorAll(".views button").forEach(function (b) {
    b.addEventListener("click", function () {
      document.querySelectorAll(".views button").forEach(function (x) { x.classList.toggle("active", x === b); });
      document.querySelectorAll(".view").forEach(function (v) { v.hidden = v.id !== "view-" + b.getAttribute("data-view"); });
    });
  });
  // Printing shows every finding with its evidence and remediation.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
  });
  // report.html#open opens the page with only the open items shown.
  if (window.location.hash === "#open") { openOnly.checked = true; }
  apply();
})();
