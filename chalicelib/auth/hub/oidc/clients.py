"""OIDC clients of the hub: the built-in modules (Partner Portal, IT Docs) and registered ones.

Built-in clients live in code with secrets derived from the deployment's key; registered clients are
stored with an argon2id hash of their secret, shown to the Master once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote_plus, urlsplit

from chalicelib.auth import modules, passwords
from chalicelib.auth.hub.policy import MODULES, can
from chalicelib.errors import Forbidden, InvalidInput, OAuthError
from chalicelib.runtime import Runtime
from chalicelib.secretbox import SecretUnreadable
from chalicelib.settings import Settings
from chalicelib.signing import BadSignature
from chalicelib.storage.hub import oidc_clients as store
from chalicelib.storage.hub.oidc_clients import RegisteredClient
from chalicelib.storage.hub.users import HubUser

REGISTERED_PREFIX = "hc_"
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2000
MAX_NAME_LENGTH = 80
LOCAL_STAGES = {"dev", "test"}
CACHE_FOR = dt.timedelta(seconds=60)
REVEAL_FOR = 300  # seconds between a registration and the one page that shows its secret
REVEAL_PURPOSE = "client-secret-reveal"


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    module: str | None = None  # built in: the module a user must have been granted
    company_id: str | None = None  # registered: the company whose users may sign in
    secret_hash: str | None = None
    created_at: dt.datetime | None = None
    created_by: str = ""

    @property
    def builtin(self) -> bool:
        return self.module is not None

    def may_sign_in(self, user: HubUser) -> bool:
        """Active users granted the module (built in), or of the owning company (registered)."""
        if user.status != "active":
            return False
        if self.module is not None:
            return self.module in user.modules
        return user.company_id == self.company_id


# -- built-in clients ------------------------------------------------------------------------------
def _builtin(settings: Settings, module: str) -> Client:
    base = settings.base_url.rstrip("/")
    return Client(
        client_id=module,
        name=MODULES[module],
        redirect_uris=(modules.redirect_uri(settings, module),),
        post_logout_redirect_uris=(f"{base}/{module}/", f"{base}/{module}/login"),
        module=module,
    )


def builtin_clients(settings: Settings) -> list[Client]:
    return [_builtin(settings, module) for module in MODULES]


# -- the runtime's directory of clients ------------------------------------------------------------
def _from_record(record: RegisteredClient) -> Client:
    return Client(
        client_id=record.client_id,
        name=record.name,
        redirect_uris=record.redirect_uris,
        post_logout_redirect_uris=record.post_logout_redirect_uris,
        company_id=record.company_id,
        secret_hash=record.secret_hash,
        created_at=record.created_at,
        created_by=record.created_by,
    )


class ClientDirectory:
    """Registered clients cached for `CACHE_FOR`, with the secret digests already verified."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._clients: dict[str, tuple[Client, dt.datetime]] = {}
        self._verified: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def find(self, client_id: str) -> Client | None:
        if client_id in MODULES:
            return _builtin(self._rt.settings, client_id)
        if not client_id.startswith(REGISTERED_PREFIX) or len(client_id) > 64:
            return None
        now = self._rt.clock.now()
        with self._lock:
            cached = self._clients.get(client_id)
        if cached is not None and now - cached[1] < CACHE_FOR:
            return cached[0]
        record = store.get_client(client_id)
        if record is None:
            return None
        client = _from_record(record)
        with self._lock:
            self._clients[client_id] = (client, now)
        return client

    def secret_matches(self, client: Client, secret: str) -> bool:
        if client.module is not None:
            expected = modules.client_secret(self._rt.settings, client.module)
            return hmac.compare_digest(secret.encode(), expected.encode())
        digest = hashlib.sha256(f"{client.secret_hash}:{secret}".encode()).hexdigest()
        with self._lock:
            if digest in self._verified.get(client.client_id, set()):
                return True
        if not passwords.verify(client.secret_hash, secret):
            return False
        with self._lock:
            self._verified.setdefault(client.client_id, set()).add(digest)
        return True

    def remember(self, client: Client) -> None:
        with self._lock:
            self._clients[client.client_id] = (client, self._rt.clock.now())


def directory(rt: Runtime) -> ClientDirectory:
    return rt.cache(ClientDirectory, ClientDirectory)


def find(rt: Runtime, client_id: str) -> Client | None:
    return directory(rt).find(client_id)


def authenticate(rt: Runtime, client_id: str, secret: str) -> Client:
    """The client whose id and secret these are, or invalid_client (401)."""
    client = directory(rt).find(client_id) if client_id else None
    if client is None or not secret or not directory(rt).secret_matches(client, secret):
        raise OAuthError("invalid_client", "Client authentication failed.", status=401)
    return client


def credentials(authorization: str, form: Mapping[str, str]) -> tuple[str, str]:
    """client_secret_basic or client_secret_post (never both, RFC 6749 section 2.3)."""
    if authorization[:6].lower() != "basic ":
        return form.get("client_id", ""), form.get("client_secret", "")
    if "client_secret" in form:
        raise OAuthError("invalid_request", "Use one client authentication method.")
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "Malformed Basic credentials.", 401) from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", "Malformed Basic credentials.", 401)
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if form.get("client_id") not in (None, client_id):
        raise OAuthError("invalid_request", "The client_id does not match.")
    return client_id, secret


