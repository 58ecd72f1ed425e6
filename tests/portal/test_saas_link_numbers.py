"""Linking a customer: the organization number is ASCII digits of bounded length, else the form's
400 (unicode digits once broke `int()` with a 500)."""

from __future__ import annotations

import pytest

from chalicelib.storage.portal import saas_customers as saas_store
from tests.portal.helpers import log_in, make_partner
from tests.web_client import WebClient


@pytest.mark.parametrize("organization_id", ["\u00b9", "\u0661\u0660", "9" * 39, "1" * 5000,
                                             "-1", "", " 1"])
def test_an_organization_number_that_is_not_ascii_digits_is_the_forms_400(
    client: WebClient, organization_id: str
) -> None:
    partner = make_partner()
    log_in(client, partner.admin.username)
    unlinked = partner.customers[1]
    client.get("/portal/saas")

    reply = client.post(f"/portal/saas/{unlinked.saas_customer_id}/link",
                        {"organization_id": organization_id})

    assert reply.status == 400 and "Choose an organization to link." in reply.text
    stored = saas_store.get_customer(partner.company.company_id, unlinked.saas_customer_id)
    assert stored.organization_id is None
