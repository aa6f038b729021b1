"""natsparse.evidence.cache and `run`: an outcome is read back only for the same source and the same
evidence, --refresh runs again, `natsparse check` always runs afresh, the folder follows
NATSPARSE_CACHE_DIR or platformdirs, a corrupt file is a miss; and registering evidence is cheap.

A fake evidence function counts its calls, so "read from the cache" means "not called". Clearing the
in-process memo (`_RUNS`, `_FRESH`) stands for starting a new process.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

import natsparse.evidence as E
from natsparse.cli import main
from natsparse.evidence import cache
from natsparse.proofs import Evidence, EvidenceRun, Outcome
from natsparse.proofs import evidence as machinery

RID = "lem:max-weight"


def counting(passed: bool = True):
    """An evidence function that counts its calls (`fn.calls`) and says which call it was."""
    calls = []

    def fn() -> Outcome:
        calls.append(1)
        return Outcome(passed, f"fake run #{len(calls)}")

    fn.calls = calls
    return fn


def new_process() -> None:
    E._RUNS.clear()
    E._FRESH.clear()


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty cache folder and an empty in-process memo."""
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(E, "_RUNS", {})
    monkeypatch.setattr(E, "_FRESH", set())
    return tmp_path / "cache"


@pytest.fixture
def fake(fresh, monkeypatch):
    """RID's only evidence is a counting fake, and no other result has any (so the CLI is fast)."""
    E.load()  # the real registrations first: load() must not register into the patched table
    ev = Evidence(RID, "sampled", "fake", "a fake domain", counting())
    monkeypatch.setattr(machinery, "_EVIDENCE", {RID: [ev]})
    return ev


def calls(ev: Evidence) -> int:
    return len(ev.run.calls)


# --- (a) read back for the same source ------------------------------------------------------------

def test_a_cached_outcome_is_read_back_without_running(fake):
    first = E.run(fake, cache=True)
    assert calls(fake) == 1 and cache._path(fake).is_file()
    new_process()
    again = E.run(fake, cache=True)
    assert calls(fake) == 1, "the cached outcome was not read: the evidence ran again"
    assert again.outcome == first.outcome and again.seconds == pytest.approx(first.seconds)


def test_without_cache_nothing_is_read_or_written(fake, fresh):
    E.run(fake)
    new_process()
    E.run(fake)
    assert calls(fake) == 2 and not fresh.exists()


# --- (b) a new source or a new evidence key is a miss ---------------------------------------------

def test_a_changed_source_is_a_miss(fake, monkeypatch):
    E.run(fake, cache=True)
    new_process()
    with monkeypatch.context() as m:
        m.setattr(cache, "source_hash", lambda: "0" * 64)  # any edit to any module of natsparse
        assert cache.read(fake) is None
        E.run(fake, cache=True)
        assert calls(fake) == 2, "an outcome of another source was read as fresh"
    new_process()
    E.run(fake, cache=True)  # back to the first source: its outcome is still there
    assert calls(fake) == 2


@pytest.mark.parametrize("field, value", [("result_id", "lem:gap-bound"), ("level", "verified"),
                                          ("tool", "another tool"), ("domain", "another domain")])
def test_a_changed_evidence_key_is_a_miss(fake, field, value):
    E.run(fake, cache=True)
    other = dataclasses.replace(fake, **{field: value})
    assert other.key != fake.key and cache.read(other) is None
    E.run(other, cache=True)
    assert calls(fake) == 2


