"""The blueprint: the dependency graph of every result, coloured by computed status.

Modelled on Lean blueprints: each node is a result of the registry
(`natsparse.proofs.registry`), each edge a `uses` relation (an arrow from what is used to
what uses it), and each node links to the section of the book that states and proves it.
The graph is drawn as a self-contained SVG from a Sugiyama layout computed by grandalf (pure
Python, so no graphviz binary is needed): layers by longest path, dummy vertices on long edges,
crossing reduction, Brandes-Koepf placement; the connected components in rows, largest first.

    >>> from natsparse.blueprint import layers
    >>> layers({"def:a": [], "lem:b": ["def:a"]})
    {'def:a': 0, 'lem:b': 1}
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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


#: Geometry of the graph in px (node height, padding around an id, one monospace character of the
#: 13 px font the SVG asks for, whose advance is 0.6 em, and the gaps between boxes).
NODE_H, PAD_X, CHAR_W, GAP_X, GAP_Y, MARGIN, DUMMY_W = 34, 12, 8.0, 18, 42, 12, 10
#: the narrowest row of components in px, so that lone nodes beside a small graph still fill a readable line
ROW_MIN = 900
FONT = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace"


@dataclass(frozen=True)
class Layout:
    """A layered drawing: ``boxes[id] = (x, y, w, h)`` (top-left corner), ``rank[id]`` its layer,
    and ``edges`` as (used, user, points): the points run from a port on the bottom of the used
    box, through each dummy vertex (top and bottom of its layer band), to a port on the top of
    the user box."""

    boxes: dict[str, tuple[float, float, float, float]]
    rank: dict[str, int]
    edges: list[tuple[str, str, list[tuple[float, float]]]]
    width: float
    height: float


def node_width(node: str) -> float:
    """Width of the box of `node`: its id in the 13 px monospace font, plus padding."""
    return len(node) * CHAR_W + 2 * PAD_X


def layout(uses: Mapping[str, Iterable[str]]) -> Layout:
    """The Sugiyama layout of the `uses` graph, computed by grandalf.

    The arrows drawn are the transitive reduction of `uses` (networkx): a use already implied
    by a chain of arrows is not drawn again, which keeps the graph readable (the results table
    lists every use). grandalf ranks the nodes (longest path from the sources, as `layers`), inserts a dummy
    vertex in every layer a long edge crosses, orders each layer to reduce crossings (median
    sweeps) and places the boxes (Brandes-Koepf). Edges go from layer to layer only: inside a
    layer band an edge runs vertically through its dummy's slot, so it never crosses a box.
    Each box spreads the ends of its edges over its top (incoming, ordered by where they come
    from) and its bottom (outgoing), so no two arrowheads meet. Edges to ids that are not
    nodes are left out. Raises ValueError on a cycle.
    """
    import networkx as nx
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    nodes = list(uses)
    direct = {node: [u for u in uses[node] if u in uses] for node in nodes}
    layers(direct)  # raises on a cycle, where grandalf would silently invert an edge
    dag = nx.DiGraph([(u, node) for node in nodes for u in direct[node]])
    dag.add_nodes_from(nodes)
    drawn = set(nx.transitive_reduction(dag).edges)
    vertex = {node: Vertex(node) for node in nodes}
    for node, v in vertex.items():
        v.view = _View(node_width(node), NODE_H)
    edge_list = [Edge(vertex[u], vertex[node]) for node in nodes for u in direct[node] if (u, node) in drawn]
    graph = Graph(list(vertex.values()), edge_list)

    # each connected component laid out on its own, its top-left corner at (0, 0)
    parts = []
    for component in graph.C:
        sug = SugiyamaLayout(component)
        sug.xspace, sug.yspace = GAP_X, GAP_Y
        sug.dw, sug.dh = DUMMY_W, NODE_H  # dummies: narrow slots, as high as a box
        sug.init_all()
        sug.draw(8)
        placed = [v for layer in sug.layers for v in layer]
        left = min(v.view.xy[0] - v.view.w / 2 for v in placed)
        top = min(v.view.xy[1] - v.view.h / 2 for v in placed)
        part_boxes = {v.data: (v.view.xy[0] - left - v.view.w / 2, v.view.xy[1] - top - NODE_H / 2, v.view.w,
                               NODE_H) for v in component.sV}
        part_routes = []
        for e in component.sE:
            via = sug.ctrls.get(e, {})
            inner = [via[r].view.xy for r in sorted(via)[1:-1]]
            points = [(0.0, 0.0)]
            for x, y in inner:
                points += [(x - left, y - top - NODE_H / 2), (x - left, y - top + NODE_H / 2)]
            points.append((0.0, 0.0))
            part_routes.append((e.v[0].data, e.v[1].data, points))
        parts.append((part_boxes, {v.data: sug.grx[v].rank for v in component.sV}, part_routes))

    # the components in rows, largest first: a row is as wide as the largest component (or ROW_MIN), so a
    # crowd of lone nodes (the axioms, which proofs cite but no result `uses`) wraps instead of widening it
    def extent(part, i):
        return max(x[i] + x[i + 2] for x in part[0].values())

    parts.sort(key=lambda part: (-len(part[0]), min(part[0])))
    row_width = max(ROW_MIN, max(extent(part, 0) for part in parts))
    boxes: dict[str, tuple[float, float, float, float]] = {}
    rank: dict[str, int] = {}
    routes: list[tuple[str, str, list[tuple[float, float]]]] = []
    x_offset, y_offset, row_height = MARGIN, MARGIN, 0.0
    for part in parts:
        w, h = extent(part, 0), extent(part, 1)
        if x_offset > MARGIN and x_offset + w > MARGIN + row_width:
            x_offset, y_offset, row_height = MARGIN, y_offset + row_height + 2 * GAP_Y, 0.0
        part_boxes, part_rank, part_routes = part
        boxes.update({n: (x + x_offset, y + y_offset, bw, bh) for n, (x, y, bw, bh) in part_boxes.items()})
        rank.update(part_rank)
        routes += [(u, v, [(x + x_offset, y + y_offset) for x, y in pts]) for u, v, pts in part_routes]
        x_offset += w + 3 * GAP_X
        row_height = max(row_height, h)

    def spread(ends: list[tuple[int, int, float]], box: tuple[float, float, float, float], y: float):
        # ends: (route index, point index, x it comes from); ports in that order over the width
        ends.sort(key=lambda t: t[2])
        x0, _, w, _ = box
        for i, (r, k, _) in enumerate(ends):
            routes[r][2][k] = (x0 + w * (i + 1) / (len(ends) + 1), y)

    def centre(node: str) -> float:
        x, _, w, _ = boxes[node]
        return x + w / 2

    for node, box in boxes.items():
        outgoing = [(i, 0, pts[1][0] if len(pts) > 2 else centre(dst))
                    for i, (src, dst, pts) in enumerate(routes) if src == node]
        incoming = [(i, len(pts) - 1, pts[-2][0] if len(pts) > 2 else centre(src))
                    for i, (src, dst, pts) in enumerate(routes) if dst == node]
        spread(outgoing, box, box[1] + box[3])
        spread(incoming, box, box[1])
    routes.sort(key=lambda r: (nodes.index(r[1]), nodes.index(r[0])))
    width = max((x + w for x, _, w, _ in boxes.values()), default=0.0) + MARGIN
    height = max((y + h for _, y, _, h in boxes.values()), default=0.0) + MARGIN
    return Layout(boxes, rank, routes, width, height)


class _View:
    """The size grandalf reads from each vertex (``w``, ``h``) and the centre it writes (``xy``)."""

    def __init__(self, w: float, h: float):
        self.w, self.h, self.xy = w, h, (0.0, 0.0)


def edge_path(points: Sequence[tuple[float, float]]) -> str:
    """SVG path data of one routed edge: a vertical-tangent cubic across each gap between two
    layers (it stays inside the gap) and a straight vertical line through each dummy's slot."""
    (x, y), rest = points[0], points[1:]
    d = [f"M {x:.1f} {y:.1f}"]
    for i, (x1, y1) in enumerate(rest):
        if i % 2 == 0:  # across a gap: from a bottom to the next top
            mid = (y + y1) / 2
            d.append(f"C {x:.1f} {mid:.1f} {x1:.1f} {mid:.1f} {x1:.1f} {y1:.1f}")
        else:           # through a dummy's slot in a layer band
            d.append(f"L {x1:.1f} {y1:.1f}")
        x, y = x1, y1
    return " ".join(d)


