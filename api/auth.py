"""Bearer tokens, configured locally: a JSON file mapping sha256(token) -> {subject, role, name}.

Only the hash is stored, so the file does not hold usable credentials. The file lives under
settings().work_dir (git-ignored) unless ATLAS_API_TOKENS_FILE says otherwise, and is re-read
when it changes, so a token created with `atlas-match tokens create` works without a restart.
docs/api.md describes how to replace this look-up with an organisation's identity provider (OIDC).
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import request_context
from api.access import Principal, Role
from api.problems import ApiProblem
from graph_schema.settings import Settings

TOKEN_PREFIX = "atm_"


def tokens_file(settings: Settings) -> Path:
    return settings.api_tokens_file or settings.work_dir / "api-tokens.json"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenEntry:
    token_id: str  # the first 12 hex digits of the hash: names a token without revealing it
    subject: str
    role: Role
    name: str
    created_at: str
    created_by: str = ""  # "admin:<subject>" or "cli"; empty for tokens older than this field


class TokenStore:
    """The token file, cached and re-read when its modification time changes."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._entries: dict[str, dict] = {}
        self._by_id: dict[str, dict] = {}  # token_id -> entry: a page's session names its token by id

    def _load(self) -> dict[str, dict]:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._mtime, self._entries, self._by_id = None, {}, {}
            return {}
        if mtime != self._mtime:
            self._entries = json.loads(self.path.read_text() or "{}")
            self._by_id = {h[:12]: e for h, e in self._entries.items()}
            self._mtime = mtime
        return self._entries

    def _save(self, entries: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(entries, indent=2, sort_keys=True))
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)
        self._mtime = None

    def lookup(self, token: str) -> Principal | None:
        with self._lock:
            entry = self._load().get(token_hash(token))
        return _principal(entry)

    def lookup_id(self, token_id: str) -> Principal | None:
        """The principal of the token with this id (a page session's), or None once revoked."""
        with self._lock:
            self._load()
            entry = self._by_id.get(token_id)
        return _principal(entry)

    def create(self, subject: str, role: Role, name: str = "", created_by: str = "") -> tuple[str, TokenEntry]:
        """A new random token (returned once, never stored) for subject and role; `created_by`:
        who minted it (an admin's subject, or `cli` for `atlas-match tokens create`)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = token_hash(token)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._lock:
            entries = dict(self._load())
            entries[digest] = {"subject": subject, "role": Role(role).value, "name": name, "created_at": created,
                               "created_by": created_by}
            self._save(entries)
        return token, TokenEntry(digest[:12], subject, Role(role), name, created, created_by)

    def revoke(self, token_id: str) -> bool:
        """Revokes every token whose hash starts with token_id (an id from `list`)."""
        if len(token_id) < 8:
            return False
        with self._lock:
            entries = dict(self._load())
            gone = [h for h in entries if h.startswith(token_id)]
            for h in gone:
                del entries[h]
            if gone:
                self._save(entries)
        return bool(gone)

    def list(self) -> list[TokenEntry]:
        with self._lock:
            entries = self._load()
        return sorted((TokenEntry(h[:12], e["subject"], Role(e["role"]), e.get("name", ""), e.get("created_at", ""),
                                  e.get("created_by", ""))
                       for h, e in entries.items()), key=lambda t: (t.role.value, t.subject, t.token_id))


def _principal(entry: dict | None) -> Principal | None:
    return None if entry is None else Principal(entry["subject"], Role(entry["role"]), entry.get("name", ""))


bearer = HTTPBearer(auto_error=False, description="A token from `atlas-match tokens create`, or your identity provider.")


def _unauthenticated(detail: str) -> ApiProblem:
    return ApiProblem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="atlas"'})


def current_principal(request: Request, credentials: HTTPAuthorizationCredentials | None = None) -> Principal:
    """Resolve the bearer token to a principal (plug an OIDC validator in here, see docs/api.md)."""
    if credentials is None or not credentials.credentials:
        raise _unauthenticated("A bearer token is required (Authorization: Bearer <token>).")
    store: TokenStore = request.app.state.tokens
    principal = store.lookup(credentials.credentials)
    if principal is None:
        request_context.note(request_context.SIGN_IN_FAILED)  # the throttle counts it (api/throttle.py)
        raise _unauthenticated("The bearer token is not known or has been revoked.")
    return principal
