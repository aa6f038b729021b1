"""The blueprint: the dependency graph of every result, coloured by computed status.

Modelled on Lean blueprints: each node is a result of the registry
(`natsparse.proofs.registry`), each edge a `uses` relation (an arrow from what is used to
what uses it), and each node links to the section of the book that states and proves it.
The graph is drawn as a self-contained SVG by a small layered-DAG layout (longest-path
layers, barycentre ordering), so no graphviz binary is needed.

    >>> from natsparse.blueprint import layers
    >>> layers({"def:a": [], "lem:b": ["def:a"]})
    {'def:a': 0, 'lem:b': 1}
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from natsparse.proofs.evidence import STATUS_TABLE, STATUSES

_PRF_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{prf:(?P<kind>[a-z]+)\}(?P<title>.*)$")
_LABEL = re.compile(r"^:label:\s*(?P<label>\S+)\s*$")


def find_labels(book_dir: str | Path) -> dict[str, tuple[str, str]]:
    """Every sphinx-proof label in the chapters of `book_dir`: {label: (page stem, prf kind)}.

    Reads each ``*.md`` file and finds directives ``{prf:KIND}`` (backtick or colon fences)
    whose option block carries ``:label: ID``. The HTML anchor of such a directive is the label
    itself (sphinx-proof uses it as the node id), so the section of result ``ID`` is
    ``PAGE.html#ID``.
    """
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(Path(book_dir).glob("*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = _PRF_OPEN.match(line.strip())
            if not m:
                continue
            for opt in lines[i + 1:]:
                opt = opt.strip()
                if not opt.startswith(":"):
                    break
                lm = _LABEL.match(opt)
                if lm:
                    out.setdefault(lm.group("label"), (path.stem, m.group("kind")))
                    break
    return out


def hrefs_for(labels: Mapping[str, tuple[str, str]], ids: Iterable[str]) -> dict[str, str]:
    """Relative links ``page.html#id`` for the ids that have a section (others are left out)."""
    return {rid: f"{labels[rid][0]}.html#{rid}" for rid in ids if rid in labels}


