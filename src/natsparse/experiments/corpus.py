"""The text corpus of the experiments: the standard library's documentation, or the user's files.

`pydoc_text()` is the Python reference topics of `pydoc_data.topics` (about 465 kB), joined in
sorted key order, so every machine has the same text offline. The real-model study tokenizes it;
the condensation training reads it as bytes through `load_corpus`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

PYDOC_SOURCE = "pydoc_data.topics (Python standard library)"


def pydoc_text() -> str:
    """The pydoc topics joined in sorted key order, separated by blank lines.

    >>> "Boolean operations" in pydoc_text()
    True
    """
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


@dataclass(frozen=True)
class Corpus:
    """Byte ids of the training and validation splits, and where the text came from.

    >>> c = Corpus(train=torch.tensor([104, 105]), val=torch.tensor([33]), source="hi!")
    >>> bytes(torch.cat([c.train, c.val]).tolist())
    b'hi!'
    """

    train: torch.Tensor
    val: torch.Tensor
    source: str


def load_corpus(paths: list[str | Path] | None = None, val_fraction: float = 0.1) -> Corpus:
    """The text as bytes, split by position: the first 1 - val_fraction trains, the rest validates.

    Without paths: the standard library's `pydoc_data.topics` (the Python reference topics, about
    465 kB), topics joined in sorted order, so every machine gets the same corpus offline.

    >>> c = load_corpus()
    >>> c.source, c.train.dtype
    ('pydoc_data.topics (Python standard library)', torch.int64)
    >>> round(len(c.val) / (len(c.train) + len(c.val)), 3)
    0.1
    >>> load_corpus(val_fraction=1.0)
    Traceback (most recent call last):
    ...
    ValueError: val_fraction must be a float in (0, 1), got 1.0
    """
    if not (isinstance(val_fraction, float) and 0 < val_fraction < 1):
        raise ValueError(f"val_fraction must be a float in (0, 1), got {val_fraction!r}")
    if paths:
        parts, names = [], []
        for p in paths:
            path = Path(p)
            if not path.is_file():
                raise ValueError(f"text files must exist and be readable, got {str(p)!r}")
            parts.append(path.read_bytes())
            names.append(path.name)
        data, source = b"\n\n".join(parts), "files: " + ", ".join(names)
    else:
        data, source = pydoc_text().encode("utf-8"), PYDOC_SOURCE
    ids = torch.frombuffer(bytearray(data), dtype=torch.uint8).to(torch.int64)
    cut = int(len(ids) * (1 - val_fraction))
    return Corpus(train=ids[:cut], val=ids[cut:], source=source)
