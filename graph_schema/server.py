"""The local Neo4j Community server that the project provisions for itself.

The server JARs are resolved from Maven Central with Maven (pinned version, cached under
`ATLAS_NEO4J_DIST/<version>`, default `ATLAS_NEO4J_HOME/dist`), configured by this module (127.0.0.1 only, auth on with a
generated password, usage reporting off, memory sized for the machine) and run as a child
`java` process in its own session, so that stopping it never depends on the caller's terminal.

Every failure is raised as `ServerError` with one paragraph naming the cause and the fix.
"""
from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from graph_schema.class_archive import ClassArchive
from graph_schema.settings import Settings
from graph_schema.toolchain import ToolError, find_java, find_mvn, maven_env

POM_TEMPLATE = Path(__file__).with_name("neo4j-pom.xml")
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
TX_LOG_RETENTION = "2G size"  # per database, beyond the log being written
RECORDING_STOP_S = 300.0  # the JVM writes the class archive as it exits (16 s here): never cut short

# While the server boots, every poll fails with "Unable to retrieve routing information":
# expected, so the driver's warnings are dropped during our own polls — only there, only in the
# polling thread (a contextvar); every other driver warning of the process still reaches the logs.
_POLLING: ContextVar[bool] = ContextVar("atlas_neo4j_polling", default=False)


class _PollNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _POLLING.get()


_POLL_NOISE = _PollNoise()
# A logger's filter sees only its own records, so it goes on every driver logger.
for _name in ["neo4j", *(n for n in list(logging.root.manager.loggerDict) if n.startswith("neo4j."))]:
    logging.getLogger(_name).addFilter(_POLL_NOISE)


class ServerError(RuntimeError):
    """A local-server failure, worded for the person who has to fix it."""


class _Aborted(ServerError):
    """The JVM aborted during start-up (SIGABRT), as it does on a damaged class-data archive."""


class Status(str, Enum):
    RUNNING = "running"
    STOPPED = "stopped"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True)
class StartResult:
    already_running: bool
    seconds: float
    downloaded: bool