def authenticate_request(rt: Runtime, authorization: str, form: Mapping[str, str]) -> Client:
    """The client a request's Authorization header (or form fields) authenticates."""
    return authenticate(rt, *credentials(authorization, form))


# -- registration by a Master user -----------------------------------------------------------------
def parse_redirect_uris(settings: Settings, text: str, field: str = "redirect_uris",
                        required: bool = True) -> tuple[str, ...]:
    """One URI per line: https (http://localhost on a local stage); no fragment or credentials."""
    uris: list[str] = []
    for line in text.splitlines():
        uri = line.strip()
        if not uri or uri in uris:
            continue
        if len(uri) > MAX_URI_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in uri):
            raise InvalidInput(f"{uri[:80]} is not a valid redirect URI.", field=field)
        parts = urlsplit(uri)
        local = (
            parts.scheme == "http"
            and parts.hostname == "localhost"
            and settings.stage in LOCAL_STAGES
        )
        if not (parts.scheme == "https" or local) or not parts.hostname:
            raise InvalidInput(
                f"{uri} must use https (http://localhost only on a local stage).", field=field
            )
        if parts.fragment or "#" in uri or "@" in parts.netloc:
            raise InvalidInput(f"{uri} must not contain a fragment or credentials.", field=field)
        uris.append(uri)
    if required and not uris:
        raise InvalidInput("Enter at least one redirect URI.", field=field)
    if len(uris) > MAX_REDIRECT_URIS:
        raise InvalidInput(f"At most {MAX_REDIRECT_URIS} redirect URIs.", field=field)
    return tuple(uris)


def register(rt: Runtime, actor: HubUser, name: str, redirect_uris_text: str,
             post_logout_uris_text: str = "") -> tuple[Client, str]:
    """A new client of the actor's company; returns it with its secret (shown only this once).

    Post-logout URIs are a list of their own (none by default): a sign-in callback is never a
    place the end-session endpoint may send a browser to.
    """
    if not can(actor, "client.register"):
        raise Forbidden()
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"Give the client a name of 1–{MAX_NAME_LENGTH} characters.",
                           field="name")
    uris = parse_redirect_uris(rt.settings, redirect_uris_text)
    post_logout = parse_redirect_uris(rt.settings, post_logout_uris_text,
                                      field="post_logout_redirect_uris", required=False)
    secret = rt.random.token(32)
    record = RegisteredClient(
        client_id=REGISTERED_PREFIX + rt.random.hex(12),
        company_id=actor.company_id,
        name=name,
        redirect_uris=uris,
        secret_hash=passwords.hash_secret(secret),
        created_at=rt.clock.now(),
        created_by=actor.username,
        post_logout_redirect_uris=post_logout,
    )
    store.create_client(record)
    client = _from_record(record)
    directory(rt).remember(client)
    return client, secret


def seal_secret(rt: Runtime, actor: HubUser, client: Client, secret: str) -> str:
    """A new client's secret sealed for the registering user's next page (it is never stored)."""
    sealed = rt.box.encrypt(secret.encode(), _reveal_context(actor, client.client_id))
    return rt.signer.sign(REVEAL_PURPOSE, {"c": client.client_id, "u": actor.user_id,
                                           "s": sealed}, REVEAL_FOR)


def reveal_secret(rt: Runtime, actor: HubUser, token: str) -> tuple[Client, str] | None:
    """The client and secret a sealed token carries, for the user who registered it; else None."""
    try:
        data = rt.signer.unsign(REVEAL_PURPOSE, token)
        if data.get("u") != actor.user_id or not can(actor, "client.list"):
            return None
        client_id = str(data.get("c", ""))
        secret = rt.box.decrypt(str(data.get("s", "")), _reveal_context(actor, client_id))
    except (BadSignature, SecretUnreadable):
        return None
    client = find(rt, client_id)
    if client is None or client.company_id != actor.company_id:
        return None
    return client, secret.decode()


def _reveal_context(actor: HubUser, client_id: str) -> str:
    return f"{REVEAL_PURPOSE}:{actor.user_id}:{client_id}"


def company_clients(rt: Runtime, actor: HubUser) -> list[Client]:
    """The clients a Master sees: the built-in modules, then the company's own (no secrets)."""
    if not can(actor, "client.list"):
        raise Forbidden()
    registered = sorted(store.clients_of_company(actor.company_id), key=lambda c: c.created_at)
    return builtin_clients(rt.settings) + [_from_record(r) for r in registered]


AUTHORIZE_PATH = "/hub/oidc/authorize"


def return_address(rt: Runtime, next_path: str) -> str | None:
    """Where the authorize request a login resumes will send the browser: the redirect URI it
    names, when that client registered it exactly; else None."""
    parts = urlsplit(next_path)
    if parts.path != AUTHORIZE_PATH:
        return None
    query = parse_qs(parts.query)
    client = find(rt, (query.get("client_id") or [""])[0])
    uri = (query.get("redirect_uri") or [""])[0]
    return uri if client is not None and uri in client.redirect_uris else None
