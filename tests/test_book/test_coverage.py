"""The book covers the registry (the blueprint's `checkdecls`): fast, parses the .md files only.

For every result id of `natsparse.proofs.registry` the book has a sphinx-proof directive whose
`:label:` is that id and whose kind matches the result's kind; every lemma, theorem,
proposition and corollary is followed by a `{prf:proof}`; every result is followed by a live
check code cell (before the next result); every `{prf:ref}` points to a label that exists;
every label is a registry id; and every chapter of `_toc.yml` exists.

A result that is *stated only* -- no SymPy formula (`formula is None`) and no registered
evidence, i.e. its computed status is `stated` -- has nothing proved or checked, so a proof
block would be a lie. Such a result, of any kind, is instead followed (before the next result)
by an admonition (`{note}`, `{admonition}`, `{important}`, `{warning}`, `{attention}` or
`{caution}`) whose text says "stated only" and "not yet proved or checked", then by its live
check code cell, and by no `{prf:proof}`. Conversely, no other result carries such an
admonition, so the book cannot keep calling a result stated once it is encoded or checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from natsparse.proofs import registry

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"

# registry kind -> the sphinx-proof directive the book must use for it
DIRECTIVE = {"axiom": "axiom", "definition": "definition", "lemma": "lemma", "theorem": "theorem",
             "proposition": "proposition", "corollary": "corollary", "experiment": "remark"}
NEEDS_PROOF = {"lemma", "theorem", "proposition", "corollary"}
ADMONITIONS = {"note", "admonition", "important", "warning", "attention", "caution"}
STATED_PHRASES = ("stated only", "not yet proved or checked")

OPEN = re.compile(r"^(`{3,}|:{3,})\{(?P<name>[\w:-]+)\}(?P<arg>.*)$")
REF = re.compile(r"\{prf:ref\}`(?:[^`<]*<)?(?P<target>[^`>]+)>?`")


def toc_files() -> list[Path]:
    """The chapter files named in _toc.yml (root and every `file:` entry)."""
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    names = re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)\s*$", text, flags=re.M)
    return [ROOT / (name if name.endswith(".md") else f"{name}.md") for name in names]


def blocks(path: Path) -> list[dict]:
    """Top-level fenced blocks of a MyST file, in order: {name, arg, label, line, body}."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        m = OPEN.match(lines[i].strip())
        if not m:
            i += 1
            continue
        fence = m.group(1)
        label = None
        j = i + 1
        while j < len(lines) and lines[j].strip().startswith(":") and not lines[j].strip().startswith(":::"):
            opt = re.match(r"^:label:\s*(\S+)", lines[j].strip())
            if opt:
                label = opt.group(1)
            j += 1
        # skip to the closing fence (same character, at least as long)
        body_start = j
        while j < len(lines) and not (lines[j].strip().startswith(fence[0] * len(fence))
                                      and set(lines[j].strip()) == {fence[0]}):
            j += 1
        out.append({"name": m.group("name"), "arg": m.group("arg").strip(), "label": label,
                    "line": i + 1, "body": "\n".join(lines[body_start:j])})
        i = j + 1
    return out


def stated_only(result_id: str) -> bool:
    """No formula and no registered evidence: the computed status is `stated` (nothing can fail)."""
    from natsparse.evidence import all_evidence

    return registry[result_id].formula is None and not all_evidence(result_id)


def says_stated_only(block: dict) -> bool:
    """An admonition whose title or text contains every phrase of STATED_PHRASES."""
    text = " ".join(f"{block['arg']} {block['body']}".lower().split())
    return block["name"] in ADMONITIONS and all(p in text for p in STATED_PHRASES)


def chapters() -> list[Path]:
    return [p for p in toc_files() if p.exists()]


def labelled(path: Path) -> list[tuple[int, dict]]:
    return [(i, b) for i, b in enumerate(blocks(path)) if b["name"].startswith("prf:") and b["label"]]