class LocalServer:
    def __init__(self, settings: Settings):
        if not settings.provisions_local_server:
            raise ServerError(
                f"NEO4J_URI is set ({settings.neo4j_uri}): the project uses that server and provisions "
                "nothing locally. Unset NEO4J_URI to use the local server."
            )
        self.s = settings
        self.home = settings.neo4j_home
        self.dist = settings.neo4j_dist
        self.lib = self.dist / "lib"
        self.conf_dir = self.home / "conf"
        self.data_dir = self.home / "data"
        self.logs_dir = self.home / "logs"
        self.pid_file = self.home / "neo4j.pid"
        self.recording_file = self.home / "class-archive.recording"

    # ---- provisioning -------------------------------------------------------------------
    def java(self) -> str:
        # JAVA_HOME, else PATH's java, else the project-local one (graph_schema/toolchain.py).
        try:
            return find_java(self.s)
        except ToolError as exc:
            raise ServerError(str(exc)) from None

    def is_installed(self) -> bool:
        return (self.dist / "COMPLETE").exists()

    def install(self) -> bool:
        """Resolves the server JARs with Maven. Returns True when it downloaded anything."""
        if self.is_installed():
            return False
        with self._dist_lock():
            return False if self.is_installed() else self._download()

    def _download(self) -> bool:
        # ATLAS_MAVEN, else PATH's mvn, else the project-local one; it runs on the server's Java.
        try:
            mvn = find_mvn(self.s)
        except ToolError as exc:
            raise ServerError(str(exc)) from None
        mvn_env = maven_env(self.java())
        pom = self.dist / "pom.xml"
        pom.write_text(POM_TEMPLATE.read_text().replace("@NEO4J_VERSION@", self.s.neo4j_version))
        staging = self.dist / "lib.partial"
        shutil.rmtree(staging, ignore_errors=True)
        cmd = [mvn, "-B", "-q", "-f", str(pom), "dependency:copy-dependencies",
               f"-DoutputDirectory={staging}", "-DincludeScope=runtime"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=mvn_env)
        if proc.returncode != 0:
            errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "ERROR" in line][:5]
            raise ServerError(
                f"Maven could not resolve Neo4j {self.s.neo4j_version} from Maven Central "
                f"(exit {proc.returncode}): {' '.join(errors) or proc.stderr[-500:]}. Check the network "
                "to Maven Central and ATLAS_NEO4J_VERSION, then run `atlas-match neo4j start` again."
            )
        shutil.rmtree(self.lib, ignore_errors=True)
        staging.rename(self.lib)
        (self.dist / "COMPLETE").write_text(self.s.neo4j_version + "\n")
        return True

    @contextmanager
    def _dist_lock(self) -> Iterator[None]:
        """One process at a time downloads the JARs into the shared dist folder (two test workers,
        or `demo run` beside the tests): the others wait, then find the work done. The lock goes
        with the process, however it ends."""
        self.dist.mkdir(parents=True, exist_ok=True)
        with open(self.dist / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _ensure_password(self) -> None:
        """Generates the password once and sets it before the first start (never the default).
        A data folder deleted to start from an empty database gets the kept password again."""
        fresh = not (self.data_dir / "databases").exists()
        if self.s.password_file.exists():
            if fresh:
                self._set_initial_password(self.s.password_file.read_text().strip())
            return
        if not fresh:
            raise ServerError(
                f"The data folder {self.data_dir} exists but the password file {self.s.password_file} "
                "is gone, so the server cannot be reached. Restore the password file or delete "
                f"{self.data_dir} to start from an empty database."
            )
        # Hex: a URL-safe token may start with "-", which the admin tool reads as an option.
        password = secrets.token_hex(24)
        self._set_initial_password(password)
        self.s.password_file.write_text(password + "\n")
        self.s.password_file.chmod(0o600)

    def _set_initial_password(self, password: str) -> None:
        proc = subprocess.run(
            [self.java(), "-cp", f"{self.lib}/*", ADMIN_TOOL, "dbms", "set-initial-password", password],
            capture_output=True, text=True, env=self._env(),
        )
        if proc.returncode != 0:
            raise ServerError(f"Setting the initial Neo4j password failed: {proc.stderr.strip()[-500:]}")

    def write_config(self) -> None:
        for folder in (self.conf_dir, self.data_dir, self.logs_dir, self.home / "run"):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ServerError(
                    f"Cannot create {folder}: {exc.strerror}. Make ATLAS_NEO4J_HOME ({self.home}) a "
                    "writable folder."
                ) from exc
        if not os.access(self.data_dir, os.W_OK):
            raise ServerError(f"The data folder {self.data_dir} is not writable. Fix its permissions or set ATLAS_NEO4J_HOME.")
        lines = {
            "server.default_listen_address": "127.0.0.1",
            "server.default_advertised_address": "127.0.0.1",
            "server.bolt.listen_address": f"127.0.0.1:{self.s.neo4j_bolt_port}",
            "server.bolt.advertised_address": f"127.0.0.1:{self.s.neo4j_bolt_port}",
            "server.http.listen_address": f"127.0.0.1:{self.s.neo4j_http_port}",
            "server.http.enabled": "true",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "true",
            "dbms.usage_report.enabled": "false",
            "server.memory.pagecache.size": self.s.neo4j_pagecache,
            # Bolt's network threads otherwise idle 5 s twice before they stop: a stop took 10.6 s,
            # now 0.6 s (connections are closed before; the checkpoint still runs). Neo4j 5.26's name.
            "internal.dbms.bolt.netty_server_shutdown_quiet_period": "0",
            # Transaction logs serve recovery and incremental backups; Neo4j keeps two days of them
            # by default, and a bulk load fills a disk with that (the 1M bench population: 26 GB).
            "db.tx_log.rotation.retention_policy": TX_LOG_RETENTION,
            "server.directories.data": str(self.data_dir),
            "server.directories.logs": str(self.logs_dir),
            "server.directories.run": str(self.home / "run"),
            "server.directories.import": str(self.home / "import"),
        }
        text = "# Written by graph_schema/server.py; edits are overwritten on start.\n"
        text += "".join(f"{k}={v}\n" for k, v in lines.items())
        (self.conf_dir / "neo4j.conf").write_text(text)

    def _env(self) -> dict[str, str]:
        return {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}

    # ---- process control ---------------------------------------------------------------
    def pid(self) -> int | None:
        """The running server's process id (None when it is not running): for benchmarks' /proc reads."""
        return self._pid()

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid if _is_our_java(pid) else None

    def _port_free(self, port: int) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
        return True

    def ping(self, timeout: float = 5.0) -> bool:
        polling = _POLLING.set(True)
        try:
            with GraphDatabase.driver(self.s.uri, auth=(self.s.neo4j_user, self.s.password()),
                                      connection_timeout=timeout, max_transaction_retry_time=0,
                                      notifications_min_severity="OFF") as driver:
                driver.execute_query("RETURN 1", database_="neo4j")
            return True
        except (ServiceUnavailable, OSError, RuntimeError):
            return False
        except AuthError as exc:
            raise ServerError(f"The local server refused the password in {self.s.password_file}: {exc.message}") from exc
        finally:
            _POLLING.reset(polling)

    def status(self) -> Status:
        if self._pid() is None:
            return Status.STOPPED
        return Status.RUNNING if self.ping() else Status.UNHEALTHY

    def start(self) -> StartResult:
        began = time.monotonic()
        if self._pid() is not None:
            if self.ping():
                return StartResult(already_running=True, seconds=time.monotonic() - began, downloaded=False)
            self.stop()  # a leftover that no longer answers: replace it
        downloaded = self.install()
        for port in (self.s.neo4j_bolt_port, self.s.neo4j_http_port):
            if not self._port_free(port):
                raise ServerError(
                    f"Port {port} on 127.0.0.1 is already taken by another process, so the local Neo4j "
                    "cannot listen there. Stop that process or choose other ports with "
                    "ATLAS_NEO4J_BOLT_PORT / ATLAS_NEO4J_HTTP_PORT."
                )
        self.write_config()
        self._ensure_password()
        java = self.java()
        archive = ClassArchive.for_runtime(self.dist, java)
        self._drop_recording()  # a part left by a server that died: never whole
        flags = archive.use_flags() or self._record(archive)
        try:
            self._launch(java, flags)
        except _Aborted:
            if not archive.use_flags():
                raise
            archive.discard()  # a damaged archive aborts the JVM: start without it
            self._launch(java, [])
        return StartResult(already_running=False, seconds=time.monotonic() - began, downloaded=downloaded)

    # ---- the class-data archive (graph_schema/class_archive.py) ---------------------------
    def _record(self, archive: ClassArchive) -> list[str]:
        """Flags that make this server record the archive as it serves, written at its graceful
        stop; the note says which file, for whichever process stops it."""
        if not archive.wanted():
            return []
        part = archive.part()
        self.recording_file.write_text(f"{archive.path}\n{part}\n")
        return archive.record_flags(part)

    def records_class_archive(self) -> bool:
        """Whether the running server records the class archive (written at its graceful stop)."""
        return self._recording() is not None

    def _recording(self) -> tuple[ClassArchive, Path] | None:
        try:
            archive, part = self.recording_file.read_text().splitlines()  # paths may hold spaces
        except (OSError, ValueError):
            return None
        return ClassArchive(Path(archive)), Path(part)

    def _finish_recording(self, graceful: bool) -> None:
        """After the server exited: a graceful exit wrote the whole archive, any other left a part."""
        note = self._recording()
        if note is not None:
            archive, part = note
            if graceful:
                archive.keep(part)
            else:
                part.unlink(missing_ok=True)
        self.recording_file.unlink(missing_ok=True)

    def _drop_recording(self) -> None:
        self._finish_recording(graceful=False)

    def _launch(self, java: str, jvm_flags: list[str]) -> None:
        """Starts the server process and waits until it answers a query."""
        cmd = [java, f"-Xms{self.s.neo4j_heap}", f"-Xmx{self.s.neo4j_heap}", "-XX:+UseG1GC",
               "-XX:+ExitOnOutOfMemoryError", f"-XX:ErrorFile={self.logs_dir}/hs_err_pid%p.log",
               *self.s.neo4j_jvm_flags, *jvm_flags,
               "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
               "-Dfile.encoding=UTF-8", "-cp", f"{self.lib}/*", ENTRY_POINT,
               f"--home-dir={self.home}", f"--config-dir={self.conf_dir}"]
        console = open(self.logs_dir / "console.log", "ab")
        proc = subprocess.Popen(cmd, stdout=console, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=self._env(), start_new_session=True)
        console.close()
        self.pid_file.write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + self.s.neo4j_start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                self._drop_recording()
                raise (_Aborted if proc.returncode == -signal.SIGABRT else ServerError)(
                    f"Neo4j exited during start-up (exit {proc.returncode}). Last log lines: "
                    f"{self._log_tail()} Fix the cause above and run `atlas-match neo4j start` again."
                )
            if self.ping(timeout=2.0):
                return
            time.sleep(0.5)
        self.stop()
        raise ServerError(
            f"Neo4j did not answer a Cypher query within {self.s.neo4j_start_timeout_s:.0f} s and was "
            f"stopped. Last log lines: {self._log_tail()} Raise ATLAS_NEO4J_START_TIMEOUT on a slow "
            "machine, or look at the logs in " + str(self.logs_dir)
        )

    def stop(self, timeout: float = 60.0) -> bool:
        """Graceful shutdown (SIGTERM), escalating to SIGKILL after `timeout` seconds (0: at once).
        A server recording the class archive gets at least RECORDING_STOP_S to write it. Returns
        False if nothing ran."""
        pid = self._pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            self._drop_recording()
            return False
        if timeout > 0 and self._recording() is not None:
            timeout = max(timeout, RECORDING_STOP_S)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        graceful = not _alive(pid)
        if not graceful:
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        self._finish_recording(graceful)
        return True

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the running server has used, from /proc; None when it is not
        running or there is no /proc. Benchmarks take differences to report the server's share."""
        pid = self._pid()
        if pid is None:
            return None
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        # After "pid (comm)": field 3 is the state, so utime and stime (fields 14, 15) are [11], [12].
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _log_tail(self, lines: int = 6) -> str:
        texts = []
        for name in ("console.log", "neo4j.log"):
            path = self.logs_dir / name
            if path.exists():
                texts += path.read_text(errors="replace").splitlines()[-lines:]
        return " | ".join(t.strip() for t in texts if t.strip())[-1500:] or "(no log output)"


def _alive(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # reap our own child so it does not linger as a zombie
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _is_our_java(pid: int) -> bool:
    """A recycled PID must not be mistaken for the server."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid file
    return ENTRY_POINT.encode() in cmdline
