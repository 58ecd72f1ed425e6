"""SaaS Protection words the sync reads: products, seat states, and the services each seat covers.

Case-sensitive, as the REST API sends them. Values not listed here are logged by the sync and
treated as not protected (states) or as covering no service (seat types).
"""

from __future__ import annotations

OFFICE365 = "Office365"
GOOGLE_WORKSPACE = "GoogleWorkspace"
PRODUCT_NAMES = {OFFICE365: "Microsoft 365", GOOGLE_WORKSPACE: "Google Workspace"}

ACTIVE = "Active"
SEAT_STATES = (ACTIVE, "Paused", "Archived", "Unprotected")

# Services per product, in the order the card lists them (the contract's table).
SERVICES: dict[str, tuple[str, ...]] = {
    OFFICE365: ("Exchange", "OneDrive", "SharePoint", "Teams"),
    GOOGLE_WORKSPACE: ("Gmail", "Google Drive", "Google Shared Drive", "Google Contacts",
                       "Google Calendar"),
}
SEAT_SERVICES: dict[str, dict[str, tuple[str, ...]]] = {
    OFFICE365: {
        "User": ("Exchange", "OneDrive"),
        "SharedMailbox": ("Exchange",),
        "Site": ("SharePoint",),
        "TeamSite": ("SharePoint",),
        "Team": ("Teams",),
    },
    GOOGLE_WORKSPACE: {
        "User": ("Gmail", "Google Drive", "Google Contacts", "Google Calendar"),
        "SharedDrive": ("Google Shared Drive",),
    },
}


def product_name(product: str) -> str:
    """The product as users know it (the raw value when unknown)."""
    return PRODUCT_NAMES.get(product, product or "Unknown product")


def seat_services(product: str, seat_type: str) -> tuple[str, ...]:
    """The services a seat of this type is backed up through (none for an unknown type)."""
    return SEAT_SERVICES.get(product, {}).get(seat_type, ())


def is_known_state(state: str) -> bool:
    return state in SEAT_STATES


def is_known_seat_type(product: str, seat_type: str) -> bool:
    return seat_type in SEAT_SERVICES.get(product, {})
