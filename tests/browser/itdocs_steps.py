"""IT Docs steps as a person does them in a browser, shared by the browser tests: signed in,
then SaaS Protection connected with a partner's API key on Account > Integrations > + New."""

from __future__ import annotations

from playwright.sync_api import Page

from chalicelib.itdocs import sessions
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs.users import User
from tests.portal.helpers import Partner


def connect_saas_protection(page: Page, rt: Runtime, base_url: str, user: User,
                            partner: Partner) -> None:
    """Sign `user` in and submit the connect form with the partner's keys (the page then shows
    how the key check ended)."""
    token, _ = sessions.start(rt, user)
    page.context.add_cookies([{"name": "lh_itdocs_session", "value": token, "url": base_url}])
    page.goto("/itdocs/account/integrations/new/saas-protection")
    page.get_by_label("SaaS Protection API Public Key").fill(partner.public_key)
    page.get_by_label("SaaS Protection API Secret Key").fill(partner.secret)
    page.get_by_role("button", name="Connect").click()