def layers(uses: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Longest-path layering: a node sits one layer below the deepest result it uses.

    `uses` maps each id to the ids it uses; ids used but not listed count as sources.
    Raises ValueError on a cycle.
    """
    depth: dict[str, int] = {}
    active: set[str] = set()

    def visit(node: str) -> int:
        if node in depth:
            return depth[node]
        if node in active:
            raise ValueError(f"cycle in `uses` through {node}")
        active.add(node)
        d = 1 + max((visit(u) for u in uses.get(node, ())), default=-1)
        active.discard(node)
        depth[node] = d
        return d

    for node in uses:
        visit(node)
    return depth


def _order_rows(uses: Mapping[str, Iterable[str]], depth: Mapping[str, int],
                per_row: int) -> list[list[str]]:
    """Rows of nodes: each layer in input order, reordered by the barycentre of the nodes it
    uses (a few downward sweeps), and split into rows of at most `per_row` nodes."""
    by_layer: dict[int, list[str]] = {}
    for node in uses:
        by_layer.setdefault(depth[node], []).append(node)
    position: dict[str, float] = {}
    rows: list[list[str]] = []
    for layer in sorted(by_layer):
        nodes = by_layer[layer]
        if layer > 0:
            def bary(node: str) -> float:
                parents = [position[u] for u in uses.get(node, ()) if u in position]
                return sum(parents) / len(parents) if parents else 0.5
            nodes = sorted(nodes, key=bary)
        chunks = [nodes[i:i + per_row] for i in range(0, len(nodes), per_row)]
        for chunk in chunks:
            for i, node in enumerate(chunk):
                position[node] = (i + 0.5) / len(chunk)
            rows.append(chunk)
    return rows


def graph_svg(uses: Mapping[str, Iterable[str]], statuses: Mapping[str, str], *,
              titles: Mapping[str, str] | None = None, hrefs: Mapping[str, str] | None = None,
              scopes: Mapping[str, str] | None = None,
              per_row: int = 4, node_width: int = 190, node_height: int = 34) -> str:
    """The dependency graph as an SVG string (for ``IPython.display.HTML``).

    Each node is a rounded box with the result id, styled by ``statuses[id]``
    (see `natsparse.proofs.STATUS_TABLE`), wrapped in a link ``hrefs[id]`` when given, with a tooltip of its
    title, status and the scope of what was checked (``scopes[id]``). Arrows go from a used result
    to the result that uses it.
    """
    unknown = sorted(set(statuses.values()) - set(STATUS_TABLE))
    if unknown:
        raise ValueError(f"unknown status(es) {unknown}; expected one of {STATUSES}")
    missing = [node for node in uses if node not in statuses]
    if missing:
        raise ValueError(f"statuses missing for {missing}")
    titles = titles or {}
    hrefs = hrefs or {}
    depth = layers(uses)
    rows = _order_rows(uses, depth, per_row)
    gap_x, gap_y, margin = 14, 46, 12
    width = per_row * node_width + (per_row - 1) * gap_x + 2 * margin
    legend_h = 40
    height = len(rows) * node_height + (len(rows) - 1) * gap_y + 2 * margin + legend_h
    xy: dict[str, tuple[float, float]] = {}
    for r, row in enumerate(rows):
        row_w = len(row) * node_width + (len(row) - 1) * gap_x
        x0 = (width - row_w) / 2
        y = margin + r * (node_height + gap_y)
        for i, node in enumerate(row):
            xy[node] = (x0 + i * (node_width + gap_x), y)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'class="natsparse-blueprint" viewBox="0 0 {width} {height}" width="100%" '
           f'style="max-width:{width}px" role="img" aria-label="Dependency graph of the results">',
           '<defs><marker id="bp-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
           'fill="#7d8590"/></marker></defs>', '<g class="edges">']
    for node in uses:
        x1, y1 = xy[node]
        for used in uses[node]:
            if used not in xy:
                continue
            x0, y0 = xy[used]
            sx, sy = x0 + node_width / 2, y0 + node_height
            tx, ty = x1 + node_width / 2, y1
            bend = max(20.0, (ty - sy) / 2)
            out.append(f'<path d="M {sx:.1f} {sy:.1f} C {sx:.1f} {sy + bend:.1f} {tx:.1f} '
                       f'{ty - bend:.1f} {tx:.1f} {ty - 2:.1f}" fill="none" stroke="#9aa3ad" '
                       f'stroke-width="1.1" stroke-opacity="0.75" marker-end="url(#bp-arrow)"/>')
    out.append('</g><g class="nodes">')
    for node in uses:
        x, y = xy[node]
        st = statuses[node]
        st_ = STATUS_TABLE[st]
        stroke, fill, ink, dashed = st_.stroke, st_.fill, st_.ink, st_.dashed
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        checked = (scopes or {}).get(node)
        tip = html.escape(f"{node}: {titles.get(node, '')} [{st}" + (f": {checked}]" if checked else "]"))
        box = (f'<g class="bp-node" data-id="{html.escape(node)}" data-status="{st}">'
               f'<title>{tip}</title>'
               f'<rect x="{x:.1f}" y="{y:.1f}" width="{node_width}" height="{node_height}" rx="7" '
               f'fill="{fill}" stroke="{stroke}" stroke-width="1.8"{dash}/>'
               f'<text x="{x + node_width / 2:.1f}" y="{y + node_height / 2 + 4:.1f}" '
               f'text-anchor="middle" font-family="ui-monospace, Menlo, Consolas, monospace" '
               f'font-size="13" fill="{ink}">{html.escape(node)}</text></g>')
        if node in hrefs:
            link = html.escape(hrefs[node])
            box = f'<a href="{link}" xlink:href="{link}" class="bp-link">{box}</a>'
        out.append(box)
    out.append("</g>")
    # legend
    ly = height - legend_h + 8
    lx = margin
    step = (width - 2 * margin) / len(STATUSES)
    for i, st in enumerate(STATUSES):
        st_ = STATUS_TABLE[st]
        stroke, fill, ink, dashed = st_.stroke, st_.fill, st_.ink, st_.dashed
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        x = lx + i * step
        out.append(f'<rect x="{x:.1f}" y="{ly}" width="{step - 10:.1f}" height="24" rx="6" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="1.6"{dash}/>'
                   f'<text x="{x + (step - 10) / 2:.1f}" y="{ly + 16}" text-anchor="middle" '
                   f'font-family="sans-serif" font-size="12" fill="{ink}">{st}</text>')
    out.append("</svg>")
    return "\n".join(out)


def results_table_html(rows: Iterable[Mapping[str, str]], hrefs: Mapping[str, str]) -> str:
    """An HTML table of results: columns id (linked when it has a section), kind, title,
    provenance, status (a coloured badge), scope (what the evidence behind the status covers,
    when the rows have one) and uses."""
    rows = list(rows)
    with_scope = any("scope" in row for row in rows)
    head = ("<table class='natsparse-table'><thead><tr><th>id</th><th>kind</th><th>title</th>"
            "<th>provenance</th><th>status</th>" + ("<th>scope</th>" if with_scope else "")
            + "<th>uses</th></tr></thead><tbody>")
    body = []
    for row in rows:
        rid = row["id"]
        cell = html.escape(rid)
        if rid in hrefs:
            cell = f"<a href='{html.escape(hrefs[rid])}'><code>{cell}</code></a>"
        else:
            cell = f"<code>{cell}</code> <em>(no section yet)</em>"
        st_ = STATUS_TABLE[row["status"]]
        stroke, fill, ink = st_.stroke, st_.fill, st_.ink
        badge = (f"<span class='natsparse-badge' style='background:{fill};color:{ink};"
                 f"border:1px solid {stroke}'>{html.escape(row['status'])}</span>")
        body.append(f"<tr><td>{cell}</td><td>{html.escape(row['kind'])}</td>"
                    f"<td>{html.escape(row['title'])}</td><td>{html.escape(row['provenance'])}</td>"
                    f"<td>{badge}</td>"
                    + (f"<td>{html.escape(row.get('scope', ''))}</td>" if with_scope else "")
                    + f"<td>{html.escape(row['uses'])}</td></tr>")
    return head + "".join(body) + "</tbody></table>"


def blueprint(book_dir: str | Path = ".") -> tuple[str, str, dict[str, str]]:
    """(graph SVG, table HTML, {id: status}) for the whole registry, computed now from all
    evidence (`natsparse.evidence.status`)."""
    from natsparse.evidence import scope, status
    from natsparse.proofs import registry

    statuses = {rid: status(rid) for rid in registry}
    scopes = {rid: scope(rid) for rid in registry}
    uses = {rid: list(r.uses) for rid, r in registry.items()}
    hrefs = hrefs_for(find_labels(book_dir), registry)
    svg = graph_svg(uses, statuses, titles={rid: r.title for rid, r in registry.items()},
                    hrefs=hrefs, scopes=scopes)
    rows = [{"id": rid, "kind": r.kind, "title": r.title, "provenance": ", ".join(r.provenance),
             "status": statuses[rid], "scope": scopes[rid], "uses": ", ".join(r.uses)}
            for rid, r in registry.items()]
    return svg, results_table_html(rows, hrefs), statuses
