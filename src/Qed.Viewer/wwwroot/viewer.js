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
  document.addEventListener("toggle", function (ev) {
    if (ev.target && ev.target.open) renderIn(ev.target);
  }, true);
  document.addEventListener("DOMContentLoaded", function () {
    renderIn(document);
    document.documentElement.setAttribute("data-math", "ready");
  });
})();
