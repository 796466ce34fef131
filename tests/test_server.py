"""The local server's life cycle and its failure messages, on a second, private instance.

The private instance shares the session server's JARs (ATLAS_NEO4J_DIST) but has its own home
and ports, so these tests never disturb the server the rest of the suite uses.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from api.bench_api import free_port
from graph_schema.class_archive import ClassArchive
from graph_schema.db import connect
from graph_schema.server import TX_LOG_RETENTION, LocalServer, ServerError, Status
from graph_schema.settings import Settings



def _private(settings: Settings, tmp: Path) -> Settings:
    return dataclasses.replace(
        settings, neo4j_home=tmp / "neo4j", neo4j_dist_root=settings.neo4j_dist.parent,
        neo4j_bolt_port=free_port(), neo4j_http_port=free_port(), neo4j_heap="512m",
        neo4j_pagecache="128m", neo4j_start_timeout_s=120, neo4j_jvm_flags=("-XX:TieredStopAtLevel=1",))


def _own_dist(settings: Settings, tmp: Path) -> Settings:
    """A dist folder of its own on the shared JARs: its class archive starts unrecorded."""
    shared = LocalServer(settings)
    dist = tmp / "dist" / settings.neo4j_version
    dist.mkdir(parents=True)
    (dist / "lib").symlink_to(shared.lib)
    shutil.copy(shared.dist / "COMPLETE", dist / "COMPLETE")
    return dataclasses.replace(settings, neo4j_dist_root=tmp / "dist")


@pytest.fixture
def private_settings(settings: Settings, neo4j_server, tmp_path) -> Settings:
    if not settings.provisions_local_server:
        pytest.fail("server life-cycle tests need the locally provisioned server (unset NEO4J_URI)")
    return _private(settings, tmp_path)


@pytest.fixture(scope="module")
def recorded(settings: Settings, neo4j_server, tmp_path_factory) -> tuple[Settings, list[str]]:
    """The first server on JARs of its own, started and stopped gracefully: (its settings, its
    command line while it served)."""
    if not settings.provisions_local_server:
        pytest.fail("server life-cycle tests need the locally provisioned server (unset NEO4J_URI)")
    tmp = tmp_path_factory.mktemp("recorded")
    own = _own_dist(_private(settings, tmp), tmp)
    server = LocalServer(own)
    server.start()
    try:
        serving = _command_line(server)
    finally:
        server.stop()
    return own, serving


def _java_processes_for(home) -> list[str]:
    out = subprocess.run(["pgrep", "-af", "CommunityEntryPoint"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(home) in line]


def test_the_first_server_on_new_jars_records_the_class_archive_as_it_serves(recorded):
    """No second start for it: the archive is written at the graceful stop, whole or not at all."""
    own, serving = recorded
    server = LocalServer(own)
    archive = ClassArchive.for_runtime(server.dist, server.java())
    assert [arg for arg in serving if arg.startswith("-XX:ArchiveClassesAtExit=")]
    assert not [arg for arg in serving if "SharedArchiveFile" in arg]
    assert archive.path.stat().st_size > 1_000_000 and not archive.wanted()
    assert not list(server.dist.glob("*.part")) and not server.recording_file.exists()


def test_a_recording_server_that_died_leaves_no_part_and_the_next_one_records(settings, tmp_path):
    """What a server killed while it wrote the archive leaves: its note and half a part (the JVM's
    side, the flag and the archive at a graceful stop, is the test above)."""
    jars, home = tmp_path / "jars", tmp_path / "neo4j"
    jars.mkdir()
    home.mkdir()
    server = LocalServer(dataclasses.replace(settings, neo4j_home=home, neo4j_dist_root=jars))
    archive = ClassArchive(jars / "classes-test.jsa")
    server._record(archive)
    _, part = server._recording()
    part.write_bytes(b"half an archive")
    gone = subprocess.Popen(["true"])
    gone.wait()
    server.pid_file.write_text(f"{gone.pid}\n")  # a process that has ended
    assert not server.stop()  # nothing ran any more
    assert not part.exists() and not archive.path.exists() and archive.wanted()
    assert not server.records_class_archive()


def test_a_recording_note_in_a_folder_with_spaces_is_read_back_and_kept(settings, tmp_path):
    jars = tmp_path / "de jars"
    jars.mkdir()
    home = tmp_path / "mijn map" / "neo4j"
    home.mkdir(parents=True)
    server = LocalServer(dataclasses.replace(settings, neo4j_home=home, neo4j_dist_root=jars))
    archive = ClassArchive(jars / "classes-test.jsa")
    [flag] = server._record(archive)
    assert server.records_class_archive()
    noted, part = server._recording()
    assert noted == archive and flag == f"-XX:ArchiveClassesAtExit={part}"
    part.write_bytes(b"classes")  # what the JVM writes as it exits
    server._finish_recording(graceful=True)
    assert archive.path.read_bytes() == b"classes" and not part.exists() and not server.records_class_archive()


def test_start_status_stop_cycle(recorded):
    private_settings = recorded[0]
    server = LocalServer(private_settings)
    assert server.status() is Status.STOPPED
    first = server.start()
    try:
        assert not first.already_running and first.seconds > 0
        assert server.status() is Status.RUNNING
        assert server.start().already_running  # a second start is a no-op
        assert private_settings.password_file.read_text().strip() != "neo4j"
        conf = (private_settings.neo4j_home / "conf" / "neo4j.conf").read_text()
        assert f"server.bolt.listen_address=127.0.0.1:{private_settings.neo4j_bolt_port}" in conf
        assert "dbms.usage_report.enabled=false" in conf
        # The server took the bound on its transaction logs (a bulk load must not fill the disk).
        driver = connect(private_settings)
        try:
            kept = driver.execute_query("SHOW SETTINGS YIELD name, value WHERE name = $name RETURN value",
                                        name="db.tx_log.rotation.retention_policy", database_="system").records
        finally:
            driver.close()
        assert [r["value"] for r in kept] == [TX_LOG_RETENTION]
        # it maps the class-data archive the first server on these JARs recorded
        archive = ClassArchive.for_runtime(server.dist, server.java()).path
        assert archive.exists() and f"-XX:SharedArchiveFile={archive}" in _command_line(server)
        assert "-XX:TieredStopAtLevel=1" in _command_line(server)  # ATLAS_NEO4J_JVM_FLAGS reach the JVM
        used = server.cpu_seconds()
        assert used is not None and used > 0  # a JVM that started has used CPU
    finally:
        assert server.stop()
    assert server.status() is Status.STOPPED
    assert server.cpu_seconds() is None
    assert not _java_processes_for(private_settings.neo4j_home)
    assert not server.stop()  # stopping a stopped server says so


def _command_line(server: LocalServer) -> list[str]:
    return Path(f"/proc/{server.pid()}/cmdline").read_bytes().decode().split("\0")


def test_a_damaged_class_archive_is_dropped_and_the_server_starts_without_it(private_settings, recorded, tmp_path):
    """A truncated archive (a full disk, a copy cut short) makes the JVM abort; the start must not."""
    first = LocalServer(recorded[0])
    whole_archive = ClassArchive.for_runtime(first.dist, first.java()).path
    own = _own_dist(private_settings, tmp_path)
    damaged = ClassArchive.for_runtime(own.neo4j_dist, first.java()).path
    with whole_archive.open("rb") as whole:
        damaged.write_bytes(whole.read(os.path.getsize(whole_archive) // 3))
    server = LocalServer(own)
    try:
        server.start()
        assert server.status() is Status.RUNNING
        assert not damaged.exists() and not any("SharedArchiveFile" in arg for arg in _command_line(server))
        assert list(private_settings.neo4j_home.glob("logs/hs_err_pid*.log"))  # the abort's report, in logs/
    finally:
        server.stop(timeout=0)


def test_a_deleted_data_folder_starts_empty_with_the_kept_password(private_settings):
    """Deleting data/ is how a user starts over; the password file stays and must work again."""
    server = LocalServer(private_settings)
    server.start()
    server.stop(timeout=0)  # its data is deleted next: no graceful shutdown needed (the cycle test has one)
    password = private_settings.password_file.read_text()
    shutil.rmtree(private_settings.neo4j_home / "data")
    try:
        server.start()  # connects with the kept password, or raises
        assert private_settings.password_file.read_text() == password
    finally:
        server.stop(timeout=0)


def test_port_taken_is_named_and_leaves_no_process(private_settings):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", private_settings.neo4j_bolt_port))
        blocker.listen()
        with pytest.raises(ServerError, match=f"Port {private_settings.neo4j_bolt_port}.*ATLAS_NEO4J_BOLT_PORT"):
            LocalServer(private_settings).start()
    assert not _java_processes_for(private_settings.neo4j_home)


def test_missing_java_is_explained(private_settings, tmp_path):
    broken = dataclasses.replace(private_settings, java_home=tmp_path / "no-jdk")
    with pytest.raises(ServerError, match="Java was not found.*JAVA_HOME"):
        LocalServer(broken).start()


def test_unwritable_home_is_explained(private_settings, tmp_path):
    locked = tmp_path / "locked"
    locked.write_text("a file where a folder should be")
    broken = dataclasses.replace(private_settings, neo4j_home=locked / "neo4j")
    with pytest.raises(ServerError, match="Cannot create .*writable"):
        LocalServer(broken).start()


def test_unresolvable_version_is_explained(private_settings, tmp_path):
    broken = dataclasses.replace(private_settings, neo4j_version="0.0.0-does-not-exist",
                                 neo4j_dist_root=tmp_path / "dist")
    with pytest.raises(ServerError, match="Maven could not resolve Neo4j 0.0.0-does-not-exist"):
        LocalServer(broken).start()
    assert not (tmp_path / "dist" / "0.0.0-does-not-exist" / "COMPLETE").exists()


def test_a_second_process_waits_for_the_download_and_does_not_repeat_it(private_settings, tmp_path):
    """Two test workers (or `demo run` beside the tests) starting on new JARs: one downloads them,
    the other waits for it and finds them there."""
    fresh = dataclasses.replace(private_settings, neo4j_version="0.0.0-being-downloaded",
                                neo4j_dist_root=tmp_path / "dist")
    first, second = LocalServer(fresh), LocalServer(fresh)
    outcome: list[object] = []

    def install() -> None:
        try:
            outcome.append(second.install())
        except ServerError as exc:  # Maven asked for a version that does not exist
            outcome.append(exc)

    with first._dist_lock():  # `first` is downloading
        waiting = threading.Thread(target=install)
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive() and outcome == []
        (first.dist / "COMPLETE").write_text(fresh.neo4j_version + "\n")
    waiting.join(timeout=10)
    assert outcome == [False]  # found installed: no second Maven run


def test_external_uri_provisions_nothing(settings):
    external = dataclasses.replace(settings, neo4j_uri="neo4j://db.example.invalid:7687")
    with pytest.raises(ServerError, match="NEO4J_URI is set"):
        LocalServer(external)
    assert external.uri == "neo4j://db.example.invalid:7687"


def test_the_tests_never_wipe_the_main_jobs_graph_or_work_dir(settings):
    """`make demo` and `make test` on one machine: the tests (which wipe their graph) get their own
    local server and work dir unless the environment names them (tests/conftest.py)."""
    import os
    import subprocess
    import sys

    bare = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_") and k != "NEO4J_URI"}
    main = subprocess.run([sys.executable, "-c", "from graph_schema.settings import Settings; s = Settings(); "
                           "print(s.uri); print(s.neo4j_home); print(s.work_dir)"],
                          env=bare, capture_output=True, text=True, check=True).stdout.split("\n")
    assert str(settings.work_dir) != main[2]
    if "NEO4J_URI" not in os.environ:
        assert settings.uri != main[0] and str(settings.neo4j_home) != main[1]
