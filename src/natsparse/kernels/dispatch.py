"""Public entry points: validate, pick a backend, run it, certify the result.

Backends: "torch" (chunked reference, any device, the only one with autograd), "triton" (fused
kernel, CUDA tensors), "triton-interpret" (the same kernel through the Triton interpreter, CPU
tensors; slow, for tests; float16/bfloat16 are upcast to float32 there, since the interpreter's
``tl.dot`` computes bfloat16 wrongly), "auto" (Triton for CUDA tensors of float16/bfloat16/float32
that need no gradient, else torch).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import validate
from .cache import KVCache, KVNorms, kv_norms
from .certificate import RowNumbers, Terms, certificate_terms, raise_norm, row_norms, unit_roundoff
from .reference import attention_reference
from .selection import selection
from .stats import AttentionStats

BACKENDS = ("auto", "torch", "triton", "triton-interpret")


def resolve_backend(backend: object, q: torch.Tensor, needs_grad: bool = False) -> str:
    """The backend that runs for ``backend`` on tensors like q ("auto" resolved).

    >>> x = torch.zeros(1, 1, 2, 2)
    >>> resolve_backend("auto", x)  # CPU tensors: the chunked reference
    'torch'
    >>> resolve_backend("triton", x)
    Traceback (most recent call last):
    ...
    ValueError: backend='triton' needs CUDA tensors, got device cpu
    """
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    triton_ok = q.dtype != torch.float64
    if backend == "auto":
        return "triton" if q.is_cuda and triton_ok and not needs_grad else "torch"
    if backend == "triton" and not q.is_cuda:
        raise ValueError(f"backend='triton' needs CUDA tensors, got device {q.device}")
    if backend == "triton-interpret" and q.device.type != "cpu":
        raise ValueError(f"backend='triton-interpret' needs CPU tensors, got device {q.device}")
    if backend.startswith("triton") and not triton_ok:
        raise TypeError(
            f"backend={backend!r} needs float16, bfloat16 or float32 tensors, got {q.dtype}"
        )
    if backend.startswith("triton") and needs_grad:
        raise RuntimeError(
            f"backend={backend!r} is forward-only and an input requires grad; use backend='torch' "
            "(it supports backward) or run under torch.no_grad()"
        )
    return backend


def _matmul_roundoff(q: torch.Tensor, name: str) -> float:
    """Unit roundoff of the score matmul: float64, or float32 unless PyTorch may use TF32/bf16 for
    its float32 matmuls (torch backend; then 2⁻¹¹ or 2⁻⁸). The compiled Triton kernel's 16-bit q·k runs
    on tensor cores, whose fp32 accumulation is reported to truncate rather than round to nearest and
    has not been measured here: its unit roundoff is taken as truncation's, 2⁻²³ (thm:certificate-rounding's
    hypothesis on u_dot). The interpreter computes in numpy's fp32, rounding to nearest: 2⁻²⁴.

    >>> _matmul_roundoff(torch.zeros(1, dtype=torch.float16), "triton") == 2.0**-23
    True
    >>> _matmul_roundoff(torch.zeros(1, dtype=torch.float16), "triton-interpret") == 2.0**-24
    True
    """
    if q.dtype == torch.float64:
        return unit_roundoff(torch.float64)
    if name == "torch":  # a float32 matmul, 16-bit inputs included (upcast, then scaled)
        if q.is_cuda and torch.backends.cuda.matmul.allow_tf32:
            return 2.0**-11
        return {"highest": 2.0**-24, "high": 2.0**-11}.get(torch.get_float32_matmul_precision(), 2.0**-8)
    if name == "triton" and q.dtype in (torch.float16, torch.bfloat16):
        return 2.0**-23             # tensor cores: products exact, fp32 accumulation may truncate
    return unit_roundoff(torch.float32)  # fp32 "ieee", rounding to nearest


def _check_counts(kept, n_vis, top_k: int | None, skip) -> None:
    """No certificate for a selection that is not what was asked: raise on any wrong kept count (rows
    in ``skip``, whose numbers are not finite, get no certificate anyway). Tensors or NumPy arrays."""
    if top_k is not None:
        bad = kept != n_vis.clip(None, top_k)
        want = f"min(top_k={top_k}, visible keys)"
    else:
        bad = (kept > n_vis) | ((kept >= 1) != (n_vis >= 1))
        want = "between 1 and the visible keys"
    bad &= ~skip
    if bool(bad.any()):
        i = _first(bad)
        raise RuntimeError(
            f"kernel fault: row {i} kept {int(kept.reshape(-1)[i])} keys of {int(n_vis.reshape(-1)[i])} "
            f"visible, expected {want}; no certificate is returned"
        )


def _first(bad) -> int:
    """The flat index of the first True of a bool tensor or array."""
    return int(torch.as_tensor(bad).reshape(-1).nonzero()[0])


def _mask_visible(attn_mask: torch.Tensor | None, is_causal: bool, rows_shape: tuple[int, ...], n: int,
                  device: torch.device) -> torch.Tensor | int:
    """Keys each query row may see by the masks alone, whatever its scores (int64, rows_shape; the int
    n without masks). A backend counts a key visible only if its score is also > −inf (NaN is not), so
    the two counts differ exactly where a score that the mask lets through came out NaN or −inf."""
    if attn_mask is not None:
        seen = attn_mask if attn_mask.dtype == torch.bool else attn_mask != -math.inf  # NaN counts
        return (seen.sum(-1) * (n // seen.shape[-1])).expand(rows_shape)   # last dim n, or 1 broadcast
    if is_causal:
        return torch.clamp(torch.arange(1, rows_shape[-1] + 1, device=device), max=n).expand(rows_shape)
    return n


def _unsound_rows(rows: RowNumbers, out_finite, seen) -> tuple[object, object]:
    """Rows whose computed numbers are outside the certificate's model (bool, like rows.n_vis; tensors
    or NumPy arrays): a visible score that came out NaN or ±inf (overflow, or a NaN/Inf input under
    check_finite=False; it would look masked, or make the row max inf or NaN) or a sum that is not
    finite (the sums are ≤ N, so their total is finite exactly when both are); and rows whose output
    is not finite."""
    total = rows.l_kept + rows.l_drop
    scores = (rows.n_vis != seen) | ~(rows.row_max < math.inf) | ~(abs(total) < math.inf)
    return scores, ~out_finite


def _refuse(bad, what: str, fix: str) -> None:
    """Raise, on one line, what went wrong on how many rows, the first, and what to do."""
    raise ValueError(f"{what} on {int(bad.sum())} row(s) (first: row {_first(bad)}): {fix}; no certificate "
                     "is returned")


def _certify(out, rows: RowNumbers, seen, qnorm, kmax, *, check_finite: bool, top_k: int | None, cdt, **cert):
    """Refuse (check_finite) or bound by inf (else) the rows outside the certificate's model, check the
    kept counts, and return each row's :class:`~natsparse.kernels.certificate.Terms` and error_bound
    (tensors). On CPU the row numbers are NumPy views: a decode step has a few dozen rows, and NumPy
    operates on them at a tenth of PyTorch's overhead per operation."""
    if out.device.type == "cpu":
        rows = RowNumbers(*(t.numpy() for t in rows))
        out_finite = torch.isfinite(out).all(-1).numpy()
        seen = seen if isinstance(seen, int) else seen.numpy()
        qnorm, kmax, xp = qnorm.numpy(), kmax.numpy(), np
    else:
        out_finite, xp = torch.isfinite(out).all(-1), torch
    bad_scores, bad_out = _unsound_rows(rows, out_finite, seen)
    bad = bad_scores | bad_out
    if check_finite and bool(bad.any()):            # the inputs are finite: this is overflow
        if bool(bad_scores.any()):
            _refuse(bad_scores, f"scores overflow {str(cdt).removeprefix('torch.')} inside the kernel",
                    "scale*query*key (+ attn_mask) leaves its range; rescale query, key, scale or attn_mask")
        _refuse(bad_out, f"the output overflows {str(out.dtype).removeprefix('torch.')}",
                "the weighted sum of value rows leaves its range; rescale value")
    _check_counts(rows.kept, rows.n_vis, top_k, skip=bad)
    with np.errstate(all="ignore"):
        terms = certificate_terms(**rows._asdict(), qnorm=raise_norm(qnorm, cert["dim"]), kmax=kmax, **cert)
        bound = terms.bound()
        bad = bad | xp.isnan(bound)                     # e.g. 0·inf from an infinite max‖v_j‖
        if bool(bad.any()):
            terms = Terms(xp.where(bad, 1.0, terms.tau_up), xp.where(bad, math.inf, terms.rho_o),
                          xp.where(bad, math.inf, terms.vmax))
            bound = terms.bound()
    if xp is np:
        terms, bound = Terms(*map(torch.from_numpy, terms)), torch.from_numpy(bound)
    return terms, bound