def _box(x: float, y: float, w: float, h: float, status: str, label: str, font: str,
         size: int) -> str:
    """A box and its centred label in the colours of ``STATUS_TABLE[status]`` (nodes and legend
    share it, so the legend shows exactly what the nodes look like)."""
    st = STATUS_TABLE[status]
    dash = ' stroke-dasharray="5 3"' if st.dashed else ""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="7" fill="{st.fill}" '
            f'stroke="{st.stroke}" stroke-width="1.8"{dash}/>'
            f'<text x="{x + w / 2:.1f}" y="{y + h / 2:.1f}" dominant-baseline="central" '
            f'text-anchor="middle" font-family="{font}" font-size="{size}" fill="{st.ink}">'
            f'{html.escape(label)}</text>')


def graph_svg(uses: Mapping[str, Iterable[str]], statuses: Mapping[str, str], *,
              titles: Mapping[str, str] | None = None, hrefs: Mapping[str, str] | None = None,
              scopes: Mapping[str, str] | None = None) -> str:
    """The dependency graph as an SVG string (for ``IPython.display.HTML``), drawn from `layout`.

    Each node is a rounded box with the result id, styled by ``statuses[id]``
    (see `natsparse.proofs.STATUS_TABLE`), wrapped in a link ``hrefs[id]`` when given, with a tooltip of its
    title, status and the scope of what was checked (``scopes[id]``). Arrows go from a used result
    to the result that uses it. The SVG's ``width`` and ``height`` are its natural size (ids at 13 px):
    the book's CSS scales it down to the column, and `figure_html` adds the link to the natural size.
    """
    unknown = sorted(set(statuses.values()) - set(STATUS_TABLE))
    if unknown:
        raise ValueError(f"unknown status(es) {unknown}; expected one of {STATUSES}")
    missing = [node for node in uses if node not in statuses]
    if missing:
        raise ValueError(f"statuses missing for {missing}")
    titles = titles or {}
    hrefs = hrefs or {}
    lay = layout(uses)
    legend_w = max(node_width(st) for st in STATUSES)
    per_line = max(1, int((max(lay.width, 2 * MARGIN + legend_w) - 2 * MARGIN + GAP_X) // (legend_w + GAP_X)))
    legend_lines = -(-len(STATUSES) // per_line)
    width = max(lay.width, 2 * MARGIN + per_line * (legend_w + GAP_X) - GAP_X)
    height = lay.height + 8 + legend_lines * (NODE_H + 8) + MARGIN

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'class="natsparse-blueprint" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
           f'height="{height:.0f}" role="img" aria-label="Dependency graph of the results">',
           '<defs><marker id="bp-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" markerUnits="userSpaceOnUse" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" '
           'fill="#6e7681"/></marker></defs>', '<g class="edges">']
    for used, user, points in lay.edges:
        out.append(f'<path class="bp-edge" data-from="{html.escape(used)}" data-to="{html.escape(user)}" '
                   f'd="{edge_path(points)}" fill="none" stroke="#8b949e" stroke-width="1.2" '
                   f'marker-end="url(#bp-arrow)"/>')
    out.append('</g><g class="nodes">')
    for node in uses:
        x, y, w, h = lay.boxes[node]
        st = statuses[node]
        checked = (scopes or {}).get(node)
        tip = html.escape(f"{node}: {titles.get(node, '')} [{st}" + (f": {checked}]" if checked else "]"))
        box = (f'<g class="bp-node" data-id="{html.escape(node)}" data-status="{st}">'
               f'<title>{tip}</title>{_box(x, y, w, h, st, node, FONT, 13)}</g>')
        if node in hrefs:
            link = html.escape(hrefs[node])
            box = f'<a href="{link}" xlink:href="{link}" class="bp-link">{box}</a>'
        out.append(box)
    out.append('</g><g class="legend">')
    for i, st in enumerate(STATUSES):
        line, col = divmod(i, per_line)
        x = MARGIN + col * (legend_w + GAP_X)
        y = lay.height + 8 + line * (NODE_H + 8)
        out.append(f'<g class="bp-legend" data-status="{st}"><title>{html.escape(STATUS_TABLE[st].meaning)}'
                   f'</title>{_box(x, y, legend_w, NODE_H, st, st, FONT, 13)}</g>')
    out.append("</g></svg>")
    return "\n".join(out)


#: The text of the link under the graph that opens it at its natural size.
FULL_SIZE_TEXT = "Open the graph at full size"


def figure_html(svg: str) -> str:
    """The graph `svg` as the book shows it: scaled to the column (natsparse.css), with a link under it
    that opens the same SVG at its natural size in a new tab (``a.natsparse-blueprint-full``, whose
    address ``book/_static/natsparse-blueprint.js`` sets from the page's SVG).

    >>> figure_html("<svg/>").count("natsparse-blueprint-full")
    2
    """
    return (f"{svg}\n<p class='natsparse-blueprint-full'><a class='natsparse-blueprint-full' href='#' "
            f"target='_blank' rel='noopener'>{FULL_SIZE_TEXT}</a> (SVG, every id at its natural size; "
            f"nodes link to their sections).</p>")


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
        body.append(f"<tr><td class='natsparse-token'>{cell}</td>"
                    f"<td class='natsparse-token'>{html.escape(row['kind'])}</td>"
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
