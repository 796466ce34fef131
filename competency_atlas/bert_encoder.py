"""A sentence-transformers BERT model (all-MiniLM-L6-v2 and folders tuned from it) run in numpy.

No torch: the tokenizer is the model folder's `tokenizer.json` run by the `tokenizers` package, the
weights are read from `model.safetensors` with `safetensors.numpy`, and the forward pass is the
BERT encoder written out in numpy (float32 matrix products through numpy's OpenBLAS). Pooling
follows the folder's `1_Pooling/config.json` (mean over the attention mask for all-MiniLM-L6-v2),
truncation its `sentence_bert_config.json` (`max_seq_length`, 256), exactly as
sentence-transformers reads them; the vectors match sentence-transformers' to float precision
(tests/test_encoder.py). Dropout plays no part at inference; the pooler head is unused.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

# A batch is cut so that its attention scores (batch x heads x length x length floats) stay
# under this many values (~64 MB): short labels go 256 at a time, 256-token texts ~20.
_SCORE_BUDGET = 1 << 24
_TOKEN_BUDGET = 1 << 14
# Up to this many tokens in a batch (a search query, a few titles) plain numpy is used: loading the
# numba kernels from their cache costs ~0.4 s per process, more than they save on small work.
_NUMPY_TOKENS = 256


class UnsupportedModel(RuntimeError):
    pass


def _gelu_erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x * np.float32(0.7071067811865476)))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608028654) * (x + np.float32(0.044715) * x ** 3)))


_ACTIVATIONS = {"gelu": _gelu_erf, "gelu_new": _gelu_tanh, "gelu_pytorch_tanh": _gelu_tanh,
                "relu": lambda x: np.maximum(x, 0)}


def _bias_act_numpy(x: np.ndarray, bias: np.ndarray, activation: str) -> np.ndarray:
    return _ACTIVATIONS[activation](x + bias)


def _bias_residual_norm_numpy(x, bias, residual, weight, shift, eps):
    y = x + bias + residual
    mean = y.mean(axis=-1, keepdims=True)
    centred = y - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(eps)) * weight + shift


def _numba_kernels():
    """Bias + GELU and bias + residual + LayerNorm, fused in numba (already a dependency), or None.

    With scipy's erf, GELU took 31 % of the encoding time on 2,000 labels; fused, 12 % (18 % of a
    batch of short labels); fused and vectorised, 4 %. The rest is mostly the matrix products
    (~21 MFLOP per token, ~75 %), which numpy hands to OpenBLAS at about the cores' peak."""
    try:
        import math

        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        return None

    # erf(t) as the rational function XLA and Eigen use for float32 (|error| < 1e-6 on GELU's
    # output, the same order as float32 rounding); unlike math.erf it vectorises.
    a0, a1, a2, a3, a4, a5, a6 = (np.float32(c) for c in (
        -2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
        -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02))
    b0, b1, b2, b3, b4 = (np.float32(c) for c in (
        -1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
        -1.42647390514189e-02))
    half, one, limit, root_half = np.float32(0.5), np.float32(1.0), np.float32(4.0), np.float32(0.7071067811865476)

    # error_model="numpy": a division by zero gives inf instead of raising, so the loops carry
    # no check per element and vectorise (GELU 5.5x faster on one core); no divisor here is zero.
    @numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def bias_gelu(x, bias):  # in place: x (n, d) float32
        n, d = x.shape
        for i in range(n):
            for j in range(d):
                v = x[i, j] + bias[j]
                t = min(max(v * root_half, -limit), limit)
                t2 = t * t
                p = ((((((a0 * t2 + a1) * t2 + a2) * t2 + a3) * t2 + a4) * t2 + a5) * t2 + a6) * t
                q = (((b0 * t2 + b1) * t2 + b2) * t2 + b3) * t2 + b4
                x[i, j] = half * v * (one + p / q)
        return x

    @numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def bias_residual_norm(x, bias, residual, weight, shift, eps):  # in place: x (n, d) float32
        n, d = x.shape
        for i in range(n):
            mean = 0.0
            for j in range(d):
                v = x[i, j] + bias[j] + residual[i, j]
                x[i, j] = v
                mean += v
            mean /= d
            var = 0.0
            for j in range(d):
                c = x[i, j] - mean
                var += c * c
            inv = 1.0 / math.sqrt(var / d + eps)
            for j in range(d):
                x[i, j] = (x[i, j] - mean) * inv * weight[j] + shift[j]
        return x

    return bias_gelu, bias_residual_norm


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(eps)) * weight + bias


