"""HTML tables and numbers for prose that the book shows: records, evidence, plain dict rows.

Each column is formatted for what it holds: integers as integers (``4096``, ``200,000``), other
numbers with a few significant digits, in scientific notation ``−1.34×10⁻⁵¹`` on one line when
they are tiny or huge (also when a chapter passes them as strings such as ``"-1.34e-51"``).
Headers written like code or TeX read as text (``cp95_upper`` → "cp95 upper", and ``e^{β²/2}``
gets a real superscript). Yes/no/undecided are plain words; only a ``no`` in a verdict column
(``passed``, ``certified``) is shown as a failure.

    >>> from natsparse.figures.tables import records_html
    >>> from natsparse.numeric.checks import check_max_weight
    >>> "tau &gt;= -a_max*k + 1" in records_html(check_max_weight([1.0, 0.0, -1.0], k=1))
    True
    >>> fmt(4096.0), fmt(-1.3412e-51), fmt(0.0001234567, 4)
    ('4096', '−1.34×10⁻⁵¹', '0.0001235')
"""

from __future__ import annotations

import html
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence

import mpmath
import torch

from natsparse.numeric.records import CheckRecord

#: Columns whose False is a failure (shown in the failure colour); elsewhere no is just "no".
VERDICTS = ("passed", "certified")
#: Text cells of one word up to this many characters never break; longer text may break anywhere.
TOKEN_CHARS = 30
#: Numbers with a decimal exponent in [FIXED_LO, FIXED_HI) are written without an exponent.
FIXED_LO, FIXED_HI = -4, 5

_NUMERIC_STRING = re.compile(r"^\s*[-+−]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")


