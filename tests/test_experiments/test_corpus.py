"""experiments/corpus.py: the pydoc text is the same on every call, and `load_corpus` splits the
bytes by position and refuses a bad val_fraction or a missing file."""

from __future__ import annotations

import pytest
import torch

from natsparse.experiments.corpus import PYDOC_SOURCE, Corpus, load_corpus, pydoc_text


def test_pydoc_text_is_deterministic_and_substantial():
    text = pydoc_text()
    assert text == pydoc_text()
    assert len(text) > 100_000 and "Boolean operations" in text


def test_default_corpus_is_the_pydoc_text_split_by_position():
    c = load_corpus()
    data = pydoc_text().encode("utf-8")
    assert isinstance(c, Corpus) and c.source == PYDOC_SOURCE
    assert c.train.dtype == c.val.dtype == torch.int64
    assert bytes(torch.cat([c.train, c.val]).to(torch.uint8).tolist()) == data
    assert len(c.train) == int(len(data) * 0.9)


def test_files_are_joined_and_split_at_val_fraction(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"abcd")
    (tmp_path / "b.txt").write_text("\u00e9fg", encoding="utf-8")
    c = load_corpus([tmp_path / "a.txt", str(tmp_path / "b.txt")], val_fraction=0.5)
    assert c.source == "files: a.txt, b.txt"
    whole = b"abcd\n\n" + "\u00e9fg".encode()
    assert c.train.tolist() == list(whole[:5]) and c.val.tolist() == list(whole[5:])


@pytest.mark.parametrize("val_fraction", [0.0, 1.0, -0.1, 1, "0.1", float("nan")])
def test_bad_val_fraction_is_refused(val_fraction):
    with pytest.raises(ValueError, match=r"val_fraction must be a float in \(0, 1\)"):
        load_corpus(val_fraction=val_fraction)


def test_missing_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="text files must exist"):
        load_corpus([tmp_path / "missing.txt"])
    with pytest.raises(ValueError, match="text files must exist"):
        load_corpus([tmp_path])  # a folder is not a text file