def _differentiable(q, k, v, mask, keep, scale):
    """Softmax over the kept set (held fixed) times v, as autograd sees it (the torch backend)."""
    B, Hq, M, _ = q.shape
    Hkv, N = k.shape[1], k.shape[2]
    s = torch.matmul(q.reshape(B, Hkv, -1, q.shape[-1]) * scale, k.transpose(-1, -2)).view(B, Hq, M, N)
    if mask is not None and mask.dtype != torch.bool:
        s = s + mask
    empty = ~keep.any(-1, keepdim=True)
    s = torch.where(keep, s, float("-inf")).masked_fill(empty, 0.0)
    w = torch.softmax(s, dim=-1) * keep
    return torch.matmul(w.reshape(B, Hkv, -1, N), v).view(B, Hq, M, v.shape[-1])


def _key_value_norms(key, value, kv_cache: KVCache | None, hkv: int, n: int) -> KVNorms:
    """Row norms of K and V shaped (B, Hkv, N) and their maxima (B, Hkv): the cache's (checked: raises
    for other tensors, recomputed after an in-place write) or computed now."""
    if kv_cache is not None and not isinstance(kv_cache, KVCache):
        raise TypeError(f"kv_cache must be None or a natsparse.kernels.KVCache, got "
                        f"{type(kv_cache).__name__}")
    kn, vn, kmax, vmax = kv_cache.norms(key, value) if kv_cache is not None else kv_norms(key, value)
    return KVNorms(kn.reshape(-1, hkv, n), vn.reshape(-1, hkv, n), kmax.reshape(-1, hkv),
                   vmax.reshape(-1, hkv))


