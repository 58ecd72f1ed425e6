"""Hub demo data: the MSP "Acme MSP" with a Master (alice) and two users (bob, carol)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth import names
from chalicelib.auth.hub import accounts, totp
from chalicelib.errors import AlreadyExists
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import companies as company_store
from chalicelib.storage.hub import users as user_store
from chalicelib.storage.hub.companies import HubCompany

ORDER = 0
COMPANY = "Acme MSP"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    password: str
    enrolled: bool
    modules: tuple[str, ...]

    @property
    def email(self) -> str:
        return f"{self.username}@acme-msp.example"


# Demo passwords are fixed so every run can print them; this data never leaves the machine.
USERS = (
    DemoUser("alice", "Alice Archer", "Master", "acme-alice-demo", True, ("portal", "itdocs")),
    DemoUser("bob", "Bob Baker", "User", "acme-bob-demo", True, ("portal", "itdocs")),
    DemoUser("carol", "Carol Chen", "User", "acme-carol-demo", False, ("portal", "itdocs")),
)


def demo_company(rt: Runtime) -> HubCompany:
    """The demo company, created on first use."""
    existing = company_store.company_by_name_key(names.name_key(COMPANY))
    if existing is not None:
        return existing
    try:
        return accounts.create_company(rt, COMPANY)
    except AlreadyExists:  # another loader created it since the lookup
        found = company_store.company_by_name_key(names.name_key(COMPANY))
        assert found is not None
        return found


def ensure_user(rt: Runtime, company: HubCompany, demo: DemoUser) -> bool:
    """Create a missing demo user (enrolled in TOTP if it should be); True when created."""
    if user_store.user_by_login(names.login_key(company.name, demo.username)) is not None:
        return False
    try:
        user = accounts.create_user_at_setup(
            rt, company, username=demo.username, email=demo.email, name=demo.name,
            password=demo.password, role=demo.role, modules=list(demo.modules),
        )
    except AlreadyExists:
        return False
    if demo.enrolled:
        secret = totp.new_secret()
        user_store.update_user(
            user.user_id,
            totp_secret=rt.box.encrypt(secret.encode(), f"totp:{user.user_id}"),
        )
    return True


def load(rt: Runtime) -> list[str]:
    """Create what is missing; returns the logins to print."""
    company = demo_company(rt)
    created = [demo.username for demo in USERS if ensure_user(rt, company, demo)]
    state = f"created {', '.join(created)}" if created else "found from an earlier run"
    lines = [f'Hub ({rt.settings.base_url}/hub/login), Company Name "{company.name}" ({state}):']
    for demo in USERS:
        mfa = "2FA enrolled" if demo.enrolled else "sets up 2FA at first login"
        lines.append(f"  {demo.username:<6} password {demo.password:<16} {demo.role}, {mfa}")
    return lines
