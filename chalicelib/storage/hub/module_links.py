"""A module linked to or unlinked from a hub company, with its audit entry, in one transaction
(unlinking also forgets the module's insights there)."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import NotFound
from chalicelib.storage.hub.audit import Audited, save_audited
from chalicelib.storage.hub.companies import HubCompanyModel, module_action
from chalicelib.storage.hub.insights import HubInsightModel
from chalicelib.storage.transactions import Transaction, write_transaction


def set_company_module_audited(company_id: str, module: str, link: dict[str, Any] | None,
                               audited: Audited) -> None:
    """Link (or unlink, with None: its insights go too) a module tenant to the hub company, with
    the audit entry, in one transaction. A missing company is NotFound, and nothing is written."""
    def write(tx: Transaction) -> None:
        tx.update(HubCompanyModel(company_id), actions=[module_action(module, link)],
                  condition=HubCompanyModel.company_id.exists())
        if link is None:
            tx.delete(HubInsightModel(company_id, module))
        save_audited(tx, audited)

    if write_transaction(write):
        raise NotFound("No such company.")
