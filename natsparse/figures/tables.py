"""HTML tables and numbers for prose that the book shows: records, evidence, plain dict rows.

    >>> from natsparse.figures.tables import records_html
    >>> from natsparse.numeric.checks import check_max_weight
    >>> "tau &gt;= -a_max*k + 1" in records_html(check_max_weight([1.0, 0.0, -1.0], k=1))
    True
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

import mpmath
import torch

from natsparse.numeric.records import CheckRecord


def _cell(value) -> str:
    if value is None:
        return "<span class='natsparse-undecided'>undecided</span>"
    if value is True:
        return "<span class='natsparse-yes'>yes</span>"
    if value is False:
        return "<span class='natsparse-no'>no</span>"
    return html.escape(str(value))


def html_table(rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None) -> str:
    """A plain HTML table of dict rows (True/False/None shown as yes/no/undecided)."""
    if not rows:
        return "<p><em>(no rows)</em></p>"
    cols = list(columns or rows[0].keys())
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table class='natsparse-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def records_html(records: Iterable[CheckRecord], *, params: Sequence[str] = ()) -> str:
    """`CheckRecord.as_row()` of each record as an HTML table, with the chosen parameters
    (e.g. ``("n", "k")``) as leading columns; ``certified`` is arb's verdict for that input."""
    rows = []
    for rec in records:
        row = {p: rec.params.get(p) for p in params}
        row.update(rec.as_row())
        row.pop("id", None)
        rows.append(row)
    return html_table(rows)


def evidence_html(result_id: str) -> str:
    """Every piece of evidence registered for `result_id`, run now (cached per process):
    level, tool, domain, whether it passed, what it found, and the seconds it took."""
    from natsparse.evidence import all_evidence, run

    rows = []
    for ev in all_evidence(result_id):
        done = run(ev)
        rows.append({"level": ev.level, "tool": ev.tool, "domain": ev.domain,
                     "passed": done.outcome.passed, "detail": done.outcome.detail,
                     "seconds": f"{done.seconds:.2f}"})
    return html_table(rows, ["level", "tool", "domain", "passed", "detail", "seconds"])


def fmt(x, digits: int = 3) -> str:
    """A number for prose: mpmath/torch/numpy/float shown with `digits` significant digits."""
    if isinstance(x, torch.Tensor):
        x = float(x)
    return mpmath.nstr(mpmath.mpf(x), digits) if not isinstance(x, int) else str(x)
