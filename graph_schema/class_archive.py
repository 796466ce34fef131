"""The local server's class-data archive (Java's AppCDS): the classes Neo4j loads, in one mapped file.

A JVM that maps the archive skips reading and verifying the classes Neo4j loads at boot: a start
took 13-16 s without it and 7.5-8.5 s with it on a two-core machine (session 21). The JVM writes
the archive when a server started with `record_flags` exits gracefully (~16 s more for that stop).
The first server on a new Neo4j or Java records while it serves and leaves the archive at its
graceful stop; until session 29 the first start recorded, stopped and started again: 31.0 s,
against 15.8-18.0 s for a start that records as it serves (9.0 s for one that does not record).
A server that dies or is killed leaves no archive: the next one records.
The archive lives next to the JARs, one per Java runtime; the JVM ignores a file it does not
recognise as an archive, and aborts on a truncated one.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ClassArchive:
    path: Path

    @classmethod
    def for_runtime(cls, dist: Path, java: str) -> ClassArchive:
        """The archive for this Neo4j (its dist folder) and this Java runtime (its module image)."""
        runtime = Path(os.path.realpath(java)).parents[1]
        image = runtime / "lib" / "modules"
        stat = (image if image.exists() else Path(os.path.realpath(java))).stat()
        key = hashlib.sha256(f"{runtime}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
        return cls(dist / f"classes-{key}.jsa")

    def part(self) -> Path:
        """Where one recording server writes: its own file beside the archive (two servers on the
        same JARs may record at once), renamed to the archive when whole."""
        return self.path.with_name(f"{self.path.name}.{os.getpid()}-{secrets.token_hex(4)}.part")

    @property
    def _unsupported(self) -> Path:
        return self.path.with_suffix(".unsupported")

    def wanted(self) -> bool:
        """No archive yet, one can be written next to the JARs, and this runtime has not failed to."""
        return (not self.path.exists() and os.access(self.path.parent, os.W_OK)
                and not self._unsupported.exists())

    @staticmethod
    def record_flags(part: Path) -> list[str]:
        return [f"-XX:ArchiveClassesAtExit={part}"]

    def use_flags(self) -> list[str]:
        return [f"-XX:SharedArchiveFile={self.path}"] if self.path.exists() else []

    def keep(self, part: Path) -> bool:
        """After the recording server exited gracefully: the archive it wrote takes its place (whole,
        by rename), unless another server's took it first."""
        if self.path.exists():  # another server's came first (or this part was already kept)
            part.unlink(missing_ok=True)
            return True
        if part.exists() and part.stat().st_size > 0:
            os.replace(part, self.path)
            return True
        part.unlink(missing_ok=True)
        # e.g. a runtime without Java's base archive (some jlinked ones): never try again with it
        self._unsupported.write_text("the JVM wrote no class-data archive on a graceful exit\n")
        return False

    def discard(self) -> None:
        """An archive the JVM cannot map (a truncated file aborts it): removed, so it is recorded again."""
        self.path.unlink(missing_ok=True)
