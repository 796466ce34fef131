"""Which java and mvn provision the local Neo4j: JAVA_HOME / ATLAS_MAVEN, then PATH, then the
project-local copies in .tools/ — on fake executables, so nothing is downloaded or run."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import struct
from pathlib import Path

import pytest

from graph_schema import toolchain
from graph_schema.settings import Settings
from graph_schema.toolchain import ToolError, find_java, find_mvn, java_candidates, local_java, local_mvn


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bare(tmp_path) -> Settings:
    """Nothing set, an empty .tools/."""
    return dataclasses.replace(Settings(), java_home=None, maven=None, tools_dir=tmp_path / "tools")


def _path_with(**tools: Path):
    return lambda name: str(tools[name]) if name in tools else None


def _versions(**majors: int):
    return lambda java: (majors.get(Path(java).parent.parent.name, 0), "fake")


def test_settings_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    monkeypatch.setenv("ATLAS_MAVEN", str(tmp_path / "maven"))
    monkeypatch.setenv("ATLAS_TOOLS_DIR", str(tmp_path / "tools"))
    s = Settings()
    assert (s.java_home, s.maven, s.tools_dir) == (tmp_path / "jdk", tmp_path / "maven", tmp_path / "tools")
    for name in ("JAVA_HOME", "ATLAS_MAVEN", "ATLAS_TOOLS_DIR"):
        monkeypatch.delenv(name)
    s = Settings()
    assert s.java_home is None and s.maven is None
    assert s.tools_dir == Path(toolchain.__file__).resolve().parent.parent / ".tools"


def test_java_home_wins_over_path_and_tools(bare, tmp_path):
    home_java = _exe(tmp_path / "home" / "bin" / "java")
    _exe(local_java(bare.tools_dir))
    s = dataclasses.replace(bare, java_home=tmp_path / "home")
    which = _path_with(java=_exe(tmp_path / "path" / "bin" / "java"))
    assert java_candidates(s, which) == [str(home_java)]
    assert find_java(s, which, _versions(home=17, path=21)) == str(home_java)


def test_java_home_without_java_is_not_passed_over(bare, tmp_path):
    _exe(local_java(bare.tools_dir))
    s = dataclasses.replace(bare, java_home=tmp_path / "no-jdk")
    with pytest.raises(ToolError, match="Java was not found.*JAVA_HOME"):
        find_java(s, _path_with(java=_exe(tmp_path / "path" / "bin" / "java")), _versions(path=17))


def test_java_home_too_old_is_not_passed_over(bare, tmp_path):
    _exe(tmp_path / "home" / "bin" / "java")
    s = dataclasses.replace(bare, java_home=tmp_path / "home")
    with pytest.raises(ToolError, match="too old.*Set JAVA_HOME"):
        find_java(s, _path_with(), _versions(home=11))


def test_path_before_project_local(bare, tmp_path):
    path_java = _exe(tmp_path / "path" / "bin" / "java")
    local = _exe(local_java(bare.tools_dir))
    which = _path_with(java=path_java)
    assert java_candidates(bare, which) == [str(path_java), str(local)]
    assert find_java(bare, which, _versions(path=17, **{"java-runtime": 17})) == str(path_java)


def test_too_old_path_java_falls_back_to_project_local(bare, tmp_path):
    local = _exe(local_java(bare.tools_dir))
    which = _path_with(java=_exe(tmp_path / "path" / "bin" / "java"))
    assert find_java(bare, which, _versions(path=11, **{"java-runtime": 17})) == str(local)


def test_only_too_old_java_says_how_to_get_a_newer_one(bare, tmp_path):
    which = _path_with(java=_exe(tmp_path / "path" / "bin" / "java"))
    with pytest.raises(ToolError, match="too old.*scripts/setup.sh"):
        find_java(bare, which, _versions(path=11))


def test_project_local_java_when_path_has_none(bare):
    local = _exe(local_java(bare.tools_dir))
    assert find_java(bare, _path_with(), _versions(**{"java-runtime": 17})) == str(local)


def test_no_java_anywhere_names_every_way_out(bare):
    with pytest.raises(ToolError) as caught:
        find_java(bare, _path_with(), _versions())
    message = str(caught.value)
    for hint in ("scripts/setup.sh", "openjdk-17-jdk-headless", "JAVA_HOME", "NEO4J_URI"):
        assert hint in message


def test_a_non_executable_file_is_not_a_java(bare):
    local_java(bare.tools_dir).parent.mkdir(parents=True)
    local_java(bare.tools_dir).write_text("not a program")
    assert java_candidates(bare, _path_with()) == []


def test_atlas_maven_as_executable_or_home_wins(bare, tmp_path):
    mvn = _exe(tmp_path / "maven" / "bin" / "mvn")
    _exe(local_mvn(bare.tools_dir))
    which = _path_with(mvn=_exe(tmp_path / "path" / "bin" / "mvn"))
    assert find_mvn(dataclasses.replace(bare, maven=mvn), which) == str(mvn)
    assert find_mvn(dataclasses.replace(bare, maven=tmp_path / "maven"), which) == str(mvn)


def test_atlas_maven_that_is_no_maven_is_not_passed_over(bare, tmp_path):
    _exe(local_mvn(bare.tools_dir))
    with pytest.raises(ToolError, match="ATLAS_MAVEN"):
        find_mvn(dataclasses.replace(bare, maven=tmp_path / "nothing"), _path_with())


def test_mvn_from_path_then_project_local(bare, tmp_path):
    path_mvn = _exe(tmp_path / "path" / "bin" / "mvn")
    with pytest.raises(ToolError, match="Maven .*not found.*scripts/setup.sh.*apt-get install maven"):
        find_mvn(bare, _path_with())
    local = _exe(local_mvn(bare.tools_dir))
    assert find_mvn(bare, _path_with(mvn=path_mvn)) == str(path_mvn)
    assert find_mvn(bare, _path_with()) == str(local)


def test_maven_runs_on_the_servers_java(tmp_path):
    home = tmp_path / "jdk"
    java = _exe(home / "bin" / "java")
    link = tmp_path / "usr-bin" / "java"
    link.parent.mkdir()
    link.symlink_to(java)
    assert toolchain.java_home_of(str(link)) == home.resolve()
    assert toolchain.maven_env(str(link))["JAVA_HOME"] == str(home.resolve())


def _jks(*ders: bytes) -> bytes:
    body = b""
    for i, der in enumerate(ders):
        alias = f"ca{i}".encode()
        body += (struct.pack(">IH", 2, len(alias)) + alias + struct.pack(">qH", 0, 5) + b"X.509"
                 + struct.pack(">I", len(der)) + der)
    head = struct.pack(">IiI", 0xFEEDFEED, 2, len(ders))
    return head + body + hashlib.sha1("changeit".encode("utf-16-be") + b"Mighty Aphrodite" + head + body).digest()


def _pem(der: bytes) -> str:
    return f"-----BEGIN CERTIFICATE-----\n{base64.encodebytes(der).decode()}-----END CERTIFICATE-----\n"


def test_project_local_java_trusts_the_machines_cas(tmp_path):
    """The runtime's JKS cacerts gains the system bundle's certificates it lacks, with a valid
    store digest (so keytool and the JVM accept it)."""
    cacerts, bundle = tmp_path / "cacerts", tmp_path / "bundle.pem"
    known, proxy_ca = b"\x30\x03known-der", b"\x30\x03proxy-ca-der"
    cacerts.write_bytes(_jks(known))
    bundle.write_text(_pem(known) + _pem(proxy_ca))
    assert toolchain.trust_system_cas(cacerts, bundle) == 1
    data = cacerts.read_bytes()
    assert struct.unpack(">IiI", data[:12]) == (0xFEEDFEED, 2, 2)
    assert proxy_ca in data
    assert data[-20:] == hashlib.sha1("changeit".encode("utf-16-be") + b"Mighty Aphrodite" + data[:-20]).digest()
    assert toolchain.trust_system_cas(cacerts, bundle) == 0  # a second run adds nothing


def test_the_audit_fails_on_a_known_vulnerability_and_never_reads_as_done_when_it_was_not():
    import importlib.util

    spec = importlib.util.spec_from_file_location("audit", Path(__file__).parents[1] / "scripts" / "audit.py")
    audit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(audit)
    clean = {"dependencies": [{"name": "jinja2", "version": "3.1.6", "vulns": []},
                              {"name": "numpy", "version": "2.3.0", "vulns": []}]}
    lines, code = audit.verdict(clean, "osv")
    assert code == 0 and lines == ["audit: 2 of 2 locked packages checked against osv, 0 known vulnerabilities"]
    bad = {"dependencies": [{"name": "jinja2", "version": "2.4.1",
                             "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}]}]}
    lines, code = audit.verdict(bad, "osv")
    assert code == 1 and lines[0] == "audit: jinja2 2.4.1: PYSEC-2019-217 (fixed in 2.10.1)"
    unanswered = {"dependencies": [{"name": "jinja2", "version": "3.1.6", "skip_reason": "not found on PyPI"}]}
    lines, code = audit.verdict(unanswered, "pypi")
    assert code == 0 and "NOT DONE" in lines[-1]
    assert audit.verdict(unanswered, "pypi", strict=True)[1] == 1
