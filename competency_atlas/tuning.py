"""Adapting the sentence encoder to the atlas' own language: `atlas-match atlas tune-model`.

The shipped model (all-MiniLM-L6-v2) knows general English; it has never seen most Dutch
occupation names nor ESCO's way of naming skills. ESCO itself says which texts mean the same
thing, so the model can learn that without any labelled benchmark data:
- an occupation's alternative label and its preferred label (English and Dutch);
- an occupation's Dutch and English preferred labels (so a Dutch title lands near its concept);
- a skill's alternative labels and description and its preferred label.
Training is contrastive (multiple-negatives ranking: in a batch, every other pair's positive is
a negative), plain PyTorch over the sentence-transformers model, on CPU. Only ESCO is read:
never O*NET titles, the crosswalk or a benchmark file, so the benchmarks stay held out.

The pairs are a pure function of the ESCO frames; `tune` is the adapter that trains and saves
a model folder, which `ATLAS_EMBEDDING_MODEL` can then name. Training needs PyTorch and
sentence-transformers, the optional `[train]` extra (`pip install -e '.[train]'`); they are
imported only inside `tune`, and the atlas itself encodes without them (embeddings.py).
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from competency_atlas.embeddings import ModelNotFound


class TrainingExtraMissing(ModelNotFound):
    """sentence-transformers / torch are absent: the `[train]` extra is not installed."""


def require_training_extra() -> None:
    import importlib.util

    missing = [m for m in ("torch", "sentence_transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise TrainingExtraMissing(
            f"training needs the optional [train] extra ({', '.join(missing)} not installed): "
            "run .venv/bin/pip install -e '.[train]'")


@dataclass(frozen=True)
class Pair:
    anchor: str     # a text a user, a vacancy or an instrument might write
    positive: str   # the atlas' name for the same concept
    concept: str    # URI: two pairs of one concept never share a batch (no false negatives)
    kind: str


def occupation_pairs(occupations: pd.DataFrame, lang: str) -> list[Pair]:
    """Alternative label → preferred label, for every occupation of one language's frame."""
    return [Pair(alt, preferred, uri, f"occupation_alt_{lang}")
            for uri, preferred, alternatives in zip(occupations["uri"], occupations["preferred"],
                                                    occupations["alternatives"])
            for alt in alternatives if alt and alt.casefold() != preferred.casefold()]


def cross_lingual_pairs(english: pd.DataFrame, dutch: pd.DataFrame) -> list[Pair]:
    """Dutch preferred label → English preferred label of the same occupation."""
    en = dict(zip(english["uri"], english["preferred"]))
    return [Pair(nl, en[uri], uri, "occupation_nl_en") for uri, nl in zip(dutch["uri"], dutch["preferred"])
            if uri in en and nl.casefold() != en[uri].casefold()]


def skill_pairs(skills: Sequence[tuple[str, str, str]]) -> list[Pair]:
    """(uri, preferred label, text) → the text without its leading label → the label.

    ESCO's skill text is the label, its alternatives and its description run together: a
    paraphrase-rich sentence about the skill, much like a vacancy sentence.
    """
    out = []
    for uri, label, text in skills:
        rest = text[len(label):].strip() if text.startswith(label) else text
        if rest:
            out.append(Pair(rest, label, uri, "skill_text"))
    return out


def esco_pairs(data_dir: Path) -> list[Pair]:
    """Every training pair from the ESCO files under `data_dir` (English, Dutch, skills)."""
    from competency_atlas.sources import esco, locate

    folders = locate(data_dir)
    english = esco.read_occupations(folders.esco / "occupations_en.csv")
    dutch = esco.read_occupations(folders.esco_nl / "occupations_nl.csv")
    texts = esco.read_skill_texts(folders.esco)
    skills = esco.esco_skills(texts, esco.read_occupation_skills(folders.esco), esco.read_collections(folders.esco),
                              esco.read_skill_broader(folders.esco), esco.read_skill_pillar_top(folders.esco))
    return (occupation_pairs(english, "en") + occupation_pairs(dutch, "nl") + cross_lingual_pairs(english, dutch)
            + skill_pairs(list(zip(skills["uri"], skills["label"], skills["text"]))))


def batches(pairs: Sequence[Pair], size: int, seed: int) -> Iterator[list[Pair]]:
    """Shuffled batches, endlessly, in which no concept occurs twice."""
    rng = random.Random(seed)
    while True:
        waiting = list(pairs)
        rng.shuffle(waiting)
        while waiting:
            batch, seen, skipped = [], set(), []
            taken = 0
            for pair in waiting:
                if len(batch) == size:
                    break
                taken += 1
                if pair.concept in seen:
                    skipped.append(pair)  # its concept is already in this batch: the next one
                else:
                    batch.append(pair)
                    seen.add(pair.concept)
            waiting = skipped + waiting[taken:]
            yield batch


@dataclass(frozen=True)
class TuningReport:
    model: str
    output: str
    pairs: dict
    steps: int
    batch_size: int
    learning_rate: float
    seconds: float
    first_loss: float
    last_loss: float


def tune(model_name: str, pairs: Sequence[Pair], output: Path, *, steps: int, batch_size: int = 32,
         learning_rate: float = 5e-5, max_tokens: int = 64, seed: int = 0, progress: bool = False) -> TuningReport:
    """Train `steps` batches from `model_name` and save the model folder at `output`.

    Texts are cut at `max_tokens` while training (a skill's text runs to 200 tokens; its first
    64 hold the label's paraphrases, and the cost grows with length); the saved model keeps the
    original limit.
    """
    require_training_extra()
    import torch
    from sentence_transformers import SentenceTransformer
    from tqdm import tqdm

    from competency_atlas.embeddings import resolve_model_path

    torch.manual_seed(seed)
    model = SentenceTransformer(str(resolve_model_path(model_name)), device="cpu")
    original_limit, model.max_seq_length = model.max_seq_length, min(model.max_seq_length, max_tokens)
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    losses: list[float] = []
    started = time.perf_counter()
    stream = batches(pairs, batch_size, seed)
    for _ in tqdm(range(steps), disable=not progress, desc="tuning", unit=" batches"):
        batch = next(stream)
        loss = _ranking_loss(model, [p.anchor for p in batch], [p.positive for p in batch])
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    model.max_seq_length = original_limit
    output.mkdir(parents=True, exist_ok=True)
    model.save(str(output))
    kinds: dict[str, int] = {}
    for pair in pairs:
        kinds[pair.kind] = kinds.get(pair.kind, 0) + 1
    window = max(1, min(50, steps // 5))
    report = TuningReport(model_name, str(output), kinds, steps, batch_size, learning_rate,
                          round(time.perf_counter() - started, 1), round(sum(losses[:window]) / window, 4),
                          round(sum(losses[-window:]) / window, 4))
    (output / "atlas_tuning.json").write_text(json.dumps(asdict(report), indent=2))
    return report


SCALE = 20.0  # similarity scale of the ranking loss (sentence-transformers' default)


def _ranking_loss(model, anchors: list[str], positives: list[str]):
    import torch

    a = _embed(model, anchors)
    p = _embed(model, positives)
    scores = SCALE * a @ p.T
    return torch.nn.functional.cross_entropy(scores, torch.arange(len(anchors)))


def _embed(model, texts: list[str]):
    import torch

    features = model.preprocess(texts)
    features = {k: v for k, v in features.items() if isinstance(v, torch.Tensor)}
    return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
