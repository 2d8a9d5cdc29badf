// Renders every span.tex with KaTeX. Loaded as a file (the page's CSP forbids inline script); TeX inside a
// closed <details> is rendered when it is opened, so pages with many long samples stay quick.
(function () {
  "use strict";
  function renderIn(root) {
    if (typeof katex === "undefined") return;
    root.querySelectorAll("span.tex:not([data-rendered])").forEach(function (el) {
      var closed = el.closest("details:not([open])");
      if (closed) return;
      var tex = el.textContent;
      try {
        katex.render(tex, el, { displayMode: el.classList.contains("tex-display"), throwOnError: false, trust: false, strict: "ignore", maxExpand: 1000, maxSize: 50 });
      } catch (e) {
        el.textContent = tex;
        el.classList.add("tex-error");
      }
      el.setAttribute("data-rendered", "1");
    });
  }
  // A scaffold step's messages can be tens of kilobytes each; they are fetched (same origin, server-rendered and
  // sanitised like the rest of the page) the first time the step is opened.
  function loadStep(details) {
    var src = details.getAttribute("data-step-src");
    var body = details.querySelector(".step-body");
    if (!src || !body || details.hasAttribute("data-loaded")) return false;
    details.setAttribute("data-loaded", "pending");
    fetch(src, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then(function (html) { body.innerHTML = html; details.setAttribute("data-loaded", "1"); renderIn(details); })
      .catch(function (e) { body.textContent = "Could not load this step: " + e.message; details.setAttribute("data-loaded", "error"); });
    return true;
  }
  document.addEventListener("toggle", function (ev) {
    var el = ev.target;
    if (!el || !el.open) return;
    if (!loadStep(el)) renderIn(el);
  }, true);
  document.addEventListener("DOMContentLoaded", function () {
    renderIn(document);
    document.documentElement.setAttribute("data-math", "ready");
  });
})();