def _as_number(value) -> mpmath.mpf | int | None:
    """`value` as an exact int or an mpf when it is a number (bools and strings are not)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, torch.Tensor):
        value = value.item() if value.numel() == 1 else None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, mpmath.mpf):
        return value
    if isinstance(value, numbers.Real):  # float, numpy floats
        return mpmath.mpf(float(value))
    return None


def fmt(x, digits: int = 3) -> str:
    """A number for prose or a table: integers below 10¹⁵ (also integral floats) as integers,
    others with `digits` significant digits, in ``m×10ᵉ`` form outside 10⁻⁴ … 10⁵.

    Accepts int, float, mpmath, numpy and 0-d torch numbers; raises TypeError for anything else.
    """
    num = _as_number(x)
    if num is None:
        raise TypeError(f"fmt: x must be a number (int, float, mpmath, numpy or 0-d torch), got {x!r}")
    if isinstance(num, mpmath.mpf) and mpmath.isfinite(num) and num == mpmath.floor(num) \
            and abs(num) < 10 ** 15:
        num = int(num)
    if isinstance(num, int) and abs(num) < 10 ** 15:
        return f"{num:,}" if abs(num) >= 10_000 else str(num)
    num = mpmath.mpf(num)  # a huge integer is written like any huge number: m×10ᵉ
    if not mpmath.isfinite(num):
        return "NaN" if mpmath.isnan(num) else ("∞" if num > 0 else "−∞")
    mantissa, _, exponent = mpmath.nstr(num, digits, min_fixed=1, max_fixed=0).partition("e")
    if FIXED_LO <= int(exponent or 0) < FIXED_HI:
        fixed = mpmath.nstr(num, digits, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)
        return fixed.removesuffix(".0").replace("-", "−")
    power = str(int(exponent)).translate(_SUPERSCRIPT)
    return f"{mantissa.removesuffix('.0').replace('-', '−')}×10{power}"


def header(name: str) -> str:
    """A column name as HTML that reads as text: ``x^{..}``/``x_{..}`` as super/subscripts,
    ``L_k``/``a_max`` (one-letter base) as a subscript, other underscores as spaces."""
    text = html.escape(name)
    text = re.sub(r"\^\{([^}]*)\}", r"<sup>\1</sup>", text)
    text = re.sub(r"_\{([^}]*)\}", r"<sub>\1</sub>", text)
    text = re.sub(r"(?<![\w])([A-Za-zα-ωΑ-Ω])_([A-Za-z0-9]+)\b", r"\1<sub>\2</sub>", text)
    return text.replace("_", " ")


#: Characters of a relation or a compound; a header never wraps next to one ("tau = 0", "error/bound").
JOINERS = "=<>≤≥≠≈~∼×·+−–-/"


_NUMBER = re.compile(r"^[-+−]?\d+(\.\d+)?$")


def _words(name: str) -> list[str]:
    """`name` split at its spaces, except those inside ``{...}`` (a TeX super- or subscript)."""
    words, current, depth = [], "", 0
    for ch in name:
        depth += (ch == "{") - (ch == "}")
        if ch.isspace() and depth <= 0:
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    return words + [current] if current else words


def header_html(name: str) -> str:
    """The ``<th>`` content of column `name`: `header`, where every relation or compound (words joined by
    or holding one of `JOINERS`, e.g. "tau = 0", "error/bound"), an identifier (``top_k``, shown "top k")
    and a number with the word it multiplies ("2 tau") is one unbreakable unit, so a narrow column wraps
    its header between words only.

    >>> header_html("rows with tau = 0")
    "rows with <span class='natsparse-nobr'>tau = 0</span>"
    >>> header_html("top_k"), header_html("error / 2 tau")
    ("<span class='natsparse-nobr'>top k</span>", "<span class='natsparse-nobr'>error / 2 tau</span>")
    >>> header_html("median tau")
    'median tau'
    """
    groups: list[list[str]] = []
    for word in _words(name):
        if groups and (groups[-1][-1][-1] in JOINERS or word[0] in JOINERS or _NUMBER.match(groups[-1][-1])):
            groups[-1].append(word)
        else:
            groups.append([word])
    out = []
    for group in groups:
        text = header(" ".join(group))
        joined = len(group) > 1 or any(ch in JOINERS + "_" for ch in group[0].strip("−-+"))
        out.append(f"<span class='natsparse-nobr'>{text}</span>" if joined else text)
    return " ".join(out)


def _cell(value, column: str, digits: int) -> str:
    """One ``<td>``: a number right-aligned on one line, a yes/no/undecided word, or text."""
    if value is None:
        return "<td class='natsparse-undecided'>undecided</td>"
    if isinstance(value, bool):
        failed = value is False and column in VERDICTS
        word = "yes" if value else "no"
        return f"<td class='{'natsparse-failed' if failed else 'natsparse-word'}'>{word}</td>"
    if _as_number(value) is None and isinstance(value, str) and _NUMERIC_STRING.match(value):
        text = value.strip().replace("−", "-")   # a number a chapter wrote out: keep its digits
        digits = max(digits, _significant(text))
        value = int(text) if text.lstrip("+-").isdigit() else mpmath.mpf(text)
    if _as_number(value) is not None:
        return f"<td class='natsparse-num'>{fmt(value, digits)}</td>"
    text = str(value)
    if len(text) <= TOKEN_CHARS and not any(c.isspace() for c in text):  # a word or an id: kept whole
        return f"<td class='natsparse-token'>{html.escape(text)}</td>"
    return f"<td>{html.escape(text)}</td>"


def _significant(text: str) -> int:
    """Significant digits written in a numeric string (so a chapter's own rounding is kept)."""
    mantissa = text.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
    return max(1, len(mantissa))


def html_table(rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None, *,
               digits: int | Mapping[str, int] = 4) -> str:
    """An HTML table of dict rows, each column formatted for what it holds (see the module).

    `digits` is the number of significant digits, for every column or per column name (4 when a
    column is not named). True/False/None read yes/no/undecided; a no in a `VERDICTS` column is
    marked as a failure.
    """
    if not rows:
        return "<p><em>(no rows)</em></p>"
    cols = list(columns or rows[0].keys())
    per_column = digits if isinstance(digits, Mapping) else {}
    default = digits if isinstance(digits, int) else 4
    cells = [[_cell(r.get(c), c, per_column.get(c, default)) for c in cols] for r in rows]
    number = "<td class='natsparse-num'>"
    numeric = [all(row[j].startswith(number) for row in cells) for j in range(len(cols))]
    head = "".join(f"<th class='natsparse-num'>{header_html(c)}</th>" if num else f"<th>{header_html(c)}</th>"
                   for c, num in zip(cols, numeric, strict=True))
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in cells)
    return f"<table class='natsparse-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def records_html(records: Iterable[CheckRecord], *, params: Sequence[str] = ()) -> str:
    """Each record as a row: the chosen parameters (e.g. ``("n", "k")``) first, then relation,
    bound, measured, margin, passed and ``certified`` (arb's verdict for that input)."""
    rows = []
    for rec in records:
        row = {p: rec.params.get(p) for p in params}
        row.update(rec.as_row())
        row.pop("id", None)
        row.update(bound=rec.bound, measured=rec.measured, margin=rec.margin)  # numbers, not strings
        rows.append(row)
    return html_table(rows, digits={"bound": 6, "measured": 6, "margin": 3})


def evidence_html(result_id: str) -> str:
    """Every piece of evidence registered for `result_id`, run now (cached per process):
    level, tool, domain, whether it passed, what it found, and the seconds it took."""
    from natsparse.evidence import all_evidence, run

    rows = []
    for ev in all_evidence(result_id):
        done = run(ev)
        rows.append({"level": ev.level, "tool": ev.tool, "domain": ev.domain,
                     "passed": done.outcome.passed, "detail": done.outcome.detail,
                     "seconds": done.seconds})
    return html_table(rows, ["level", "tool", "domain", "passed", "detail", "seconds"], digits={"seconds": 2})


def proof_steps_html(result_id: str) -> str:
    """The kernel proof of `result_id`, run now, step by step: the rule, what it cites (axioms,
    definitions, lemmas, results) and the relation it concluded; an empty string without a kernel proof."""
    from natsparse.proofs.general import PROOFS

    if result_id not in PROOFS:
        return ""
    proof = PROOFS[result_id]
    log = proof.check()
    rows = [{"step": i + 1, "rule": step.rule, "cites": ", ".join(step.cites), "conclusion": step.conclusion}
            for i, step in enumerate(log.steps)]
    head = (f"<p>Model of the row: {html.escape(proof.model)}. Scope: {html.escape(proof.scope)}. "
            f"{len(rows)} kernel steps.</p>")
    return head + html_table(rows, ["step", "rule", "cites", "conclusion"])
