"""Disable Login with Hub, finished at the hub: the portal tick asks the hub to forget the link.

Disable unlinks the partner company in the portal at once and, in the same transaction, lists it
as unlinking on its hub link's record and marks its settings pending (storage `unlink_company`),
so the request never waits on the hub and a hub outage loses nothing. The tick (every five
minutes) then settles each hub link with companies unlinking: when no partner company is linked
through it any more, it asks the hub to unlink the module (tried again at every tick until the
hub confirms: an error leaves everything pending); while another partner still uses the link,
the hub keeps it. Either way the companies' pending marks are cleared with the record's list in
one transaction, so a confirmed unlink is never sent again (a crash between the hub's answer and
that write sends it once more, which the hub takes as done).
"""

from __future__ import annotations

from chalicelib import logs
from chalicelib.auth.sso import hub_services
from chalicelib.errors import LinkhubError, NotFound, UpstreamError
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import security_settings as security_store
from chalicelib.storage.portal.insights import Publication

MODULE = "portal"


class UnlinkNotConfirmed(UpstreamError):
    """The hub did not confirm the unlink (it failed, refused or did not answer): still pending."""


def settle(rt: Runtime, publication: Publication, still_linked: bool) -> bool:
    """Finish the unlinks the hub link's record lists; True when the hub was asked and confirmed.
    UnlinkNotConfirmed (the tick tries again) leaves everything pending."""
    if not publication.unlinking:
        return False
    if not still_linked:
        _unlink_at_hub(rt, publication.hub_company_id)
    security_store.unlink_confirmed(publication.hub_link_key, publication.unlinking)
    logs.event("hub_unlink_settled", hub_company_id=publication.hub_company_id,
               companies=len(publication.unlinking), hub_unlinked=not still_linked)
    return not still_linked


def _unlink_at_hub(rt: Runtime, hub_company_id: str) -> None:
    """The hub forgets the module's link; a hub company it no longer knows has none to forget."""
    try:
        hub_services.unlink_module(rt, MODULE, hub_company_id=hub_company_id)
    except NotFound:
        logs.event("hub_unlink_company_unknown", hub_company_id=hub_company_id)
    except LinkhubError as error:
        raise UnlinkNotConfirmed(f"The hub did not confirm the unlink: {error}") from error
