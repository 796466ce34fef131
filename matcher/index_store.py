"""The compiled match index on disk: saved once per graph state, loaded memory-mapped.

Building the index from the graph takes tens of seconds at 100,000 clients; loading its arrays
from disk takes a fraction of a second, and memory-mapped arrays live in the operating system's
page cache, so every process that loads the same files (the CLI, each API worker) shares one copy
of the large arrays. A folder is named by what the index was built from — the graph's identity,
its generation counter (every write that changes what is ranked moves it), the day (confidences
are decayed to it) and the layout version — so a stale folder is never read: any change names
another folder. Folders are written to a temporary name and renamed, so a reader never sees half
of one. Small per-row arrays that live updates change in place (gates, places, hours) are copied
into memory on load; everything else stays mapped read-only.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np

from matcher.index import Clients, Columns, MatchIndex, Targets

LAYOUT = 4  # bump when the saved arrays change meaning (2: clients' travel radius, 3: inferred evidence, 4: facts)
KEEP = 3  # newest folders kept; older ones are removed after a save
_WRITABLE = {"excluded", "xyz", "hours", "education", "radius", "is_open"}  # patched in place by live updates


def folder_name(graph_id: str, generation: int, day: date) -> str:
    key = f"{LAYOUT}|{graph_id}|{generation}|{day.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


@contextmanager
def building(root: Path, name: str) -> Iterator[None]:
    """Held while one process builds the index named `name`: API workers that start together
    build it once and the others wait, then map the saved files."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save(index: MatchIndex, root: Path, name: str) -> Path:
    """Write `index` to root/name (atomically); returns the folder."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    if final.exists():
        return final
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    meta = {"competencies": index.competencies}
    for part, obj in (("clients", index.clients), ("vacancies", index.vacancies), ("occupations", index.occupations)):
        meta[part] = _save_side(obj, tmp, part)
    (tmp / "meta.json").write_text(json.dumps(meta))
    try:
        os.rename(tmp, final)
    except OSError:  # another process saved the same state first
        shutil.rmtree(tmp, ignore_errors=True)
    _prune(root, final)
    return final


def load(root: Path, name: str) -> MatchIndex | None:
    """The index saved under root/name, its large arrays memory-mapped; None when not there."""
    folder = root / name
    meta_file = folder / "meta.json"
    if not meta_file.exists():
        return None
    meta = json.loads(meta_file.read_text())
    sides = {part: _load_side(Clients if part == "clients" else Targets, folder, part, meta[part])
             for part in ("clients", "vacancies", "occupations")}
    return MatchIndex(meta["competencies"], sides["clients"], sides["vacancies"], sides["occupations"])


def _save_side(obj, folder: Path, part: str) -> dict:
    meta = {"keys": obj.keys, "arrays": [], "columns": []}
    if isinstance(obj, Clients):
        meta["free"] = obj.free
    for name, value in vars(obj).items():
        if isinstance(value, np.ndarray):
            np.save(folder / f"{part}.{name}.npy", value)
            meta["arrays"].append(name)
        elif isinstance(value, Columns):
            for field in ("indptr", "rows", "a", "b"):
                np.save(folder / f"{part}.{name}.{field}.npy", getattr(value, field))
            meta["columns"].append(name)
    return meta


def _mapped(path: Path) -> np.ndarray:
    """The file's array, memory-mapped read-only, as a plain ndarray: np.memmap's subclass hooks
    ran on every slice the kernels take (4 % of the API's CPU under load)."""
    return np.load(path, mmap_mode="r").view(np.ndarray)


def _load_side(cls, folder: Path, part: str, meta: dict):
    obj = cls.__new__(cls)  # the arrays are already compiled: skip __init__
    obj.keys = list(meta["keys"])
    obj.row = {k: i for i, k in enumerate(obj.keys) if k}
    for name in meta["arrays"]:
        mapped = _mapped(folder / f"{part}.{name}.npy")
        setattr(obj, name, np.array(mapped) if name in _WRITABLE else mapped)
    for name in meta["columns"]:
        setattr(obj, name, Columns(*(_mapped(folder / f"{part}.{name}.{f}.npy") for f in ("indptr", "rows", "a", "b"))))
    if cls is Clients:
        obj.start_live_state(list(meta["free"]))
    return obj


def _prune(root: Path, keep: Path) -> None:
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[KEEP:]:
        if old != keep:  # a process that mapped it keeps its pages: unlinked files stay readable
            shutil.rmtree(old, ignore_errors=True)
            (root / f".{old.name}.lock").unlink(missing_ok=True)
