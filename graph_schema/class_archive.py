"""The local server's class-data archive (Java's AppCDS): the classes Neo4j loads, in one mapped file.

A JVM that maps the archive skips reading and verifying the classes Neo4j loads at boot: a start
took 13-16 s without it and 7.5-8.5 s with it on a two-core machine (session 21). The JVM writes
the archive when a server started with `record_flags` exits gracefully, so the first start with a
new Neo4j or Java runs twice (record, stop, start). The archive lives next to the JARs, one per Java
runtime; the JVM ignores a file it does not recognise as an archive, and aborts on a truncated one.
"""
from __future__ import annotations

import hashlib
import os
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

    @property
    def _part(self) -> Path:  # per process: two servers on the same JARs may record at once
        return self.path.with_name(f"{self.path.name}.{os.getpid()}.part")

    @property
    def _unsupported(self) -> Path:
        return self.path.with_suffix(".unsupported")

    def wanted(self) -> bool:
        """No archive yet, one can be written next to the JARs, and this runtime has not failed to."""
        return (not self.path.exists() and os.access(self.path.parent, os.W_OK)
                and not self._unsupported.exists())

    def record_flags(self) -> list[str]:
        return [f"-XX:ArchiveClassesAtExit={self._part}"]

    def use_flags(self) -> list[str]:
        return [f"-XX:SharedArchiveFile={self.path}"] if self.path.exists() else []

    def keep(self) -> bool:
        """After the recording server exited: the archive it wrote takes its place (whole, by rename)."""
        part = self._part
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
