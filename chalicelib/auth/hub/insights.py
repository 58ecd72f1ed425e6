"""Insights the linked modules publish to the hub, and the dashboard's view of them.

A module sends its whole current list for one hub company; the hub keeps the latest list per
(company, module), writes nothing when it is unchanged, and shows it only to that company's users.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.auth.hub import modules
from chalicelib.auth.hub.oidc.clients import Client
from chalicelib.auth.hub.policy import MODULES, can
from chalicelib.errors import Forbidden, InvalidInput
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import insights as store
from chalicelib.storage.hub.insights import StoredInsight
from chalicelib.storage.hub.users import HubUser

SEVERITIES = ("warning", "info")
MAX_INSIGHTS = 20
LIMITS = {"kind": 64, "title": 200, "detail": 1000}
_KIND = re.compile(r"^[a-z0-9_.-]+$")


@dataclass(frozen=True)
class DashboardInsight:
    module: str
    module_title: str
    kind: str
    title: str
    detail: str
    severity: str


def parse(items: Any) -> list[StoredInsight]:
    """Checked insights from a module's JSON list (InvalidInput says what is wrong)."""
    if not isinstance(items, list) or len(items) > MAX_INSIGHTS:
        raise InvalidInput(f"Send a list of at most {MAX_INSIGHTS} insights.")
    parsed: list[StoredInsight] = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidInput("Each insight is an object.")
        values = {name: item.get(name) for name in (*LIMITS, "severity")}
        for name, limit in LIMITS.items():
            value = values[name]
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                raise InvalidInput(f"Each insight needs a {name} of 1–{limit} characters.")
        if not _KIND.match(str(values["kind"])):
            raise InvalidInput("An insight kind is lower-case letters, digits, '.', '_' or '-'.")
        if values["severity"] not in SEVERITIES:
            raise InvalidInput("An insight's severity is info or warning.")
        parsed.append(StoredInsight(**{k: str(v).strip() for k, v in values.items()}))
    return parsed


def fingerprint(insights: list[StoredInsight]) -> str:
    text = json.dumps([vars(i) for i in insights], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def publish(rt: Runtime, client: Client, module: str, *, hub_company_id: str,
            items: Any) -> bool:
    """Replace the module's insights for a company it is linked to; True when they changed."""
    company = modules.linked_company(client, module, hub_company_id)
    insights = parse(items)
    return store.replace_insights(company.company_id, module, insights, fingerprint(insights),
                                  rt.clock.now())


def for_dashboard(actor: HubUser, linked: dict[str, Any]) -> list[DashboardInsight]:
    """The actor's company's insights from still-linked modules, warnings first."""
    if not can(actor, "module.use"):
        raise Forbidden()
    shown = [
        DashboardInsight(record.module, MODULES[record.module], i.kind, i.title, i.detail,
                         i.severity)
        for record in store.insights_of_company(actor.company_id)
        if record.module in MODULES and record.module in linked
        for i in record.insights
    ]
    return sorted(shown, key=lambda i: (SEVERITIES.index(i.severity), i.module_title))