def test_a_stale_failure_is_never_read_as_fresh(fake, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(cache, "source_hash", lambda: "1" * 64)
        cache.write(EvidenceRun(fake, Outcome(False, "stale"), 0.0))
    assert E.run(fake, cache=True).outcome == Outcome(True, "fake run #1")


def test_the_source_hash_covers_every_layer_without_importing_it():
    layers = {name: Path(importlib.util.find_spec(name).origin).parent for name in cache.LAYERS}
    assert set(layers) == {"natsparse", "natsparse.proofs", "natsparse.numeric", "natsparse.kernels",
                           "natsparse.experiments", "natsparse.evidence"}
    assert len(set(layers.values())) == len(layers)
    assert len(cache.source_hash()) == 64


# --- (c) --refresh runs again; `check` always runs afresh ----------------------------------------

def test_list_and_show_read_the_cache_and_refresh_runs_again(fake, capsys):
    def listed() -> dict:
        assert main(["list", "--json"]) == 0
        return {r["id"]: r["status"] for r in json.loads(capsys.readouterr().out)}

    assert listed()[RID] == "sampled" and calls(fake) == 1
    new_process()
    assert listed()[RID] == "sampled" and calls(fake) == 1
    assert main(["list", "--json", "--refresh"]) == 0
    capsys.readouterr()
    assert calls(fake) == 2
    new_process()
    assert main(["show", RID]) == 0
    assert "fake run #2" in capsys.readouterr().out and calls(fake) == 2
    new_process()
    assert main(["show", RID, "--refresh"]) == 0
    assert "fake run #3" in capsys.readouterr().out and calls(fake) == 3


def test_refresh_runs_each_piece_once_per_process(fake):
    E.run(fake, cache=True)
    new_process()
    E.run(fake, cache=True, refresh=True)
    E.run(fake, cache=True, refresh=True)  # e.g. a second result that uses it
    assert calls(fake) == 2


def test_check_always_runs_afresh(fake, capsys):
    assert main(["list", "--json"]) == 0
    capsys.readouterr()
    cache.write(EvidenceRun(fake, Outcome(False, "forged in the cache"), 0.0))
    new_process()
    assert main(["list", "--json"]) == 0  # list reads the cache: it sees the forged outcome
    assert {r["id"]: r["status"] for r in json.loads(capsys.readouterr().out)}[RID] == "failed"
    assert calls(fake) == 1
    assert main(["check", RID, "--json"]) == 0  # check does not: it runs, and passes
    rows = json.loads(capsys.readouterr().out)["evidence"]  # natsparse check --json: verdicts and records
    assert calls(fake) == 2 and [r["detail"] for r in rows] == ["fake run #2"]


# --- (d) the folder ---------------------------------------------------------------------------------

def test_the_folder_is_the_environment_variable(fake, fresh):
    assert cache.folder() == fresh
    E.run(fake, cache=True)
    assert [p.parent for p in fresh.glob("*.json")] == [fresh]


@pytest.mark.parametrize("value", [None, ""])
def test_the_default_folder_follows_platformdirs(monkeypatch, tmp_path, value):
    if value is None:
        monkeypatch.delenv(cache.ENV, raising=False)
    else:
        monkeypatch.setenv(cache.ENV, value)
    assert cache.folder() == Path(platformdirs.user_cache_dir("natsparse")) / "evidence"
    monkeypatch.setattr(platformdirs, "user_cache_dir", lambda app: str(tmp_path / "caches" / app))
    assert cache.folder() == tmp_path / "caches" / "natsparse" / "evidence"


# --- (e) a corrupt or unreadable file is a miss, an unwritable folder is skipped ----------------------

def _stored(ev: Evidence, drop: str = "", **change) -> bytes:
    """What `cache.write` stores for `ev`, with fields changed or one dropped."""
    d = {"key": ev.key, "passed": True, "detail": "stored", "seconds": 0.5, **change}
    d.pop(drop, None)
    return json.dumps(d).encode()


@pytest.mark.parametrize("content", [
    b"", b"not json", b'{"key": ', b"\xff\xfe\x00garbage", b"[]", b"null", b"{}",
    "passed-missing", "passed-is-a-string", "detail-not-text", "seconds-not-a-number", "another-key",
])
def test_a_corrupt_file_is_a_miss_not_a_crash(fake, content):
    path = cache._path(fake)
    path.parent.mkdir(parents=True)
    assert cache.read(fake) is None  # no file
    path.write_bytes(_stored(fake))
    assert cache.read(fake).outcome == Outcome(True, "stored")  # the well-formed file is read
    bad = {"passed-missing": _stored(fake, drop="passed"),
           "passed-is-a-string": _stored(fake, passed="false"),
           "detail-not-text": _stored(fake, detail=3), "seconds-not-a-number": _stored(fake, seconds="1"),
           "another-key": _stored(fake, key="another evidence")}.get(content, content)
    path.write_bytes(bad)
    assert cache.read(fake) is None
    assert E.run(fake, cache=True).outcome == Outcome(True, "fake run #1") and calls(fake) == 1
    assert cache.read(fake).outcome == Outcome(True, "fake run #1")  # and the file is repaired


def test_an_unreadable_entry_and_an_unwritable_folder_are_skipped(fake, tmp_path, monkeypatch):
    cache._path(fake).mkdir(parents=True)  # a folder where the file should be: reading it fails
    assert cache.read(fake) is None
    assert E.run(fake, cache=True).outcome.passed and calls(fake) == 1
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(cache.ENV, str(blocker / "cache"))  # mkdir under a file fails
    new_process()
    assert E.run(fake, cache=True).outcome.passed and calls(fake) == 2


# --- registering is cheap, and registers what the numeric layer checks ------------------------------

HEAVY = ("torch", "flint", "numpy", "scipy", "transformers", "rich", "natsparse.numeric", "natsparse.kernels",
         "natsparse.experiments")


def test_registering_and_reading_the_cache_load_nothing_heavy(tmp_path):
    """`natsparse list` when warm: register every piece of evidence, hash the source, read the cache.

    SymPy takes python-flint as its ground types when it is installed (its own choice), so the
    subprocess pins SYMPY_GROUND_TYPES=python: what is left is what natsparse imports.
    """
    code = ("import sys\nfrom natsparse.evidence import cache, load\nfrom natsparse.proofs import evidence\n"
            "load()\nassert sum(cache.read(e) is None for b in evidence._EVIDENCE.values() for e in b) > 50\n"
            f"heavy = {HEAVY!r}\n"
            "print(sorted({m for m in sys.modules for h in heavy if m == h or m.startswith(h + '.')}))")
    env = {**os.environ, "SYMPY_GROUND_TYPES": "python", cache.ENV: str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"registering loaded {out.stdout.strip()}"