def _run(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, *, kind, param,
         return_stats, check_finite, backend, kv_cache=None, want_terms=False):
    """Validate, run the backend, refuse or bound what it did not compute right, certify the rest."""
    enable_gqa = validate.check_flag("enable_gqa", enable_gqa)
    Hq, Hkv, M, N, D, Dv = validate.check_qkv(query, key, value, enable_gqa=enable_gqa)
    select = selection(kind, param, N)
    validate.check_dropout(dropout_p)
    scale = validate.check_scale(scale, D)
    is_causal = validate.check_flag("is_causal", is_causal)
    return_stats = validate.check_flag("return_stats", return_stats)
    mask = validate.check_mask(attn_mask, tuple(query.shape[:-1]), N, query.dtype, is_causal)
    check_finite = validate.check_flag("check_finite", check_finite)
    grad_inputs = [query, key, value] + ([attn_mask] if mask is not None else [])
    needs_grad = torch.is_grad_enabled() and any(t.requires_grad for t in grad_inputs)
    name = resolve_backend(backend, query, needs_grad)
    q, k, v = (t.reshape(-1, h, *t.shape[-2:]) for t, h in ((query, Hq), (key, Hkv), (value, Hkv)))
    mask4 = mask.reshape(-1, Hq, M, N) if mask is not None else None
    cdt = torch.float64 if query.dtype == torch.float64 else torch.float32
    scale_err = validate.check_scale_dtype(scale, cdt)
    with torch.no_grad():
        # Row norms: one pass over q, and over K and V unless the cache has them; the finiteness
        # check and the certificate share them.
        qnorm = row_norms(q)
        kv = _key_value_norms(key, value, kv_cache, Hkv, N)
        if check_finite:
            validate.check_values(query, key, value, scale, attn_mask, norms=(qnorm, kv.kmax, kv.vmax),
                                  scales_query=name == "torch")
        if name == "torch":
            out, tau, lse_all, lse_kept, rows, keep = attention_reference(
                q, k, v, mask4, scale=scale, is_causal=is_causal, select=select, vnorm=kv.value,
                vmax=kv.vmax, want_keep=needs_grad)
        else:
            from .triton_topk import attention_triton

            out, tau, lse_all, lse_kept, rows = attention_triton(
                q, k, v, mask4, scale=scale, is_causal=is_causal, select=select,
                interpret=name == "triton-interpret")
        # No certificate for numbers the kernel did not compute right: overflow, NaN or Inf in a
        # visible score, a sum or the output. Refused with check_finite, else error_bound = inf there.
        seen = _mask_visible(attn_mask, is_causal, tuple(query.shape[:-1]), N, rows.n_vis.device)
        seen = seen if isinstance(seen, int) else seen.reshape(rows.n_vis.shape)
        kmax = raise_norm(kv.kmax, D).repeat_interleave(Hq // Hkv, dim=1).unsqueeze(-1)   # (B, Hq, 1)
        terms, bound = _certify(
            out, rows, seen, qnorm, kmax, check_finite=check_finite, top_k=select.top_k, cdt=cdt, scale=scale,
            dim=D, dim_v=Dv, compute_dtype=tau.dtype, out_dtype=out.dtype,
            float_mask=mask is not None and mask.dtype != torch.bool, u_dot=_matmul_roundoff(query, name),
            scale_err=scale_err)
    if needs_grad:  # values of the certified forward, gradients of the kept-set softmax
        diff = _differentiable(q, k, v, mask4, keep, scale)
        out = out + (diff - diff.detach())
    shape = tuple(query.shape[:-1])
    out = out.reshape(*shape, Dv)
    if not return_stats:
        return out
    stats = AttentionStats(*(t.reshape(shape) for t in (tau, lse_all, lse_kept, rows.kept, bound)))
    if want_terms:
        return out, stats, type(terms)(*(t.reshape(shape) for t in terms))
    return out, stats


def certificate_terms_of(fn, query, key, value, *args, **kw):
    """``fn(query, key, value, ..., return_stats=True)`` for one of the public functions, plus the
    :class:`~natsparse.kernels.certificate.Terms` of each row's error_bound (for audits that check
    the registry's formula of thm:certificate-rounding term by term).

    >>> x = torch.ones(1, 1, 2, 2)
    >>> out, st, terms = certificate_terms_of(topk_attention, x, x, x, top_k=2)  # keeps all: τ_up = 0
    >>> bool(torch.equal(terms.bound(), st.error_bound)), terms.tau_up.tolist()
    (True, [[[0.0, 0.0]]])
    """
    kinds = {topk_attention: "top_k", threshold_attention: "eps", mass_attention: "max_tail"}
    kind = kinds[fn]
    param = kw.pop(kind)
    names = ("attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")
    sdpa = dict(zip(names, args, strict=False)) | {n: kw.pop(n) for n in names if n in kw}
    defaults = dict(attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False)
    a = defaults | sdpa
    return _run(query, key, value, a["attn_mask"], a["dropout_p"], a["is_causal"], a["scale"],
                a["enable_gqa"], kind=kind, param=param, return_stats=True,
                check_finite=kw.pop("check_finite", True), backend=kw.pop("backend", "auto"),
                want_terms=True, **kw)


def topk_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    top_k: int,
    return_stats: bool = False,
    check_finite: bool = True,
    backend: str = "auto",
    kv_cache: KVCache | None = None,
) -> torch.Tensor | tuple[torch.Tensor, AttentionStats]:
    """Top-k attention with a certificate of its error (def:topk-attention), a drop-in for SDPA.

    The arguments before ``*`` are those of ``torch.nn.functional.scaled_dot_product_attention``:
    query (..., Hq, L, E), key (..., Hkv, S, E), value (..., Hkv, S, Ev); ``attn_mask`` boolean
    (True = may attend) or additive float (−inf masks a key), broadcastable to (..., Hq, L, S);
    ``dropout_p`` must be 0; ``is_causal`` is SDPA's top-left mask (query i sees keys j ≤ i) and
    excludes ``attn_mask``; ``scale`` defaults to 1/√E; ``enable_gqa`` lets Hkv divide Hq (query head
    h reads key head h // (Hq/Hkv)). Each query keeps the ``top_k`` (1 ≤ top_k ≤ S) largest scores
    among its visible keys, ties toward the lower key index (fewer if it sees fewer), and returns the
    softmax over the kept scores times v. Masked keys are never kept nor counted in τ; a row with
    every key masked returns zeros, τ = 0, LSE = −inf (FlashAttention's convention).

    With ``return_stats=True`` returns ``(out, AttentionStats)``; ``stats.error_bound`` bounds
    ‖out − o‖₂ against the exact dense attention o of these inputs, rounding included
    (thm:certificate-rounding). The torch backend supports backward (the gradient of the softmax
    over the kept set, the set held fixed); the Triton backends raise if an input requires grad.
    NaN/Inf inputs raise ValueError unless ``check_finite=False``, and so does any overflow inside the
    kernel (a score, sum or output that is not finite; a ``scale`` beyond the compute dtype, float32 or
    float64 for float64 inputs, or subnormal there is refused always). With ``check_finite=False`` the
    rows that NaN, Inf or overflow reach get ``error_bound = inf``: nothing is certified there. Any
    strides are accepted. ``kv_cache``: a :class:`~natsparse.kernels.cache.KVCache` whose ``key`` and
    ``value`` these are, so that their row norms (which the certificate needs) are not recomputed
    on every decode step; it raises for other tensors and recomputes after an in-place write.

    Scores 2, 0, -2 and top_k=2: the key of score -2 is dropped, with its softmax mass τ.

    >>> q = torch.tensor([[[[1.0, 0.0]]]])  # (B, H, L, E) = (1, 1, 1, 2)
    >>> k = torch.tensor([[[[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0]]]])
    >>> v = torch.tensor([[[[1.0], [2.0], [3.0]]]])
    >>> out, st = topk_attention(q, k, v, top_k=2, scale=1.0, return_stats=True)
    >>> round(out.item(), 4), round(st.tail_mass.item(), 4), st.kept.item()
    (1.1192, 0.0159, 2)
    >>> dense = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=1.0)
    >>> bool(torch.linalg.vector_norm(dense - out, dim=-1) <= st.error_bound)
    True
    """
    return _run(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, kind="top_k",
                param=top_k, return_stats=return_stats, check_finite=check_finite, backend=backend,
                kv_cache=kv_cache)


