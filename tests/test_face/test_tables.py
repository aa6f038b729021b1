"""natsparse/figures/tables.py: numbers formatted per column (integers as integers, tiny and huge
numbers as m×10ᵉ on one line, numbers a chapter wrote out kept to their digits), readable headers,
and yes/no/undecided shown as failures only where a no is one (a verdict column)."""

from __future__ import annotations

import re

import mpmath
import numpy as np
import pytest
import torch

from natsparse.figures.tables import fmt, header, html_table, records_html
from natsparse.numeric.checks import check_max_weight


@pytest.mark.parametrize(("value", "digits", "text"), [
    (4096, 3, "4096"), (4096.0, 3, "4096"), (np.int64(8000), 3, "8000"), (200_000, 3, "200,000"),
    (2e5, 3, "200,000"), (10 ** 30, 3, "1×10³⁰"), (-(2 ** 60), 4, "−1.153×10¹⁸"),
    (-1.3412e-51, 3, "−1.34×10⁻⁵¹"), (mpmath.mpf("3.4e-4343"), 2, "3.4×10⁻⁴³⁴³"),
    (0.000123456, 4, "0.0001235"), (123456.7, 3, "1.23×10⁵"), (0.25, 3, "0.25"),
    (torch.tensor(0.5), 3, "0.5"), (np.float32(2.5), 3, "2.5"), (1e30, 3, "1×10³⁰"),
    (-0.5, 2, "−0.5"), (float("inf"), 3, "∞"),
])
def test_fmt_writes_each_kind_of_number_for_reading(value, digits, text):
    assert fmt(value, digits) == text


def test_fmt_rejects_what_is_not_a_number():
    with pytest.raises(TypeError, match="fmt: x must be a number"):
        fmt("4096")
    with pytest.raises(TypeError, match="fmt: x must be a number"):
        fmt(True)


def test_headers_read_as_text():
    assert header("E Z = n e^{β²/2}") == "E Z = n e<sup>β²/2</sup>"
    assert header("L_k (mpmath)") == "L<sub>k</sub> (mpmath)"
    assert header("a_max") == "a<sub>max</sub>"
    assert header("cp95_upper") == "cp95 upper"
    assert header("P(x > 1)") == "P(x &gt; 1)"


def _cells(table: str) -> list[tuple[str, str]]:
    return re.findall(r"<td(?: class='([^']*)')?>(.*?)</td>", table)


def test_columns_keep_numbers_on_one_line_and_status_words_neutral():
    table = html_table([{"n": 4096, "margin": "-1.34e-51", "bound": "0.00123457", "vacuous": False,
                         "certified": None, "passed": True, "note": "[0.1, 0.2]"},
                        {"n": 2 ** 14, "margin": mpmath.mpf("2e-3"), "bound": 1.5, "vacuous": True,
                         "certified": False, "passed": False, "note": "text"}])
    first, second = _cells(table)[:7], _cells(table)[7:]
    assert first == [("natsparse-num", "4096"), ("natsparse-num", "−1.34×10⁻⁵¹"),
                     ("natsparse-num", "0.00123457"), ("natsparse-word", "no"),
                     ("natsparse-undecided", "undecided"), ("natsparse-word", "yes"), ("", "[0.1, 0.2]")]
    # a no is a failure only in a verdict column (certified, passed); vacuous: no is not
    assert second == [("natsparse-num", "16,384"), ("natsparse-num", "0.002"), ("natsparse-num", "1.5"),
                      ("natsparse-word", "yes"), ("natsparse-failed", "no"), ("natsparse-failed", "no"),
                      ("natsparse-token", "text")]  # one word: kept whole


def test_headers_of_number_columns_align_with_their_numbers():
    table = html_table([{"n": 8, "relation": "L1 = 2*tau", "margin": "-1e-51"},
                        {"n": 64, "relation": "TV = tau", "margin": None}])
    assert "<th class='natsparse-num'>n</th><th>relation</th><th>margin</th>" in table


def test_digits_per_column():
    table = html_table([{"a": 1 / 3, "b": 1 / 3}], digits={"a": 2})
    assert [text for _, text in _cells(table)] == ["0.33", "0.3333"]


def test_records_show_their_numbers_not_rounded_strings():
    recs = check_max_weight([1.0, 0.0, -1.0], k=1)
    table = records_html(recs, params=("k",))
    assert re.search(r"<th[^>]*>k</th><th>relation</th><th[^>]*>bound</th><th[^>]*>measured</th>"
                     r"<th[^>]*>margin</th>", table)
    assert "natsparse-failed" not in table  # every record passed
    assert not re.search(r"\de[-+]?\d", table) and "×10" in table  # no raw exponents
