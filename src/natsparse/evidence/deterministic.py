"""Evidence for the deterministic results: SymPy proofs, seeded mpmath panels, arb certificates.

- `proved` (tool kernel): the general proofs of `natsparse.proofs.general` (symbolic n and k, every
  real score vector, values in any normed space), every step made by the proof kernel and the last one
  the registry's own formula.
- `sampled` (tool mpmath): the check passes on every input of a seeded panel (edge cases
  and random rows, n up to 300, scores from 1e-3 to 1e4 in scale, ties included).
- `verified` (tool arb): on a seeded panel of random rows, arb *proves* every inequality of
  the result for each input (ball comparisons that are True only when certain): rigorous, but
  on finitely many rows. Identities are not verified this way (balls cannot prove an equality);
  SymPy does those.

Registering is cheap: the numeric layer (`numeric.checks` loads flint) is imported by the
checks when they run. The results checked are `natsparse.proofs.general.DETERMINISTIC_PROOFS`,
which are those of `natsparse.numeric.CHECKS` (a test holds the two sets equal, and a sampled
check fails if its result has no numeric check); the edge panel's size in the sampled domain
is `EDGE_ROWS`, which the sampled check compares with `numeric.panel.edge_rows()` each run.
"""

from __future__ import annotations

from natsparse.proofs import Outcome, register
from natsparse.proofs.general import DETERMINISTIC_PROOFS, PROOFS

SAMPLE_ROWS, SAMPLE_SEED = 40, 20261122
CERT_ROWS, CERT_SEED = 25, 7
EDGE_ROWS = 13  # len(natsparse.numeric.panel.edge_rows()): part of the domain, checked when it runs
#: the results with a numeric check (`natsparse.numeric.CHECKS`): those SymPy proves in general
CHECKED = DETERMINISTIC_PROOFS


def _general(result_id: str) -> None:
    proof = PROOFS[result_id]

    @register(result_id, level="proved", tool="kernel", domain=proof.scope, scope={"general": True},
              name=f"general:{result_id}")
    def _run() -> Outcome:
        return Outcome(True, proof.detail())


def _sampled(result_id: str) -> None:
    @register(result_id, level="sampled", tool="mpmath", name=f"sampled:{result_id}",
              scope={"edge_rows": EDGE_ROWS, "rows": SAMPLE_ROWS, "seed": SAMPLE_SEED, "n_max": 300,
                     "tight": True},
              domain=f"{EDGE_ROWS} edge rows + {SAMPLE_ROWS} seeded random rows (n <= 300) + the tight "
                     "panel (inputs where the bound is attained or nearly)")
    def _run() -> Outcome:
        from natsparse.numeric.checks import CHECKS
        from natsparse.numeric.panel import edge_rows, random_rows, run_panel, tight_panel
        from natsparse.numeric.records import informative

        if result_id not in CHECKS:
            return Outcome(False, f"{result_id} has no check in natsparse.numeric.CHECKS")
        if len(edge_rows()) != EDGE_ROWS:
            return Outcome(False, f"the domain states {EDGE_ROWS} edge rows, numeric.panel.edge_rows() "
                                  f"has {len(edge_rows())}: update EDGE_ROWS")
        recs = run_panel(result_id, edge_rows() + random_rows(SAMPLE_ROWS, SAMPLE_SEED),
                         SAMPLE_SEED) + tight_panel(result_id)
        bad = [r for r in recs if not r.passed]
        if bad:
            return Outcome(False, f"{len(bad)}/{len(recs)} relations failed, first: "
                                  f"{bad[0].name} at {bad[0].params}")
        counted = informative(recs)
        worst = max((r.ratio for r in counted if r.ratio == r.ratio), default=float("nan"))
        return Outcome(True, f"{len(counted)} relations held at 50 digits (worst measured/bound "
                             f"{worst:.6g}; {len(recs) - len(counted)} records with both sides below the "
                             "50-digit slack not counted)")


def _tight(rec) -> bool:
    """A tight case (equality, or equality up to e^-hundreds): both sides agree to >= 100 digits."""
    return rec.extra.get("agreeing_digits", 0) >= 100


def _certified(result_id: str) -> None:
    @register(result_id, level="verified", tool="arb", name=f"certified:{result_id}",
              scope={"rows": CERT_ROWS, "seed": CERT_SEED, "n_max": 300},
              domain=f"{CERT_ROWS} seeded random rows (seed {CERT_SEED}), n <= 300")
    def _run() -> Outcome:
        from natsparse.numeric.panel import random_rows, run_panel

        recs = [r for r in run_panel(result_id, random_rows(CERT_ROWS, CERT_SEED, ties=False),
                                     CERT_SEED) if r.relation != "eq"]
        proved = [r for r in recs if r.certified is True]
        tight = [r for r in recs if r.certified is None and _tight(r)]
        if not proved or len(proved) + len(tight) != len(recs):
            bad = next(r for r in recs if r.certified is not True and r not in tight)
            return Outcome(False, f"arb did not prove {bad.name} at {bad.params}")
        return Outcome(True, f"arb proved {len(proved)} inequalities (one per row and relation); "
                             f"{len(tight)} tight cases (sides agree to >= 100 digits) left to SymPy")


for _id in PROOFS:
    _general(_id)

_IDENTITIES = {"lem:tail-identity", "lem:output-factorization", "lem:worst-case-error"}
for _id in CHECKED:
    _sampled(_id)
    if _id not in _IDENTITIES and _id != "lem:loss-gradient":
        _certified(_id)
