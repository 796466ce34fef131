"""The in-memory ESCO skill label space that requirement extraction ranks against.

A `SkillIndex` holds, per skill, its URI, preferred label, a richer text (label + alternative
labels + description, as ESCO 1.2.0 publishes them in `skills_uri_text.csv`) and two unit
vectors: one of the label alone and one of the richer text. Embeddings are cached per text and
model under `settings().work_dir/skill-index/` (`competency_atlas.embedding_cache`; a folder of
their own, so that the occupation look-up reads only its own labels' vectors), so a second start
costs a file read instead of minutes of encoding.

The index is built either from the ESCO files (production) or from a plain list of labels (the
skill-extraction benchmark uses ESCO 1.1.0 preferred labels; each is enriched with the 1.2.0
text of the skill with exactly that preferred label, where one exists).
"""
from __future__ import annotations

import csv
import glob
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from competency_atlas.embedding_cache import cached_encode_in
from competency_atlas.embeddings import encode


@dataclass(frozen=True)
class SkillEntry:
    uri: str
    label: str
    text: str  # label + alternative labels + description (or the label when nothing else is known)


@dataclass(frozen=True)
class SkillIndex:
    entries: tuple[SkillEntry, ...]
    label_vectors: np.ndarray  # (n, d) unit rows, the preferred label embedded alone
    text_vectors: np.ndarray  # (n, d) unit rows, label + alt labels + description

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.entries]


class SkillDataError(ValueError):
    pass


# --- reading the ESCO files ----------------------------------------------------------------

def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise SkillDataError(f"{path}: file not found (ESCO skill data; see shared/data/README.md)")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def esco_preferred_labels(esco_dir: Path) -> dict[str, str]:
    """Skill URI → preferred label, from the files that carry labels separately.

    `skills_uri_text.csv` joins label, alternative labels and description with spaces, so the
    preferred label cannot be cut out of it reliably; the occupation–skill relations and the
    skill collections name it on its own.
    """
    labels: dict[str, str] = {}
    for row in _read_csv(esco_dir / "occupationSkillRelations_reconstructed.csv"):
        labels[row["skillUri"]] = row["skillLabel"].strip()
    for path in sorted(glob.glob(str(esco_dir / "*SkillsCollection_en.csv"))):
        for row in _read_csv(Path(path)):
            labels[row["conceptUri"]] = row["preferredLabel"].strip()
    return labels


def esco_skill_texts(esco_dir: Path) -> dict[str, str]:
    path = esco_dir / "skills_uri_text.csv"
    texts = {}
    for number, row in enumerate(_read_csv(path), start=2):
        if not row.get("id") or not row.get("description"):
            raise SkillDataError(f"{path}: row {number}: field 'id' or 'description' is empty")
        texts[row["id"]] = " ".join(row["description"].split())
    return texts


def _fallback_label(text: str) -> str:
    # Without a separately published label, the words before the description (which starts
    # with a capital letter) are label + alternatives; keep the first few as a readable label.
    words = text.split()
    head = []
    for word in words:
        if head and word[:1].isupper():
            break
        head.append(word)
    return " ".join(head[:6])


def esco_skills(data_dir: Path) -> list[SkillEntry]:
    """All ESCO 1.2.0 skills with URI, preferred label and text."""
    esco_dir = data_dir / "esco-1.2.0"
    texts = esco_skill_texts(esco_dir)
    labels = esco_preferred_labels(esco_dir)
    return [SkillEntry(uri, labels.get(uri) or _fallback_label(text), text)
            for uri, text in sorted(texts.items())]


def skills_from_labels(labels: list[str], known: list[SkillEntry]) -> list[SkillEntry]:
    """A label space given as plain labels, each enriched with the ESCO skill of that exact label.

    Matching is exact, then case-insensitive; a label without an ESCO skill keeps itself as its
    text and gets a `label:` pseudo-URI, so nothing is dropped or guessed.
    """
    exact = {e.label: e for e in known}
    folded = {e.label.casefold(): e for e in known}
    out = []
    for label in labels:
        hit = exact.get(label) or folded.get(label.casefold())
        out.append(SkillEntry(hit.uri, label, hit.text) if hit else SkillEntry(f"label:{label}", label, label))
    return out


def read_label_file(path: Path) -> list[str]:
    if not path.exists():
        raise SkillDataError(f"{path}: label file not found")
    labels = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    labels = [label for label in labels if label]
    if not labels:
        raise SkillDataError(f"{path}: no labels (expected one skill label per line)")
    return labels


# --- embedding, cached ---------------------------------------------------------------------

def cached_encode(texts: list[str], model_name: str, cache_dir: Path | None) -> np.ndarray:
    return encode(texts, model_name) if cache_dir is None else cached_encode_in(cache_dir, texts, model_name)


def build_index(entries: list[SkillEntry], model_name: str, cache_dir: Path | None,
                with_texts: bool = True) -> SkillIndex:
    """Label vectors always; text vectors only `with_texts` (they cost minutes: long texts),
    else the label vectors stand in for them."""
    if not entries:
        raise SkillDataError("empty skill label space")
    label_vectors = cached_encode([e.label for e in entries], model_name, cache_dir)
    text_vectors = (cached_encode([e.text for e in entries], model_name, cache_dir)
                    if with_texts else label_vectors)
    return SkillIndex(tuple(entries), label_vectors, text_vectors)


def default_cache_dir(work_dir: Path) -> Path:
    return work_dir / "skill-index"
