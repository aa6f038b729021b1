"""A key/value cache that knows its row norms, so decoding pays for them once per key, not per call.

The certificate needs max_j‖k_j‖₂ and max_j‖v_j‖₂ (the finiteness check needs them too); computing
them reads all of K and V, which costs as much as the scores at decode time (one query row per head).
:class:`KVCache` holds K and V in storage of its own, computes the norms of each row when it is
appended, and hands them to ``topk_attention(..., kv_cache=cache)`` and its siblings.

Stale norms are never used. A call checks that its key and value are the cache's own views (else
it raises), and PyTorch's version counter of the storage (which every in-place write through a
view or ``detach()`` bumps): if the storage changed outside :meth:`KVCache.append`, every norm is
recomputed before it is used. Writes that bypass the version counter (``tensor.data``, a NumPy or
DLPack alias) are not seen; do not write to the cache that way.

    >>> import torch
    >>> cache = KVCache(torch.ones(1, 2, 3, 4), torch.ones(1, 2, 3, 5))
    >>> cache.append(torch.zeros(1, 2, 1, 4), torch.zeros(1, 2, 1, 5))
    >>> cache.key.shape, cache.norms(cache.key, cache.value).vmax.tolist()
    (torch.Size([1, 2, 4, 4]), [[2.2360680103302, 2.2360680103302]])
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .certificate import row_norms


class KVNorms(NamedTuple):
    """Row norms of K and V as ``natsparse.kernels.certificate.row_norms`` computes them
    (float32, float64 for float64 inputs): ``key`` and ``value`` shaped (..., Hkv, S), ``kmax`` and
    ``vmax`` their maxima over the keys, (..., Hkv)."""

    key: torch.Tensor
    value: torch.Tensor
    kmax: torch.Tensor
    vmax: torch.Tensor


def kv_norms(key: torch.Tensor, value: torch.Tensor) -> KVNorms:
    """The :class:`KVNorms` of key (..., Hkv, S, E) and value (..., Hkv, S, Ev), from scratch.

    >>> kv_norms(torch.ones(1, 2, 4), torch.ones(1, 2, 9)).kmax.tolist()
    [2.0]
    """
    kn, vn = row_norms(key), row_norms(value)
    return KVNorms(kn, vn, kn.amax(-1), vn.amax(-1))


class KVCache:
    """Keys (..., Hkv, S, E) and values (..., Hkv, S, Ev) with their row norms; ``append`` adds rows
    along S. The tensors are copied into storage that grows by doubling; ``key`` and ``value`` are
    views of its filled part (pass exactly these to the attention functions with ``kv_cache=``).
    """

    def __init__(self, key: torch.Tensor, value: torch.Tensor, capacity: int | None = None):
        if key.shape[:-1] != value.shape[:-1] or key.dim() < 2 or key.dtype != value.dtype:
            raise ValueError(f"key (..., S, E) and value (..., S, Ev) must share leading dims and dtype, got "
                             f"{tuple(key.shape)} {key.dtype} and {tuple(value.shape)} {value.dtype}")
        self._len = 0
        self._k = self._v = self._norms = None
        self._grow(key, value, max(key.shape[-2], capacity or 0))
        self._seen = self._versions()
        self.append(key, value)

    def _grow(self, key: torch.Tensor, value: torch.Tensor, capacity: int) -> None:
        """New storage for ``capacity`` rows, the filled rows and their norms copied over."""
        # Plain tensors even under torch.inference_mode: they keep a version counter.
        with torch.inference_mode(False):
            lead, n = key.shape[:-2], self._len
            k = torch.empty((*lead, capacity, key.shape[-1]), dtype=key.dtype, device=key.device)
            v = torch.empty((*lead, capacity, value.shape[-1]), dtype=value.dtype, device=value.device)
            ndt = torch.float64 if key.dtype == torch.float64 else torch.float32   # as row_norms
            kn, vn = (torch.empty((*lead, capacity), dtype=ndt, device=key.device) for _ in range(2))
            if self._k is not None:
                k[..., :n, :], v[..., :n, :] = self._k[..., :n, :], self._v[..., :n, :]
                kn[..., :n], vn[..., :n] = self._norms.key[..., :n], self._norms.value[..., :n]
            kmax, vmax = ((self._norms.kmax, self._norms.vmax) if self._norms is not None else
                          (torch.zeros(lead, dtype=ndt, device=key.device),) * 2)
        self._k, self._v, self._norms = k, v, KVNorms(kn, vn, kmax, vmax)

    def append(self, key: torch.Tensor, value: torch.Tensor) -> None:
        """Add rows key (..., Hkv, s, E) and value (..., Hkv, s, Ev); their norms are computed here."""
        s = key.shape[-2]
        if (key.shape[:-2] != self._k.shape[:-2] or key.shape[-1] != self._k.shape[-1]
                or value.shape != (*key.shape[:-1], self._v.shape[-1])):
            raise ValueError(f"append needs key (..., s, {self._k.shape[-1]}) and value (..., s, "
                             f"{self._v.shape[-1]}) with leading dims {tuple(self._k.shape[:-2])}, got "
                             f"{tuple(key.shape)} and {tuple(value.shape)}")
        self._refresh()
        if self._len + s > self._k.shape[-2]:
            self._grow(self._k, self._v, max(2 * self._k.shape[-2], self._len + s))
        a, b = self._len, self._len + s
        with torch.no_grad():
            self._k[..., a:b, :], self._v[..., a:b, :] = key, value
            new = kv_norms(self._k[..., a:b, :], self._v[..., a:b, :])
            self._norms.key[..., a:b], self._norms.value[..., a:b] = new.key, new.value
            old = self._norms
            self._norms = old._replace(kmax=torch.maximum(old.kmax, new.kmax) if a else new.kmax,
                                       vmax=torch.maximum(old.vmax, new.vmax) if a else new.vmax)
        self._len = b
        self._seen = self._versions()

    @property
    def key(self) -> torch.Tensor:
        """The cached keys, of shape (..., Hkv, S, E), as a view of the storage."""
        return self._k[..., : self._len, :]

    @property
    def value(self) -> torch.Tensor:
        """The cached values, of shape (..., Hkv, S, Ev), as a view of the storage."""
        return self._v[..., : self._len, :]

    def _versions(self) -> tuple[int, int]:
        return self._k._version, self._v._version

    def _refresh(self) -> None:
        """Recompute every norm if the storage was written outside :meth:`append`."""
        if self._versions() != self._seen:
            with torch.no_grad():
                new = kv_norms(self.key, self.value)
                self._norms.key[..., : self._len], self._norms.value[..., : self._len] = new.key, new.value
                self._norms = self._norms._replace(kmax=new.kmax, vmax=new.vmax)
            self._seen = self._versions()

    def norms(self, key: torch.Tensor, value: torch.Tensor) -> KVNorms:
        """The ``KVNorms`` of ``key`` and ``value``, which must be this cache's :attr:`key` and
        :attr:`value` (same memory, shape and strides); recomputed first if the storage was written in
        place since they were taken. Raises ValueError for any other tensors."""
        for name, given, own in (("key", key, self.key), ("value", value, self.value)):
            same = (isinstance(given, torch.Tensor) and given.data_ptr() == own.data_ptr()
                    and given.shape == own.shape and given.stride() == own.stride()
                    and given.dtype == own.dtype and given.device == own.device)
            if not same:
                raise ValueError(f"{name} must be kv_cache.{name} (the cache's own view: same memory, shape "
                                 "and strides) when kv_cache is given; pass kv_cache=None for other tensors")
        self._refresh()
        n = self._len
        return self._norms._replace(key=self._norms.key[..., :n], value=self._norms.value[..., :n])
