"""The book's prose never states a status the registry does not compute (stale prose is found).

Every status word said of a result in the chapters' prose (code cells aside) is a *claim*: a status
in backticks (`` `sampled` ``, `` `fully-proved` ``), "stated only", "fully-proved", a predicate such as
"is sampled." or "stays verified", or a negated word ("not proved here", "never marks this proposition
verified or proved"); "at most `verified`" and "at least `sampled`" compare on the ladder. A claim is
said of the result ids named in its clause (a sentence, or a part of one between semicolons), or,
when it names none, of the result whose section it is in (after its ``{prf:...}`` box, before the next
box or heading). `status_problems` compares every claim with the computed status:

- `test_prose_matches_the_registry` computes the statuses with `natsparse.evidence.status` (it runs
  the evidence of the claimed results: slow on a cold cache);
- the browser test (test_book.py) compares the same claims with the statuses the built book shows
  in the blueprint's table, at no extra cost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from natsparse.proofs import STATUSES, registry

ROOT = Path(__file__).resolve().parents[2]
#: The ladder of THEORY.md, weakest first ("at most" and "at least" compare on it).
LADDER = ("stated", "encoded", "sampled", "verified", "proved", "fully-proved")
ID = r"(?:ax|cor|def|exp|lem|prop|thm):[A-Za-z0-9][A-Za-z0-9-]*"
_WORD = "|".join(sorted(map(re.escape, STATUSES), key=len, reverse=True))
_CODE_WORD = re.compile(rf"`({_WORD})`")
_PLAIN = re.compile(
    r"(?P<stated>\bstated only\b)|(?P<full>\bfully[- ]proved\b)"
    r"|\b(?:is|are|stays|remains|still|only|now)\s+(?:only\s+)?(?P<pred>stated|encoded|sampled|verified)"
    r"(?=\s*(?:[.,;:)]|$|\s+(?:only|so far|here|now)\b))"
    r"|(?P<any>\b(?:stated|encoded|sampled|verified|proved)\b)")
#: A negation up to five words before the status word, in the same phrase (no comma between).
_NEGATION = re.compile(r"\b(?:not|never|nothing|no longer)\s+(?:[\w-]+\s+){0,5}$", re.I)
_OPEN = re.compile(r"^(`{3,}|:{3,})\{(?P<name>[\w:-]+)\}")
#: Directives whose body is prose (theorem boxes, proofs, admonitions); any other is code.
_PROSE = ("prf:", "note", "admonition", "important", "warning", "attention", "caution", "tip")
_REF = re.compile(r"\{prf:ref\}`(?:[^`<]*<)?(?P<id>[^`>]+)>?`")


@dataclass(frozen=True)
class Claim:
    """`word` said of `rid` at `where` ("file.md:line"); `op` is "=", "!=", "<=" or ">="."""

    where: str
    rid: str
    word: str
    op: str
    text: str


def _paragraphs(path: Path) -> Iterable[tuple[int, str | None, str]]:
    """(first line, current result id, text) of each prose paragraph of a MyST chapter: code cells
    and code blocks left out, directive bodies (theorem statements, proofs, admonitions) kept."""
    lines = path.read_text(encoding="utf-8").splitlines()
    current: str | None = None
    para: list[str] = []
    start = 0
    i = 0
    in_front = bool(lines) and lines[0].strip() == "---"

    def flush():
        if para:
            yield start, current, " ".join(para)
        para.clear()

    while i < len(lines):
        line = lines[i].strip()
        if in_front:
            in_front = not (i > 0 and line == "---")
            i += 1
            continue
        m = _OPEN.match(line)
        if m and (m.group("name") == "code-cell" or not m.group("name").startswith(_PROSE)):
            yield from flush()
            fence = m.group(1)
            i += 1
            while i < len(lines) and not (lines[i].strip().startswith(fence[0] * len(fence))
                                          and set(lines[i].strip()) == {fence[0]}):
                i += 1
            i += 1
            continue
        if line.startswith("```") and not m:     # a plain code block, or a closing fence
            yield from flush()
            if line.strip("`"):                    # an opening ```lang: skip to its end
                i += 1
                while i < len(lines) and lines[i].strip() != "```":
                    i += 1
            i += 1
            continue
        if m:
            yield from flush()
            kind = m.group("name")
            if kind.startswith("prf:") and kind != "prf:proof":
                j = i + 1
                while j < len(lines) and lines[j].strip().startswith(":"):
                    lab = re.match(r"^:label:\s*(\S+)", lines[j].strip())
                    if lab:
                        current = lab.group(1)
                    j += 1
            i += 1
            continue
        if line.startswith("#"):
            yield from flush()
            current = None
        elif not line or line.startswith(":::") or re.match(r"^:\w+:", line):
            yield from flush()
        else:
            if not para:
                start = i + 1
            para.append(line)
        i += 1
    yield from flush()


def _clauses(text: str) -> list[str]:
    """Sentences and the parts of a sentence between semicolons, with maths and links simplified."""
    text = _REF.sub(lambda m: m.group("id"), text)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "MATH", text)
    text = re.sub(r"\b(e\.g|i\.e|cf|vs)\.", r"\1", text)
    return [c for c in re.split(r";\s+|(?<=[.!?])\s+(?=[A-Z*({`])", text) if c.strip()]


def _op(before: str, word: str) -> str:
    if _NEGATION.search(before):
        return "!="
    if re.search(r"\bat most\s*$", before):
        return "<="
    if re.search(r"\bat least\s*$", before):
        return ">="
    return "="


def claims_in(text: str, where: str, current: str | None) -> list[Claim]:
    """The status claims of one paragraph (see the module)."""
    out = []
    for clause in _clauses(text):
        ids = [i for i in dict.fromkeys(re.findall(ID, clause)) if i in registry]
        subjects = ids or ([current] if current else [])
        found: list[tuple[str, str]] = []
        for m in _CODE_WORD.finditer(clause):
            found.append((m.group(1), _op(clause[:m.start()], m.group(1))))
        plain = _CODE_WORD.sub(lambda m: " " * len(m.group(0)), clause)
        plain = re.sub(r"`[^`]*`", lambda m: " " * len(m.group(0)), plain)   # ids and code are not words
        for m in _PLAIN.finditer(plain):
            op = _op(plain[:m.start()], "")
            if m.group("stated"):
                found.append(("stated", op))
            elif m.group("full"):
                found.append(("fully-proved", op))
            elif m.group("pred"):
                found.append((m.group("pred"), op))
            elif op == "!=":                       # a bare word is a claim only when negated
                found.append((m.group("any"), op))
        text = " ".join(clause.split())
        out += [Claim(where, rid, word, op, text) for rid in subjects for word, op in found]
    return out


def status_claims(book: Path = ROOT / "book") -> list[Claim]:
    """Every status claim of the chapters' prose (api.md, the generated reference, aside)."""
    out = []
    for path in sorted(book.glob("*.md")):
        if path.name == "api.md":
            continue
        for line, current, text in _paragraphs(path):
            out += claims_in(text, f"{path.name}:{line}", current)
    return out


