"""The shared rules: who must use the hub, and the signed tenant choice."""

from __future__ import annotations

import pytest

from chalicelib.auth.sso import exemptions, tenant_choice
from chalicelib.auth.sso.exemptions import RequirePolicy
from chalicelib.errors import LoginFailed, NotAuthenticated

POLICY = RequirePolicy(True, frozenset({"u-exc"}), frozenset({"Security Admin", "Primary"}))


@pytest.mark.parametrize(("account_id", "role", "several", "must"), [
    ("u1", "Security Admin", False, False),
    ("u2", "Primary", False, False),
    ("u-exc", "Technician", False, False),
    ("u3", "Technician", True, False),
    ("u4", "Technician", False, True),
    ("u5", "Administrator", False, True),
])
def test_who_must_use_the_hub_when_it_is_required(account_id, role, several, must):
    assert exemptions.must_use_hub(POLICY, account_id=account_id, role=role,
                                   email_in_several_tenants=several) is must


def test_nobody_must_use_the_hub_when_it_is_not_required():
    off = RequirePolicy(False, frozenset(), POLICY.always_exempt_roles)
    assert not exemptions.must_use_hub(off, account_id="u4", role="Technician",
                                       email_in_several_tenants=False)


def test_the_reason_names_the_exemption():
    assert exemptions.exemption(POLICY, account_id="u3", role="Technician",
                                email_in_several_tenants=True) == exemptions.SEVERAL_TENANTS
    assert exemptions.exemption(POLICY, account_id="u-exc", role="Technician",
                                email_in_several_tenants=False) == exemptions.USER_EXCEPTION


def test_only_an_offered_account_can_be_picked(aws):
    cookie = tenant_choice.seal(aws, "portal", ["a", "b"], "/portal/saas")
    assert tenant_choice.pick(aws, "portal", cookie, "b") == ("b", "/portal/saas")
    with pytest.raises(LoginFailed):
        tenant_choice.pick(aws, "portal", cookie, "c")
    with pytest.raises(NotAuthenticated):
        tenant_choice.pick(aws, "itdocs", cookie, "a")  # sealed for another module
    with pytest.raises(NotAuthenticated):
        tenant_choice.pick(aws, "portal", cookie.replace(".", "x.", 1), "a")


def test_an_expired_choice_is_refused(aws, frozen_time):
    cookie = tenant_choice.seal(aws, "portal", ["a"], "/portal/")
    frozen_time.advance(seconds=tenant_choice.MAX_AGE + 1)
    with pytest.raises(NotAuthenticated):
        tenant_choice.pick(aws, "portal", cookie, "a")
