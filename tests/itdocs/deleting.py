"""A Match To that meets a deletion at the worst moment, made deterministic for the tests."""

from __future__ import annotations

from chalicelib.itdocs import organization_deletion
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.organizations import Organization
from chalicelib.runtime import Runtime
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import Tenant


class DeletesWhileMatching:
    """The acting user of a Match To that, the moment it has looked the organization up, sees the
    organization deleted by an Administrator: the worst interleaving, made deterministic."""

    def __init__(self, rt: Runtime, tenant: Tenant) -> None:
        self._inner = as_user(rt, tenant.manager)
        self._rt, self._admin = rt, ItDocsUser.of(tenant.admin)
        self.account_id, self.name = self._inner.account_id, self._inner.name
        self.require = self._inner.require
        self.organizations = self._inner.organizations
        self.create_organization = self._inner.create_organization
        self.integration_read = self._inner.integration_read
        self.customer_read = self._inner.customer_read

    def organization(self, organization_id: str) -> Organization:
        found = self._inner.organization(organization_id)
        organization_deletion.delete(self._rt, self._admin, organization_id)
        return found
