"""The OIDC clients registered with the hub (secrets only as hashes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists
from chalicelib.storage.base import is_condition_failure, translated


class ClientByCompany(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_company"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class HubOidcClientModel(Model):
    class Meta:
        logical_name = "hub_oidc_clients"
        table_name = "hub_oidc_clients"

    client_id = UnicodeAttribute(hash_key=True)
    company_id = UnicodeAttribute()
    name = UnicodeAttribute()
    redirect_uris = ListAttribute(of=UnicodeAttribute)  # type: ignore[var-annotated]
    # registered apart from redirect_uris: where the hub may send a browser after logout
    post_logout_redirect_uris = ListAttribute(  # type: ignore[var-annotated]
        of=UnicodeAttribute, null=True)
    secret_hash = UnicodeAttribute()  # argon2id
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    by_company = ClientByCompany()


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    company_id: str
    name: str
    redirect_uris: tuple[str, ...]
    secret_hash: str
    created_at: dt.datetime
    created_by: str
    post_logout_redirect_uris: tuple[str, ...] = ()


def _client(m: HubOidcClientModel) -> RegisteredClient:
    return RegisteredClient(
        client_id=m.client_id,
        company_id=m.company_id,
        name=m.name,
        redirect_uris=tuple(m.redirect_uris or ()),  # type: ignore[arg-type]
        secret_hash=m.secret_hash,
        created_at=m.created_at,
        created_by=m.created_by,
        post_logout_redirect_uris=tuple(
            m.post_logout_redirect_uris or ()),  # type: ignore[arg-type]
    )


def create_client(client: RegisteredClient) -> None:
    model = HubOidcClientModel(
        client.client_id,
        company_id=client.company_id,
        name=client.name,
        redirect_uris=list(client.redirect_uris),
        post_logout_redirect_uris=list(client.post_logout_redirect_uris) or None,
        secret_hash=client.secret_hash,
        created_at=client.created_at,
        created_by=client.created_by,
    )
    try:
        with translated():
            model.save(condition=HubOidcClientModel.client_id.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise AlreadyExists("client id collision") from exc
        raise


def get_client(client_id: str) -> RegisteredClient | None:
    try:
        with translated():
            return _client(HubOidcClientModel.get(client_id))
    except HubOidcClientModel.DoesNotExist:
        return None


def clients_of_company(company_id: str) -> list[RegisteredClient]:
    with translated():
        return [_client(m) for m in HubOidcClientModel.by_company.query(company_id)]
