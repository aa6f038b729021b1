"""natsparse/blueprint.py on small inputs (the book build draws the whole registry): the layering of
a DAG, the SVG graph (one node per id, one arrow per `uses` edge, links, the status check), the
results table, and the labels found in MyST files."""

from __future__ import annotations

import re

import pytest

from natsparse.blueprint import find_labels, graph_svg, hrefs_for, layers, results_table_html
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


def test_graph_has_one_node_per_id_and_one_arrow_per_edge():
    svg = graph_svg(USES, STATUS, titles={"thm:d": "A <title>"}, hrefs={"lem:b": "ch.html#lem:b"}, per_row=2)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    nodes = re.findall(r'<g class="bp-node" data-id="([^"]+)" data-status="([^"]+)">', svg)
    assert sorted(nodes) == sorted(STATUS.items())
    edges = svg.split('<g class="edges">')[1].split("</g>")[0]
    assert edges.count("<path") == 5  # the edge from def:x is left out: def:x has no node
    assert svg.count('class="bp-link"') == 1 and 'href="ch.html#lem:b"' in svg
    assert "<title>thm:d: A &lt;title&gt; [encoded]</title>" in svg
    for st in STATUSES:  # the legend shows every status in the colours of the one table
        assert f">{st}</text>" in svg and STATUS_TABLE[st].fill in svg


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