def threshold_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    eps: float,
    return_stats: bool = False,
    check_finite: bool = True,
    backend: str = "auto",
    kv_cache: KVCache | None = None,
) -> torch.Tensor | tuple[torch.Tensor, AttentionStats]:
    """Threshold attention (def:threshold-attention): keep the keys with a_j ≥ eps, 0 < eps < 1.

    Same arguments and certificate as :func:`topk_attention`. The keys with the maximal score
    are always kept (the kept set is {j : a_j ≥ min(eps, max_j a_j)}), so it is never empty; by
    thm:threshold-error the discarded mass is below (#dropped)·eps.

    The weights of scores 2, 0, -2 are about 0.867, 0.117 and 0.016: eps = 0.1 drops the last.

    >>> q = torch.tensor([[[[1.0, 0.0]]]])
    >>> k = torch.tensor([[[[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0]]]])
    >>> v = torch.tensor([[[[1.0], [2.0], [3.0]]]])
    >>> out, st = threshold_attention(q, k, v, eps=0.1, scale=1.0, return_stats=True)
    >>> round(st.tail_mass.item(), 4), bool(st.tail_mass.item() < 1 * 0.1)
    (0.0159, True)
    """
    return _run(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, kind="eps",
                param=eps, return_stats=return_stats, check_finite=check_finite, backend=backend,
                kv_cache=kv_cache)


