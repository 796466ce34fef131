"""Known vulnerabilities of the locked packages: pip-audit over requirements.lock (issue 17).

    .venv/bin/python scripts/audit.py          # `make audit`; `make test` runs it first

Exit 1 when a locked package has a known vulnerability (update the pin: scripts/lock.sh
--upgrade-package NAME). When the vulnerability service cannot be reached, or answers for no
package, it says so in one line and exits 0 (AUDIT_STRICT=1 makes that a failure too): the
audit is then NOT done, and the output never reads as if it were. Service: AUDIT_SERVICE, osv
(default) or pypi.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300  # a network that drops packets silently must not stall `make test`


def main() -> int:
    service = os.environ.get("AUDIT_SERVICE", "osv")
    strict = os.environ.get("AUDIT_STRICT") == "1"
    try:
        import pip_audit  # noqa: F401  (installed by the [dev] extra: a missing tool is a failure, not a skip)
    except ImportError:
        print("audit: pip-audit is not installed (it comes with the lock: bash scripts/setup.sh)")
        return 1
    try:
        done = subprocess.run([sys.executable, "-m", "pip_audit", "-r", str(ROOT / "requirements.lock"),
                               "--require-hashes", "--disable-pip", "--no-deps", "--progress-spinner", "off",
                               "--format", "json", "-s", service, "--timeout", "20"],
                              capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"audit: NOT DONE - the {service} vulnerability service gave no answer within {TIMEOUT_S} s")
        return 1 if strict else 0
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        cause = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        print(f"audit: NOT DONE - the {service} vulnerability service could not be used: {cause}")
        return 1 if strict else 0
    lines, code = verdict(report, service, strict)
    print("\n".join(lines))
    return code


def verdict(report: dict, service: str, strict: bool = False) -> tuple[list[str], int]:
    """What to print for pip-audit's JSON report, and the exit code. Pure."""
    packages = report.get("dependencies", [])
    skipped = [p for p in packages if p.get("skip_reason")]
    found = [(p["name"], p["version"], v["id"], ", ".join(v.get("fix_versions") or []) or "no fix yet")
             for p in packages for v in p.get("vulns", [])]
    lines = [f"audit: {name} {version}: {vuln} (fixed in {fix})" for name, version, vuln, fix in found]
    audited = len(packages) - len(skipped)
    if not audited:
        lines.append(f"audit: NOT DONE - {service} answered for none of the {len(packages)} locked packages "
                     f"({skipped[0]['skip_reason'] if skipped else 'empty lock'})")
        return lines, 1 if strict or found else 0
    lines.append(f"audit: {audited} of {len(packages)} locked packages checked against {service}, "
                 f"{len(found)} known vulnerabilities" + (f", {len(skipped)} not checked" if skipped else ""))
    return lines, 1 if found or (strict and skipped) else 0

if __name__ == "__main__":
    sys.exit(main())
