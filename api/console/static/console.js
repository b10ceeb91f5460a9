// shophub console: every page works without this script. It adds a
// confirmation to forms marked data-confirm, and refreshes elements marked
// data-refresh (a replay's result, an erasure's steps) until they settle.
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
    }
  });
  function refresh(el) {
    var url = el.getAttribute("data-refresh");
    if (!url) return;
    setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var t = document.createElement("template");
          t.innerHTML = html.trim();
          var next = t.content.firstElementChild;
          if (!next) return;
          el.replaceWith(next);
          refresh(next);
        })
        .catch(function () { setTimeout(function () { refresh(el); }, 3000); });
    }, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(refresh);
  });
})();