def mass_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    max_tail: float,
    return_stats: bool = False,
    check_finite: bool = True,
    backend: str = "auto",
    kv_cache: KVCache | None = None,
) -> torch.Tensor | tuple[torch.Tensor, AttentionStats]:
    """Mass-target attention (def:mass-attention): per query the smallest top-k set whose discarded
    mass is ≤ ``max_tail`` (0 ≤ max_tail < 1), ties toward the lower key index.

    Same arguments and certificate as :func:`topk_attention`; ``stats.kept`` is the per-row k. The
    selection is minimal for the scores and sums the backend computed (so τ ≤ max_tail holds for the
    computed τ; the exact tail differs by rounding, which error_bound covers).

    Weights 0.867, 0.117, 0.016: a tail of at most 0.02 keeps two keys, of at most 0.2 one.

    >>> q = torch.tensor([[[[1.0, 0.0]]]])
    >>> k = torch.tensor([[[[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0]]]])
    >>> v = torch.tensor([[[[1.0], [2.0], [3.0]]]])
    >>> [mass_attention(q, k, v, max_tail=t, scale=1.0, return_stats=True)[1].kept.item()
    ...  for t in (0.02, 0.2)]
    [2, 1]
    """
    return _run(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, kind="max_tail",
                param=max_tail, return_stats=return_stats, check_finite=check_finite, backend=backend,
                kv_cache=kv_cache)
