"""The class-data archive's bookkeeping (graph_schema/class_archive.py) on plain files; the JVM's
side (recording, mapping, a damaged archive) is in test_server.py."""
from __future__ import annotations

import os

import pytest

from graph_schema.class_archive import ClassArchive


@pytest.fixture
def java(tmp_path):
    runtime = tmp_path / "jdk"
    (runtime / "bin").mkdir(parents=True)
    (runtime / "lib").mkdir()
    (runtime / "lib" / "modules").write_bytes(b"17.0.15 image")
    (runtime / "bin" / "java").write_text("#!/bin/sh\n")
    return str(runtime / "bin" / "java")


def test_one_archive_per_runtime_and_the_same_one_again(tmp_path, java):
    first = ClassArchive.for_runtime(tmp_path, java)
    assert first == ClassArchive.for_runtime(tmp_path, java) and first.path.parent == tmp_path
    modules = tmp_path / "jdk" / "lib" / "modules"
    modules.write_bytes(b"17.0.16 image, updated")  # the runtime was updated in place
    assert ClassArchive.for_runtime(tmp_path, java) != first


def test_a_recorded_archive_is_kept_whole_and_used(tmp_path, java):
    archive = ClassArchive.for_runtime(tmp_path, java)
    assert archive.wanted() and archive.use_flags() == []
    part = archive.part()
    assert archive.record_flags(part) == [f"-XX:ArchiveClassesAtExit={part}"]
    assert part.parent == archive.path.parent and part != archive.path  # written aside, renamed when whole
    part.write_bytes(b"classes")
    assert archive.keep(part)
    assert archive.path.read_bytes() == b"classes" and not part.exists()
    assert not archive.wanted() and archive.use_flags() == [f"-XX:SharedArchiveFile={archive.path}"]
    archive.discard()
    assert archive.wanted() and archive.use_flags() == []


def test_a_runtime_that_wrote_no_archive_is_not_asked_again(tmp_path, java):
    archive = ClassArchive.for_runtime(tmp_path, java)
    assert not archive.keep(archive.part())
    assert not archive.wanted() and archive.use_flags() == []


def test_two_servers_that_recorded_at_once_leave_the_first_archive_kept(tmp_path, java):
    archive = ClassArchive.for_runtime(tmp_path, java)
    first, second = archive.part(), archive.part()
    assert first != second  # each recording server writes its own file
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    assert archive.keep(first) and archive.keep(second)
    assert archive.path.read_bytes() == b"first" and not first.exists() and not second.exists()
    assert archive.keep(first)  # a second stop of the first server finds its part already kept
    assert not archive.path.with_suffix(".unsupported").exists()


def test_jars_in_a_folder_it_may_not_write_start_without_recording(tmp_path, java, monkeypatch):
    archive = ClassArchive.for_runtime(tmp_path, java)
    monkeypatch.setattr(os, "access", lambda path, mode: not (path == archive.path.parent and mode == os.W_OK))
    assert not archive.wanted()  # as root the folder's mode cannot show it: the check is stubbed
