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
    document.querySelectorAll("#view-accounts tr.finding, #view-checklist tr.finding").forEach(function (row) {
      var st = row.getAttribute("data-status"), sev = row.getAttribute("data-severity");
      var show = statuses.indexOf(st) >= 0 && severities.indexOf(sev) >= 0 && !(openOnly && openOnly.checked && (st === "pass" || st === "waived"));
      row.classList.toggle("hidden", !show);
    });
    document.querySelectorAll(".view article").forEach(function (a) {
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
  // A scan's page: find accounts by name and by checklist item.
  var findAccount = document.getElementById("find-account"), findItem = document.getElementById("find-item");
  var findCount = document.getElementById("find-count");
  function find() {
    var text = findAccount.value.toLowerCase(), item = findItem.value, shown = 0;
    document.querySelectorAll("#exposed tr.acct").forEach(function (row) {
      var show = (text === "" || row.cells[0].textContent.toLowerCase().indexOf(text) >= 0) &&
        (item === "" || (" " + row.getAttribute("data-items") + " ").indexOf(" " + item + " ") >= 0);
      row.classList.toggle("hidden", !show);
      if (show) { shown++; }
    });
    findCount.textContent = shown + " shown";
  }
  if (findAccount && findItem) {
    findAccount.addEventListener("input", find);
    findItem.addEventListener("change", find);
    document.querySelectorAll("table.items tbody tr").forEach(function (row) {
      row.addEventListener("click", function () { findItem.value = row.cells[1].textContent; find(); });
    });
    // report.html#item=forwarding-removed opens the page on one item.
    var m = /^#item=([\w.-]+)$/.exec(window.location.hash);
    if (m) { findItem.value = m[1]; find(); }
  }
  // Printing shows every finding with its evidence and remediation.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
  });
  // report.html#open opens the page with only the open items shown.
  if (openOnly && window.location.hash === "#open") { openOnly.checked = true; }
  apply();
})();
