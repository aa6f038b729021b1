/* natsparse book: display maths wider than its box is made to fit, since MathJax 3 cannot break
   lines. First the formula is broken into centred lines at its top-level \qquad (the chapters'
   separator between the parts of a display); if it is still too wide it is shrunk, down to 80 %;
   what still does not fit scrolls inside its box (natsparse.css), with a fade on the cut edge.
   window.natsparseMathsFitted resolves when done (the browser test waits for it). */
(function () {
  "use strict";
  const MIN_SCALE = 0.8;

  /* The parts of `tex` between its \qquad at brace/\left/\begin depth 0 (one part if none). */
  function topLevelParts(tex) {
    const parts = [];
    let depth = 0, start = 0;
    const word = (i, name) => tex.startsWith(name, i) && !/[a-zA-Z]/.test(tex.charAt(i + name.length));
    for (let i = 0; i < tex.length; i++) {
      const c = tex.charAt(i);
      if (c === "\\") {
        if (depth === 0 && word(i, "\\qquad")) {
          parts.push(tex.slice(start, i));
          start = i + 6;
          i += 5;
          continue;
        }
        if (word(i, "\\left") || word(i, "\\begin")) depth++;
        else if (word(i, "\\right") || word(i, "\\end")) depth--;
        i++;  // an escaped character or the first letter of a command
        continue;
      }
      if (c === "{") depth++;
      else if (c === "}") depth--;
    }
    parts.push(tex.slice(start));
    return parts.map(p => p.trim()).filter(p => p.length > 0);
  }

  const tooWide = el => el.scrollWidth > el.clientWidth + 1;

  function fit() {
    const doc = MathJax.startup.document;
    let replaced = false;
    for (const item of Array.from(doc.math)) {
      const root = item.typesetRoot;
      if (!item.display || !root || !root.isConnected || !tooWide(root)) continue;
      const parts = topLevelParts(item.math);
      if (parts.length > 1) {
        const lines = "\\begin{gathered}" + parts.join(" \\\\ ") + "\\end{gathered}";
        const metrics = MathJax.getMetricsFor(root.parentNode, true);  // the page's font size
        const node = MathJax.tex2chtml(lines, metrics);
        node.classList.add("natsparse-broken");
        root.replaceWith(node);
        item.typesetRoot = node;
        replaced = true;
      }
    }
    if (replaced) {
      doc.clear();
      doc.updateDocument();  // the stylesheet of the new nodes
    }
    for (const root of document.querySelectorAll('mjx-container[display="true"]')) {
      if (!tooWide(root)) continue;
      const scale = root.clientWidth / root.scrollWidth;
      root.style.fontSize = Math.max(MIN_SCALE, Math.floor(scale * 100) / 100) * 100 + "%";
      if (tooWide(root)) root.classList.add("natsparse-scrolls");
    }
  }

  window.natsparseMathsFitted = new Promise(resolve => {
    let tries = 200;  // MathJax is there within 10 s on a page with maths; others have none
    const start = () => {
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        MathJax.startup.promise.then(() => { try { fit(); } finally { resolve(); } }, () => resolve());
      } else if (--tries > 0) {
        setTimeout(start, 50);
      } else {
        resolve();
      }
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  });
})();
