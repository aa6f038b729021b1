/* natsparse book: the blueprint graph is scaled to the column (natsparse.css); the link under it,
   a.natsparse-blueprint-full, opens the same SVG at its natural size in a tab of its own. The SVG is
   serialised from the page into a blob: URL, so the book needs no generated file, and its links are made
   absolute first (a relative link means nothing inside a blob: document). */
(function () {
  "use strict";
  const XLINK = "http://www.w3.org/1999/xlink";

  function fullSize(svg) {
    const copy = svg.cloneNode(true);
    copy.querySelectorAll("a").forEach(a => {
      const href = a.getAttribute("href") || a.getAttributeNS(XLINK, "href");
      if (!href) return;
      const absolute = new URL(href, document.baseURI).href;
      a.setAttribute("href", absolute);
      a.setAttributeNS(XLINK, "xlink:href", absolute);
    });
    const text = '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
    return URL.createObjectURL(new Blob([text], {type: "image/svg+xml"}));
  }

  function linkAll() {
    document.querySelectorAll("a.natsparse-blueprint-full").forEach(link => {
      const svg = document.querySelector("svg.natsparse-blueprint");
      if (svg) link.href = fullSize(svg);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", linkAll);
  else linkAll();
})();
