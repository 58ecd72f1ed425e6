"""RFC 9207 on the relying party: a callback without `iss` is refused when the hub's metadata says
it sends one (the mix-up attack's forged response lacks it), and accepted only from a hub that
does not advertise it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from chalicelib import runtime
from chalicelib.auth.sso import relying_party
from chalicelib.errors import LoginFailed
from chalicelib.outbound import HttpResponse
from tests.auth.hub.helpers import log_in, make_account
from tests.auth.sso.helpers import callback_query, use_loopback
from tests.fakes import use_transport
from tests.loopback import LoopbackTransport

ADVERTISED = "authorization_response_iss_parameter_supported"


class HubWithoutRfc9207:
    """The hub as an older one would answer: its discovery document does not advertise `iss`."""

    def __init__(self, inner: LoopbackTransport) -> None:
        self._inner = inner

    def request(self, method: str, url: str, **kwargs) -> HttpResponse:
        reply = self._inner.request(method, url, **kwargs)
        if url.endswith("/.well-known/openid-configuration"):
            document = json.loads(reply.body)
            document.pop(ADVERTISED, None)
            return replace(reply, body=json.dumps(document).encode())
        return reply


@pytest.fixture
def hub_browser(client):
    loopback = use_loopback()
    account = make_account(company_name="Mixup MSP", username="mia")
    assert log_in(client, account).status == 303
    return client, loopback


def test_the_hub_advertises_rfc_9207(hub_browser):
    assert relying_party.directory(runtime.current()).metadata()[ADVERTISED] is True


def test_a_callback_without_iss_is_refused_when_the_hub_advertises_it(hub_browser, aws):
    browser, loopback = hub_browser
    query, cookie = callback_query(browser)
    assert query["iss"] == aws.settings.hub_issuer
    stripped = {k: v for k, v in query.items() if k != "iss"}
    with pytest.raises(LoginFailed):
        relying_party.finish(aws, "portal", query=stripped, state_cookie=cookie)
    assert not any(path == "/hub/oidc/token" for _, path in loopback.requests)  # never redeemed
    for forged in ("", "https://evil.example/hub", aws.settings.hub_issuer + "/"):
        with pytest.raises(LoginFailed):
            relying_party.finish(aws, "portal", query={**query, "iss": forged},
                                 state_cookie=cookie)
    identity = relying_party.finish(aws, "portal", query=query, state_cookie=cookie)
    assert identity.issuer == aws.settings.hub_issuer


def test_an_error_response_without_iss_is_refused_too(hub_browser, aws):
    _, cookie = relying_party.start(aws, "portal", return_to="/portal/")
    state = aws.signer.unsign("sso-state:portal", cookie)["s"]
    with pytest.raises(LoginFailed) as refused:
        relying_party.finish(aws, "portal", query={"state": state, "error": "access_denied"},
                             state_cookie=cookie)
    assert "did not sign you in" not in refused.value.message  # not believed without `iss`


def test_a_hub_that_does_not_advertise_it_may_omit_iss(hub_browser, aws):
    browser, loopback = hub_browser
    use_transport(aws, HubWithoutRfc9207(loopback))
    query, cookie = callback_query(browser)
    stripped = {k: v for k, v in query.items() if k != "iss"}
    assert relying_party.finish(aws, "portal", query=stripped, state_cookie=cookie).subject