@dataclass
class _Layer:
    qkv_w: np.ndarray  # (hidden, 3*hidden): query, key, value side by side, transposed
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


class BertEncoder:
    """`encode(texts)` → unit float32 vectors; `encode_tokens(texts)` → also per-token vectors."""

    def __init__(self, folder: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.folder = folder
        config = _read_json(folder / "config.json")
        if config.get("model_type", "bert") != "bert":
            raise UnsupportedModel(f"{folder}: model_type {config.get('model_type')!r} (only BERT encoders are supported)")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise UnsupportedModel(f"{folder}: position_embedding_type {config['position_embedding_type']!r}")
        modules = json.loads((folder / "modules.json").read_text()) if (folder / "modules.json").exists() else []
        kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
        if any(k not in {"Transformer", "Pooling", "Normalize"} for k in kinds):
            raise UnsupportedModel(f"{folder}: modules {kinds} (Transformer, Pooling, Normalize supported)")
        pooling_dir = next((folder / m["path"] for m in modules if m.get("type", "").endswith("Pooling")),
                           folder / "1_Pooling")
        pooling = _read_json(pooling_dir / "config.json") or {"pooling_mode_mean_tokens": True}
        self.pooling = [mode for mode in ("cls_token", "max_tokens", "mean_tokens", "mean_sqrt_len_tokens")
                        if pooling.get(f"pooling_mode_{mode}")] or ["mean_tokens"]
        if pooling.get("include_prompt", True) is False or pooling.get("pooling_mode_weightedmean_tokens") \
                or pooling.get("pooling_mode_lasttoken"):
            raise UnsupportedModel(f"{folder}: pooling {pooling} not supported")

        self.hidden = int(config.get("hidden_size", 384))
        self.heads = int(config.get("num_attention_heads", 12))
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        activation = config.get("hidden_act", "gelu")
        if activation not in _ACTIVATIONS:
            raise UnsupportedModel(f"{folder}: hidden_act {activation!r}")
        self.activation = activation
        bert = _read_json(folder / "sentence_bert_config.json")
        max_positions = int(config.get("max_position_embeddings", 512))
        self.max_seq_length = min(int(bert.get("max_seq_length") or max_positions), max_positions)
        self.lower_case = bool(bert.get("do_lower_case", False))

        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.no_padding()  # padded per batch below, to the batch's longest text
        tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer = tokenizer

        weights_file = folder / "model.safetensors"
        if not weights_file.exists():
            raise UnsupportedModel(f"{folder}: no model.safetensors (a pytorch_model.bin needs torch to read)")
        w = load_file(str(weights_file))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""

        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[prefix + name], dtype=np.float32)

        self.word = get("embeddings.word_embeddings.weight")
        self.position = get("embeddings.position_embeddings.weight")
        self.token_type = get("embeddings.token_type_embeddings.weight")[0]
        self.emb_ln = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self.layers = []
        for i in range(int(config.get("num_hidden_layers", 6))):
            p = f"encoder.layer.{i}."
            self.layers.append(_Layer(
                qkv_w=np.ascontiguousarray(np.concatenate(
                    [get(p + f"attention.self.{n}.weight") for n in ("query", "key", "value")]).T),
                qkv_b=np.concatenate([get(p + f"attention.self.{n}.bias") for n in ("query", "key", "value")]),
                out_w=np.ascontiguousarray(get(p + "attention.output.dense.weight").T),
                out_b=get(p + "attention.output.dense.bias"),
                ln1_w=get(p + "attention.output.LayerNorm.weight"), ln1_b=get(p + "attention.output.LayerNorm.bias"),
                up_w=np.ascontiguousarray(get(p + "intermediate.dense.weight").T),
                up_b=get(p + "intermediate.dense.bias"),
                down_w=np.ascontiguousarray(get(p + "output.dense.weight").T), down_b=get(p + "output.dense.bias"),
                ln2_w=get(p + "output.LayerNorm.weight"), ln2_b=get(p + "output.LayerNorm.bias")))

    @property
    def dimension(self) -> int:
        return self.hidden * len(self.pooling)

    # --- tokens ---------------------------------------------------------------------------------

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        texts = [str(t).strip() for t in texts]  # sentence-transformers strips its inputs too
        if self.lower_case:
            texts = [t.lower() for t in texts]
        return [e.ids for e in self.tokenizer.encode_batch(texts, add_special_tokens=True)]

    # --- forward pass ---------------------------------------------------------------------------

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(batch, length) token ids and 0/1 mask → (batch, length, hidden) last hidden states."""
        batch, length = ids.shape
        h, heads = self.hidden, self.heads
        size = h // heads
        x = self.word[ids] + self.position[:length] + self.token_type
        x = _layer_norm(x, *self.emb_ln, self.eps).reshape(batch * length, h)
        # Padding keys get the most negative float added, as transformers does.
        bias = ((1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b
            qkv = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            q, k, v = (np.ascontiguousarray(qkv[i]) for i in range(3))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, h)
            fused = ids.size > _NUMPY_TOKENS
            x = self._add_norm(context @ layer.out_w, layer.out_b, x, layer.ln1_w, layer.ln1_b, fused)
            up = self._bias_act(x @ layer.up_w, layer.up_b, fused)
            x = self._add_norm(up @ layer.down_w, layer.down_b, x, layer.ln2_w, layer.ln2_b, fused)
        return x.reshape(batch, length, h)

    @cached_property
    def _kernels(self) -> tuple | None:
        return _numba_kernels()  # imported and loaded on the first large batch only

    def _bias_act(self, x: np.ndarray, bias: np.ndarray, fused: bool) -> np.ndarray:
        if fused and self.activation == "gelu" and self._kernels is not None:
            return self._kernels[0](x, bias)
        return _bias_act_numpy(x, bias, self.activation)

    def _add_norm(self, x, bias, residual, weight, shift, fused: bool) -> np.ndarray:
        """LayerNorm(x + bias + residual); x is a fresh product and may be overwritten."""
        if fused and self._kernels is not None:
            return self._kernels[1](x, bias, residual, weight, shift, self.eps)
        return _bias_residual_norm_numpy(x, bias, residual, weight, shift, self.eps)

    def _pool(self, states: np.ndarray, mask: np.ndarray) -> np.ndarray:
        m = mask[:, :, None]
        parts = []
        for mode in self.pooling:
            if mode == "cls_token":
                parts.append(states[:, 0])
            elif mode == "max_tokens":
                parts.append(np.where(m > 0, states, np.float32(-1e9)).max(axis=1))
            else:
                total = (states * m).sum(axis=1)
                count = np.maximum(m.sum(axis=1), np.float32(1e-9))
                parts.append(total / (count if mode == "mean_tokens" else np.sqrt(count)))
        return np.concatenate(parts, axis=1)

    def _batches(self, lengths: list[int], batch_size: int):
        """Index lists of texts of similar length (longest first), within the memory budgets."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        start = 0
        while start < len(order):
            longest = lengths[order[start]]
            fit = min(batch_size, max(1, _TOKEN_BUDGET // longest),
                      max(1, _SCORE_BUDGET // (self.heads * longest * longest)))
            yield order[start:start + fit]
            start += fit

    def _run(self, texts: list[str], batch_size: int, tokens: bool):
        encoded = self.tokenize(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        token_vectors: list[np.ndarray | None] = [None] * len(texts) if tokens else []
        for chunk in self._batches([len(e) for e in encoded], batch_size):
            length = max(len(encoded[i]) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                ids[row, :len(encoded[i])] = encoded[i]
                mask[row, :len(encoded[i])] = 1.0
            states = self._forward(ids, mask)
            vectors[chunk] = self._pool(states, mask)
            if tokens:
                for row, i in enumerate(chunk):
                    token_vectors[i] = np.array(states[row, :len(encoded[i])])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors /= np.maximum(norms, np.float32(1e-12))
        return vectors, token_vectors

    def encode(self, texts: list[str], batch_size: int = 256) -> np.ndarray:
        """(len(texts), dimension) float32, each row of unit length."""
        return self._run(list(texts), batch_size, tokens=False)[0]

    def encode_tokens(self, texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit sentence vectors, and per text its last hidden states ([CLS] … [SEP], no padding)."""
        return self._run(list(texts), batch_size, tokens=True)