def all_labels() -> dict[str, tuple[Path, dict, list[dict], int]]:
    out = {}
    for path in chapters():
        bl = blocks(path)
        for i, b in enumerate(bl):
            if b["name"].startswith("prf:") and b["label"]:
                assert b["label"] not in out, f"label {b['label']} defined twice ({path.name})"
                out[b["label"]] = (path, b, bl, i)
    return out


def test_toc_chapters_exist():
    missing = [str(p.relative_to(ROOT)) for p in toc_files() if not p.exists()]
    assert not missing, f"_toc.yml names chapters that do not exist: {missing}"


def test_parser_sees_directives():
    """Guard against a parser that finds nothing (a coverage test that cannot fail)."""
    found = all_labels()
    assert "lem:gap-bound" in found and found["lem:gap-bound"][1]["name"] == "prf:lemma"
    assert len(found) >= 20


@pytest.mark.parametrize("result_id", list(registry))
def test_result_has_section_proof_and_live_check(result_id):
    r = registry[result_id]
    found = all_labels()
    assert result_id in found, f"no {{prf:{DIRECTIVE[r.kind]}}} with :label: {result_id} in the book"
    path, block, bl, i = found[result_id]
    assert block["name"] == f"prf:{DIRECTIVE[r.kind]}", (
        f"{result_id} is a {r.kind}; {path.name}:{block['line']} uses {{{block['name']}}}")
    # what follows, up to the next labelled result
    nxt = next((j for j in range(i + 1, len(bl)) if bl[j]["name"].startswith("prf:") and bl[j]["label"]),
               len(bl))
    following = bl[i + 1:nxt]
    names = [b["name"] for b in following]
    notes = [j for j, b in enumerate(following) if says_stated_only(b)]
    if stated_only(result_id):
        where = f"{result_id} ({path.name}:{block['line']}) is stated only"
        assert notes, f"{where}: no admonition saying {' / '.join(map(repr, STATED_PHRASES))} after it"
        assert "prf:proof" not in names, f"{where} but has a {{prf:proof}}"
        assert "code-cell" in names[notes[0] + 1:], f"{where}: no live check code cell after its admonition"
        return
    assert not notes, (f"{result_id} ({path.name}:{block['line']}) is not stated only (it has a formula or "
                       "evidence) but an admonition after it says it is")
    if r.kind in NEEDS_PROOF:
        assert "prf:proof" in names, f"{result_id} ({path.name}:{block['line']}) has no {{prf:proof}}"
        proof_at = names.index("prf:proof")
        assert "code-cell" in names[proof_at + 1:], (
            f"{result_id} ({path.name}:{block['line']}) has no live check code cell after its proof")
    else:
        assert "code-cell" in names, (
            f"{result_id} ({path.name}:{block['line']}) has no live check code cell after it")


def test_every_label_is_a_result():
    unknown = sorted(set(all_labels()) - set(registry))
    assert not unknown, f"book labels with no Result in the registry: {unknown}"


def test_every_prf_ref_resolves():
    labels = set(all_labels())
    dangling = []
    for path in chapters():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in REF.finditer(line):
                if m.group("target").strip() not in labels:
                    dangling.append(f"{path.name}:{n}: {m.group('target')}")
    assert not dangling, f"{{prf:ref}} to labels that do not exist: {dangling}"


def test_executable_chapters_have_a_python3_kernel():
    for path in chapters():
        text = path.read_text(encoding="utf-8")
        if "```{code-cell}" in text:
            head = text.split("---", 2)[1] if text.startswith("---") else ""
            assert "format_name: myst" in head and "name: python3" in head, (
                f"{path.name} has code cells but no jupytext MyST header with kernelspec python3")


def test_blueprint_links_agree_with_the_book():
    """natsparse.blueprint finds the same labels and pages as this test's parser."""
    from natsparse.blueprint import find_labels

    mine = {label: (path.stem, b["name"].removeprefix("prf:"))
            for label, (path, b, _, _) in all_labels().items()}
    assert find_labels(BOOK) == mine
