"""How long the command line takes: `--help`, `list` cold and warm, `show` warm, `bound ID --help` and
`bound` evaluating, a bad input refused at parse time, as subprocesses.

With a fresh temporary NATSPARSE_CACHE_DIR (so no user cache is read or touched) it runs
`natsparse list` once cold (the first run: it runs all the evidence and fills the cache), then
times `natsparse --help`, `natsparse list` and `natsparse show thm:output-error` warm (outcomes
read from the cache), interleaved in every repeat (benchmarks/timing.py); it reports the best and
the median of the repeats against the targets (--help and a refused bad input < 1.5 s; list, show,
bound ID --help and bound warm < 3 s) and
writes benchmarks/results/cli.json. With --baseline it shows an earlier JSON's times beside.

The cache is keyed by a hash of the package's source, so an edit to the checkout while the
benchmark runs (in a shared checkout, anyone's) would turn a warm run cold. By default the
commands therefore run on a snapshot: a copy of every layer of pyproject's package-dir, laid out
as the installed package and put first on PYTHONPATH (--no-snapshot runs the checkout itself).
A warm run that still missed the cache (new outcomes appeared) is counted in `cache_misses`.

    python benchmarks/cli.py [--repeats 5] [--baseline OLD.json] [--out PATH] [--no-snapshot]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from timing import cpu_model, interleaved_times

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "cli.json"
SHOW_ID = "thm:output-error"
#: name -> (arguments, target in seconds or None, warm: repeated after the cold run)
COMMANDS = {
    "--help": (["--help"], 1.5),
    "list (cold)": (["list"], None),
    "list (warm)": (["list"], 3.0),
    f"show {SHOW_ID} (warm)": (["show", SHOW_ID], 3.0),
    "bound thm:nC-sufficient --help": (["bound", "thm:nC-sufficient", "--help"], 3.0),
    "bound lem:gap-bound (50 digits)": (["bound", "lem:gap-bound", "--n", "10", "--k", "3", "--Delta", "1.5",
                                         "--s_k1", "0.2", "--LSE", "3", "--digits", "50"], 3.0),
    "bad input: simulate --delta 2": (["simulate", "--n", "8", "--beta", "1", "--delta", "2"], 1.5),
}
#: commands that must fail with exit status 2 (bad input); every other must exit 0
EXIT_2 = {"bad input: simulate --delta 2"}


def command() -> list[str]:
    """The installed `natsparse` script beside this interpreter, else `python -m natsparse`."""
    script = Path(sys.executable).parent / "natsparse"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "natsparse"]


def snapshot(dest: Path, root: Path = ROOT) -> Path:
    """Copy `root`'s package (src/natsparse, every layer inside it) into `dest`; return `dest` (to put
    first on PYTHONPATH)."""
    shutil.copytree(root / "src" / "natsparse", dest / "natsparse", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def imported_from(env: dict) -> str:
    """The folder `natsparse.proofs` is imported from under `env` (checks that a snapshot is used)."""
    code = "import importlib.util as u; print(u.find_spec('natsparse.proofs').origin)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return str(Path(out.stdout.strip()).parent)


def timed(args: list[str], env: dict, expect: int = 0) -> float:
    """Seconds one `natsparse ARGS` subprocess takes; a command that exits otherwise than `expect`
    stops the benchmark."""
    t0 = time.perf_counter()
    out = subprocess.run([*command(), *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if out.returncode != expect:
        raise SystemExit(f"natsparse {' '.join(args)} exited {out.returncode}:\n{out.stderr[-2000:]}")
    return seconds


def run(repeats: int, use_snapshot: bool = True, root: Path = ROOT) -> tuple[list[dict], str]:
    """The rows of the report, and the folder the package was imported from."""
    with tempfile.TemporaryDirectory(prefix="natsparse-bench-") as tmp:
        cache = Path(tmp, "cache")
        env = {**os.environ, "NATSPARSE_CACHE_DIR": str(cache), "COLUMNS": "120"}
        if use_snapshot:
            src = snapshot(Path(tmp, "src"), root)
            env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [os.environ.get("PYTHONPATH")])])
        source = imported_from(env)

        def outcomes() -> int:
            return len(list(cache.glob("*.json")))

        cold = timed(COMMANDS["list (cold)"][0], env)
        filled = outcomes()
        warm = [name for name in COMMANDS if name != "list (cold)"]
        misses = dict.fromkeys(warm, 0)

        def warm_run(name: str) -> float:
            before = outcomes()
            seconds = timed(COMMANDS[name][0], env, 2 if name in EXIT_2 else 0)
            misses[name] += outcomes() > before  # new outcomes: the source changed, the run was cold
            return seconds

        times = interleaved_times([lambda n=n: warm_run(n) for n in warm], repeats, warmup=False)
    rows = [{"command": "list (cold)", "args": COMMANDS["list (cold)"][0], "best_s": cold, "median_s": cold,
             "repeats": 1, "target_s": None, "cached_outcomes": filled}]
    for name, t in zip(warm, times, strict=True):
        rows.append({"command": name, "args": COMMANDS[name][0], "best_s": min(t),
                     "median_s": statistics.median(t), "repeats": repeats, "target_s": COMMANDS[name][1],
                     "cache_misses": misses[name]})
    for r in rows:
        r["met"] = None if r["target_s"] is None else r["best_s"] < r["target_s"]
    return rows, source


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5, help="repeats of the warm commands (default 5)")
    p.add_argument("--baseline", type=Path, help="an earlier cli.json to show beside this run")
    p.add_argument("--out", type=Path, default=OUT, help=f"where to write the JSON (default {OUT})")
    p.add_argument("--snapshot", action=argparse.BooleanOptionalAction, default=True,
                   help="run on a frozen copy of the source (default on; see above)")
    p.add_argument("--root", type=Path, default=ROOT,
                   help="the source tree to snapshot (default: this checkout; e.g. an older version's)")
    args = p.parse_args()
    rows, source = run(args.repeats, args.snapshot, args.root)
    before = {}
    if args.baseline:
        before = {r["command"]: r for r in json.loads(args.baseline.read_text())["rows"]}
    table = Table(title=f"natsparse command line, subprocess wall time (best of {args.repeats}, interleaved; "
                        "cold: one run)")
    cols = ["command", *(["before best (s)"] if before else []), "best (s)", "median (s)", "target (s)",
            "met", "cache misses"]
    for col in cols:
        table.add_column(col, justify="left" if col == "command" else "right")
    for r in rows:
        old = [f"{before[r['command']]['best_s']:.2f}" if r["command"] in before else "-"] if before else []
        table.add_row(r["command"], *old, f"{r['best_s']:.2f}", f"{r['median_s']:.2f}",
                      "-" if r["target_s"] is None else f"< {r['target_s']:g}",
                      {None: "-", True: "yes", False: "[red]NO"}[r["met"]], str(r.get("cache_misses", "-")))
    Console(highlight=False, width=120).print(table)
    print(f"package imported from {source}" + (" (a snapshot of the checkout)" if args.snapshot else ""))
    record = {"benchmark": "cli", "device": cpu_model(), "cores": os.cpu_count(),
              "python": platform.python_version(), "command": " ".join(Path(c).name for c in command()),
              "snapshot": args.snapshot, "rows": rows}
    if before:
        record["baseline"] = {"file": str(args.baseline), "rows": list(before.values())}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
