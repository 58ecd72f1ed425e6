"""The scheduled rotation of the hub's signing keys, driven through the handler app.py registers."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import jwt
import pytest
from chalice.test import TestEventsClient as EventsClient

from chalicelib.auth.hub.oidc import keys
from tests.auth.hub.helpers import log_in
from tests.auth.hub.oidc.flow import Rp, signed_in, verify_id_token

ROOT = Path(__file__).resolve().parents[4]


def _scheduled_tick() -> None:
    import app

    event = EventsClient(app.app).generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/signing_key_rotation"])
    app.signing_key_rotation(event, None)


def _published(client) -> list[str]:
    return [k["kid"] for k in client.get("/hub/oidc/jwks").json["keys"]]


def _id_token(client) -> str:
    rp = Rp.builtin()
    return rp.token(client, rp.code(client)).json["id_token"]


def test_the_schedule_rotates_and_an_old_token_dies_when_its_key_is_retired(client, frozen_time,
                                                                            aws):
    account = signed_in(client)
    first_kid = jwt.get_unverified_header(_id_token(client))["kid"]
    _scheduled_tick()  # a fresh key is not rotated
    assert _published(client) == [first_kid]

    frozen_time.advance(days=91)
    assert log_in(client, account).status == 303
    old_token = _id_token(client)  # signed just before the rotation
    assert jwt.get_unverified_header(old_token)["kid"] == first_kid
    _scheduled_tick()
    published = _published(client)
    assert published[0] != first_kid and published[1:] == [first_kid]  # previous still published
    assert verify_id_token(client, old_token, audience="portal")["sub"]
    assert keys.verify(aws, old_token)["aud"] == "portal"
    assert jwt.get_unverified_header(_id_token(client))["kid"] == published[0]

    frozen_time.advance(days=91)
    _scheduled_tick()
    assert first_kid not in _published(client)  # retired: a relying party can no longer find it
    with pytest.raises(keys.InvalidIdToken):
        keys.verify(aws, old_token)
    hinted = client.get("/hub/oidc/logout?" + urlencode({"id_token_hint": old_token}))
    assert hinted.status == 400


def test_the_rotation_is_scheduled_in_the_packaged_app():
    import app

    (source,) = [s for s in app.app.event_sources if s.name == "signing_key_rotation"]
    assert source.schedule_expression.to_string() == "rate(1 day)"
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    function = config["stages"]["prod"]["lambda_functions"]["signing_key_rotation"]
    assert function["reserved_concurrency"] == 1
    policy = (ROOT / ".chalice" / function["iam_policy_file"]).read_text()
    assert "TableHubOidcKeys" in policy and "kms:Decrypt" in policy
