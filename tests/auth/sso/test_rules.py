"""The shared rules: who must use the hub, and the signed tenant choice."""

from __future__ import annotations

import pytest

from chalicelib.auth.sso import exemptions, tenant_choice
from chalicelib.auth.sso.exemptions import RequirePolicy
from chalicelib.errors import LoginFailed, NotAuthenticated

POLICY = RequirePolicy(True, frozenset({"u-exc"}), frozenset({"Security Admin", "Primary"}))


@pytest.mark.parametrize(("account_id", "role", "must"), [
    ("u1", "Security Admin", False),
    ("u2", "Primary", False),
    ("u-exc", "Technician", False),
    ("u4", "Technician", True),
    ("u5", "Administrator", True),
])
def test_who_must_use_the_hub_when_it_is_required(account_id, role, must):
    assert exemptions.must_use_hub(POLICY, account_id=account_id, role=role) is must


def test_nobody_must_use_the_hub_when_it_is_not_required():
    off = RequirePolicy(False, frozenset(), POLICY.always_exempt_roles)
    assert not exemptions.must_use_hub(off, account_id="u4", role="Technician")


def test_the_reason_names_the_exemption():
    assert exemptions.exemption(POLICY, account_id="u1", role="Primary") == "Primary"
    assert exemptions.exemption(POLICY, account_id="u-exc",
                                role="Technician") == exemptions.USER_EXCEPTION
    assert exemptions.exemption(POLICY, account_id="u4", role="Technician") is None


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