def holds(claim: Claim, computed: str) -> bool:
    """Whether `claim` is true of a result whose computed status is `computed`."""
    if claim.op == "!=":
        return computed not in (("proved", "fully-proved") if claim.word == "proved" else (claim.word,))
    if claim.op in ("<=", ">=") and claim.word in LADDER and computed in LADDER:
        a, b = LADDER.index(computed), LADDER.index(claim.word)
        return a <= b if claim.op == "<=" else a >= b
    return computed == claim.word


def status_problems(claims: Iterable[Claim], statuses: Mapping[str, str]) -> list[str]:
    """The claims that the computed `statuses` contradict, as "where: id is X, the prose says ..."."""
    out = []
    for c in claims:
        if c.rid in statuses and not holds(c, statuses[c.rid]):
            said = {"=": "", "!=": "not ", "<=": "at most ", ">=": "at least "}[c.op] + c.word
            out.append(f"{c.where}: {c.rid} is {statuses[c.rid]}, the prose says {said}: {c.text[:160]!r}")
    return out


# --- the extractor can find stale prose --------------------------------------------------------

def test_claims_are_found_and_attributed():
    claims = claims_in("The bounds {prf:ref}`thm:sparse-whp` and {prf:ref}`thm:error-whp` are proved by the "
                       "kernel (`proved`); Monte Carlo samples the rest (`sampled`).", "x.md:1", None)
    assert {(c.rid, c.word, c.op) for c in claims} == {("thm:sparse-whp", "proved", "="),
                                                      ("thm:error-whp", "proved", "=")}
    here = claims_in("The deterministic step is verified by arb on sampled rows; the probabilistic "
                     "statement is sampled. Nothing marks this proposition verified or proved, and "
                     "its status is at most `verified`.", "x.md:2", "prop:phase-diagram")
    assert {(c.word, c.op) for c in here} == {("sampled", "="), ("verified", "!="), ("proved", "!="),
                                              ("verified", "<=")}
    stated = claims_in("Mass-target attention ({prf:ref}`def:mass-attention`) is stated only so far.", "y",
                       None)
    assert [(c.rid, c.word) for c in stated] == [("def:mass-attention", "stated")]


def test_stale_prose_is_reported():
    claims = claims_in("the probabilistic statement is sampled.", "gaussian.md:307", "thm:sparse-whp")
    claims += claims_in("evidence, not a proof, which stays `sampled`", "a.md:3", "thm:nC-sufficient")
    problems = status_problems(claims, {"thm:sparse-whp": "fully-proved", "thm:nC-sufficient": "sampled"})
    assert problems == ["gaussian.md:307: thm:sparse-whp is fully-proved, the prose says sampled: "
                        "'the probabilistic statement is sampled.'"]
    assert holds(Claim("", "x", "proved", "!=", ""), "sampled")
    assert not holds(Claim("", "x", "proved", "!=", ""), "fully-proved")
    assert holds(Claim("", "x", "verified", "<=", ""), "sampled")


def test_the_chapters_make_status_claims():
    claims = status_claims()
    assert len(claims) >= 8, claims
    assert {"gaussian.md", "asymptotics.md"} <= {c.where.split(":")[0] for c in claims}


@pytest.mark.slow
def test_prose_matches_the_registry():
    """Every status claim of the prose against the status `natsparse.evidence.status` computes now."""
    from natsparse.evidence import status

    claims = status_claims()
    statuses = {rid: status(rid, cache=True) for rid in sorted({c.rid for c in claims})}
    problems = status_problems(claims, statuses)
    assert not problems, "stale status prose:\n" + "\n".join(problems)
