"""The pages' session: a signed cookie (stdlib HMAC, no server-side store) holding the signed-in
token's id, a CSRF token and the language.

Why the token id and not the principal: the principal is looked up in the token file on every
request, so a revoked token ends its sessions at once. The cookie is HttpOnly, SameSite=Strict,
and Secure when the request came over TLS (directly or behind a proxy that sets
X-Forwarded-Proto). The signing key is derived from the pseudonym secret, so there is no second
secret to provision.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

from fastapi import Request
from starlette.responses import Response

from api.access import Principal
from api.auth import TokenStore, token_hash

COOKIE = "atlas_session"
MAX_AGE_S = 10 * 3600  # one working day; after that the coach signs in again
LANGS = ("nl", "en")


@dataclass
class PageSession:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    token_id: str | None = None
    lang: str = "nl"
    expires: int = field(default_factory=lambda: int(time.time()) + MAX_AGE_S)
    dirty: bool = False  # the cookie must be (re)sent


def _key(request: Request) -> bytes:
    secret = request.app.state.pseudonym_secret
    return hmac.new(secret.encode(), b"atlas pages session cookie", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(key: bytes, s: PageSession) -> str:
    payload = _b64(json.dumps({"c": s.csrf, "t": s.token_id, "l": s.lang, "e": s.expires}).encode())
    return payload + "." + _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def decode(key: bytes, value: str | None, now: float | None = None) -> PageSession | None:
    """The session in a cookie value, or None when it is missing, forged or expired."""
    if not value or "." not in value:
        return None
    payload, mac = value.rsplit(".", 1)
    good = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(mac, good):
        return None
    try:
        d = json.loads(_unb64(payload))
    except ValueError:
        return None
    if d.get("e", 0) < (now or time.time()):
        return None
    return PageSession(csrf=d["c"], token_id=d.get("t"), lang=d.get("l") if d.get("l") in LANGS else "nl",
                       expires=d["e"])


def load(request: Request) -> PageSession:
    """The request's session (a fresh anonymous one when there is none), with ?lang= applied."""
    s = decode(_key(request), request.cookies.get(COOKIE))
    if s is None:
        s = PageSession(dirty=True)
    lang = request.query_params.get("lang")
    if lang in LANGS and lang != s.lang:
        s.lang, s.dirty = lang, True
    return s


def is_tls(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def save(request: Request, response: Response, s: PageSession) -> Response:
    if s.dirty:
        response.set_cookie(COOKIE, encode(_key(request), s), max_age=MAX_AGE_S, httponly=True, samesite="strict",
                            secure=is_tls(request), path="/")
    return response


def principal(request: Request, s: PageSession) -> Principal | None:
    """The signed-in principal, looked up in the token file (a revoked token: nobody)."""
    if not s.token_id:
        return None
    store: TokenStore = request.app.state.tokens
    return store.lookup_id(s.token_id)


def sign_in(request: Request, s: PageSession, token: str) -> Principal | None:
    """Checks the bearer token; on success the session gets its id and a new CSRF token (so a
    token planted before sign-in is worthless afterwards)."""
    found = request.app.state.tokens.lookup(token.strip()) if token.strip() else None
    if found is None:
        return None
    s.token_id, s.csrf, s.dirty = token_hash(token.strip())[:12], secrets.token_urlsafe(24), True
    s.expires = int(time.time()) + MAX_AGE_S
    return found


def sign_out(s: PageSession) -> PageSession:
    return PageSession(lang=s.lang, dirty=True)


def csrf_ok(s: PageSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(s.csrf, sent)
