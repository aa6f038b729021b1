"""natsparse/blueprint.py: the layering of a DAG, the Sugiyama layout (boxes apart, edges only
between consecutive layers and never through a box, arrowheads spread, the transitive reduction),
on small graphs and on the registry, the SVG graph (one node per id, one arrow per drawn edge,
links, a legend drawn like the nodes, the status check), the results table, and the labels found
in MyST files."""

from __future__ import annotations

import re

import pytest

from natsparse.blueprint import (
    edge_path,
    find_labels,
    graph_svg,
    hrefs_for,
    layers,
    layout,
    node_width,
    results_table_html,
)
from natsparse.proofs import STATUS_TABLE, STATUSES

# a diamond over a chain, and "def:x", used but not listed (a source)
USES = {"def:a": [], "lem:b": ["def:a"], "lem:c": ["def:a", "def:x"], "thm:d": ["lem:b", "lem:c"],
        "cor:e": ["thm:d"]}
STATUS = {"def:a": "fully-proved", "lem:b": "verified", "lem:c": "sampled", "thm:d": "encoded",
          "cor:e": "stated"}


def test_layers_are_longest_paths():
    assert layers(USES) == {"def:a": 0, "lem:b": 1, "def:x": 0, "lem:c": 1, "thm:d": 2, "cor:e": 3}
    assert layers({"a": ["b"], "b": ["c"], "c": []}) == {"c": 0, "b": 1, "a": 2}
    assert layers({}) == {}


def test_layers_reject_a_cycle():
    with pytest.raises(ValueError, match="cycle in `uses` through"):
        layers({"lem:a": ["lem:b"], "lem:b": ["lem:a"]})


def _reachable(edges: set[tuple[str, str]], a: str, b: str) -> bool:
    todo, seen = [a], set()
    while todo:
        x = todo.pop()
        for u, v in edges:
            if u == x and v not in seen:
                if v == b:
                    return True
                seen.add(v)
                todo.append(v)
    return False


def _cubic(p0, p1, p2, p3, steps=40):
    for i in range(steps + 1):
        t = i / steps
        yield tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * d
                    for a, b, c, d in zip(p0, p1, p2, p3, strict=True))


def _path_points(d: str):
    """Points along an SVG path of `edge_path` (M, C and L commands only)."""
    tokens = d.split()
    i, here = 0, None
    while i < len(tokens):
        cmd = tokens[i]
        if cmd == "M":
            here = (float(tokens[i + 1]), float(tokens[i + 2]))
            i += 3
        elif cmd == "C":
            c = [float(t) for t in tokens[i + 1:i + 7]]
            yield from _cubic(here, c[0:2], c[2:4], c[4:6])
            here = (c[4], c[5])
            i += 7
        elif cmd == "L":
            end = (float(tokens[i + 1]), float(tokens[i + 2]))
            for k in range(21):
                yield tuple(a + (b - a) * k / 20 for a, b in zip(here, end, strict=True))
            here = end
            i += 3
        else:
            raise AssertionError(f"unexpected path command {cmd!r}")


def _check_layout(uses):
    """Every property the drawing promises, on the layout of `uses`."""
    lay = layout(uses)
    nodes = list(uses)
    assert sorted(lay.boxes) == sorted(nodes)
    direct = {n: [u for u in uses[n] if u in uses] for n in nodes}
    assert lay.rank == layers(direct)  # grandalf's ranks are the longest-path layers
    boxes = list(lay.boxes.items())
    for i, (a, (xa, ya, wa, ha)) in enumerate(boxes):  # no two boxes overlap
        assert wa >= node_width(a)
        for b, (xb, yb, wb, hb) in boxes[i + 1:]:
            assert xa + wa <= xb or xb + wb <= xa or ya + ha <= yb or yb + hb <= ya, (a, b)
    drawn = {(u, v) for u, v, _ in lay.edges}
    every = {(u, n) for n in nodes for u in direct[n]}
    assert drawn <= every and len(drawn) == len(lay.edges)
    for u, v in every:  # the transitive reduction: each use drawn or implied, none drawn twice over
        assert (u, v) in drawn or _reachable(drawn, u, v), (u, v)
    for u, v in drawn:
        assert not _reachable(drawn - {(u, v)}, u, v), (u, v)
    ends: dict[tuple[str, str], list[float]] = {}
    for u, v, pts in lay.edges:
        xu, yu, wu, hu = lay.boxes[u]
        xv, yv, wv, hv = lay.boxes[v]
        assert pts[0][1] == yu + hu and xu < pts[0][0] < xu + wu       # leaves the bottom of u
        assert pts[-1][1] == yv and xv < pts[-1][0] < xv + wv          # enters the top of v
        assert len(pts) == 2 * (lay.rank[v] - lay.rank[u])             # a dummy per crossed layer
        ends.setdefault((u, "out"), []).append(pts[0][0])
        ends.setdefault((v, "in"), []).append(pts[-1][0])
        for x, y in _path_points(edge_path(pts)):                      # no edge through a box
            for node, (bx, by, bw, bh) in lay.boxes.items():
                assert not (bx + 0.5 < x < bx + bw - 0.5 and by + 0.5 < y < by + bh - 0.5), (u, v, node)
    for key, xs in ends.items():  # arrowheads (and tails) of one box are spread, never piled
        xs.sort()
        assert all(b - a >= 8 for a, b in zip(xs, xs[1:], strict=False)), (key, xs)
    return lay


