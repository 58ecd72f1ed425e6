"""SaaS Protection vocabulary: products, seat types, applications, states (case-sensitive)."""

from __future__ import annotations

OFFICE365 = "Office365"
GOOGLE_WORKSPACE = "GoogleWorkspace"
PRODUCTS = {OFFICE365: "Microsoft 365", GOOGLE_WORKSPACE: "Google Workspace"}
SUBSCRIPTION_PREFIX = {OFFICE365: "Classic:Office365:", GOOGLE_WORKSPACE: "Classic:GoogleApps:"}
RETENTION_TYPES = ("ICR", "TBR")  # infinite cloud retention, time-based retention

ACTIVE, PAUSED, ARCHIVED, UNPROTECTED = "Active", "Paused", "Archived", "Unprotected"
SEAT_STATES = (ACTIVE, PAUSED, ARCHIVED, UNPROTECTED)

# Seat types per product, and the applications (services) each seat type is backed up through.
SEAT_APPS: dict[str, dict[str, tuple[str, ...]]] = {
    OFFICE365: {
        "User": ("Office365Exchange", "Office365OneDrive"),
        "SharedMailbox": ("Office365Exchange",),
        "Site": ("Office365SharePoint",),
        "TeamSite": ("Office365SharePoint",),
        "Team": ("Office365Teams",),
    },
    GOOGLE_WORKSPACE: {
        "User": ("GoogleGmail", "GoogleDrive", "GoogleContacts", "GoogleCalendar"),
        "SharedDrive": ("GoogleSharedDrive",),
    },
}
APP_TYPES: dict[str, tuple[str, ...]] = {
    OFFICE365: ("Office365Exchange", "Office365OneDrive", "Office365SharePoint", "Office365Teams"),
    GOOGLE_WORKSPACE: ("GoogleGmail", "GoogleDrive", "GoogleSharedDrive", "GoogleContacts",
                       "GoogleCalendar"),
}
APP_NAMES = {
    "Office365Exchange": "Exchange", "Office365OneDrive": "OneDrive",
    "Office365SharePoint": "SharePoint", "Office365Teams": "Teams", "GoogleGmail": "Gmail",
    "GoogleDrive": "Drive", "GoogleSharedDrive": "Shared Drive", "GoogleContacts": "Contacts",
    "GoogleCalendar": "Calendar",
}
ALL_SEAT_TYPES = frozenset(t for types in SEAT_APPS.values() for t in types)
BACKUP_STATUSES = ("Perfect", "Good", "Fair", "Poor", "Unknown")


def seat_apps(product_type: str, seat_type: str) -> tuple[str, ...]:
    """The applications a seat of this type is protected through (empty for an unknown type)."""
    return SEAT_APPS.get(product_type, {}).get(seat_type, ())