def test_layout_keeps_edges_between_layers_and_off_the_boxes():
    lay = _check_layout({**USES, "thm:f": ["def:a", "lem:b", "lem:c", "thm:d", "cor:e"],
                         "lem:g": ["def:a"], "cor:h": ["lem:g", "def:a"], "def:lone": []})
    assert ("def:a", "thm:f") not in {(u, v) for u, v, _ in lay.edges}  # implied through lem:b


def test_layout_of_the_registry():
    from natsparse.proofs import registry

    _check_layout({rid: list(r.uses) for rid, r in registry.items()})


def test_graph_has_one_node_per_id_and_one_arrow_per_drawn_edge():
    svg = graph_svg(USES, STATUS, titles={"thm:d": "A <title>"}, hrefs={"lem:b": "ch.html#lem:b"})
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    nodes = re.findall(r'<g class="bp-node" data-id="([^"]+)" data-status="([^"]+)">', svg)
    assert sorted(nodes) == sorted(STATUS.items())
    arrows = re.findall(r'<path class="bp-edge" data-from="([^"]+)" data-to="([^"]+)"', svg)
    # the edge from def:x is left out (def:x has no node); none is implied by another path here
    assert sorted(arrows) == sorted((u, n) for n, us in USES.items() for u in us if u != "def:x")
    assert svg.count('class="bp-link"') == 1 and 'href="ch.html#lem:b"' in svg
    assert "<title>thm:d: A &lt;title&gt; [encoded]</title>" in svg
    # the legend shows every status with exactly the box of a node of that status
    rect = r'data-status="([^"]+)"><title>.*?</title>(<rect [^>]*>)'
    boxes = dict(re.findall(r'data-id="[^"]+" ' + rect, svg))
    legend = dict(re.findall(r'class="bp-legend" ' + rect, svg))
    assert sorted(legend) == sorted(STATUSES)
    style = re.compile(r'(fill|stroke|stroke-width|stroke-dasharray|rx)="([^"]+)"')
    for st, rect in boxes.items():
        assert dict(style.findall(rect)) == dict(style.findall(legend[st])), st
    for st in STATUSES:
        assert f">{st}</text>" in svg and STATUS_TABLE[st].fill in legend[st]
        assert STATUS_TABLE[st].stroke in legend[st]


def test_graph_rejects_unknown_or_missing_statuses():
    with pytest.raises(ValueError, match=r"unknown status\(es\) \['certified'\]"):
        graph_svg(USES, {**STATUS, "thm:d": "certified"})
    with pytest.raises(ValueError, match=r"statuses missing for \['cor:e'\]"):
        graph_svg(USES, {k: v for k, v in STATUS.items() if k != "cor:e"})


def test_results_table_links_ids_with_a_section_and_colours_the_status():
    rows = [{"id": "lem:b", "kind": "lemma", "title": "B & co", "provenance": "companion", "status": "failed",
             "uses": "def:a"},
            {"id": "cor:e", "kind": "corollary", "title": "E", "provenance": "paper", "status": "stated",
             "uses": ""}]
    table = results_table_html(rows, {"lem:b": "ch.html#lem:b"})
    assert table.count("<tr>") == 3 and table.endswith("</tbody></table>")
    assert "<a href='ch.html#lem:b'><code>lem:b</code></a>" in table
    assert "<code>cor:e</code> <em>(no section yet)</em>" in table
    assert "B &amp; co" in table
    failed = STATUS_TABLE["failed"]
    assert f"background:{failed.fill};color:{failed.ink};border:1px solid {failed.stroke}'>failed<" in table


def test_labels_and_links_are_read_from_myst_files(tmp_path):
    (tmp_path / "ch1.md").write_text(
        "# One\n\n```{prf:lemma} Gap\n:label: lem:b\n:nonumber:\n\nText.\n```\n\n"
        ":::{prf:theorem}\n:class: x\n:label: thm:d\nText.\n:::\n\n```{prf:proof}\nNo label.\n```\n")
    # a label after a blank line is not in the option block; a .txt file is not a chapter
    (tmp_path / "ch2.md").write_text("```{prf:definition}\n\n:label: def:unseen\n```\n")
    (tmp_path / "notes.txt").write_text("```{prf:lemma}\n:label: lem:c\n```\n")
    labels = find_labels(tmp_path)
    assert labels == {"lem:b": ("ch1", "lemma"), "thm:d": ("ch1", "theorem")}
    links = hrefs_for(labels, ["lem:b", "cor:e", "thm:d"])
    assert links == {"lem:b": "ch1.html#lem:b", "thm:d": "ch1.html#thm:d"}


def test_lone_nodes_wrap_into_rows_under_the_largest_component():
    """As the registry's axioms do: a crowd of lone nodes is not drawn beside a wide graph."""
    wide = {"def:a": [], **{f"lem:a-rather-long-name-{i}": ["def:a"] for i in range(6)}}
    lone = {f"ax:lone-{i:02d}": [] for i in range(30)}
    lay = _check_layout({**wide, **lone})
    graph_right = max(lay.boxes[n][0] + lay.boxes[n][2] for n in wide)
    graph_bottom = max(lay.boxes[n][1] + lay.boxes[n][3] for n in wide)
    assert lay.width <= graph_right + 12 + 1                   # no wider than the graph and its margin
    assert all(lay.boxes[n][1] > graph_bottom for n in lone)
    assert len({lay.boxes[n][1] for n in lone}) > 1           # more than one row of them
