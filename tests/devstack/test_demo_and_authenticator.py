"""Demo data for `make run` and the command-line authenticator that logs a person in."""

from __future__ import annotations

from chalicelib.auth import names
from chalicelib.storage.hub import users as store
from devstack import authenticator, demo
from devstack.demo import hub as hub_demo


def demo_user(username):
    return store.user_by_login(names.login_key(hub_demo.COMPANY, username))


def test_hub_loader_runs_first_and_prints_each_login_with_its_password(aws):
    assert demo.loaders()[0] is hub_demo
    lines = "\n".join(demo.load_all(aws))
    assert '"Acme MSP"' in lines
    for user in hub_demo.USERS:
        assert user.username in lines and user.password in lines


def test_demo_company_has_alice_master_and_two_users_with_carol_not_enrolled(aws):
    hub_demo.load(aws)
    alice, bob, carol = demo_user("alice"), demo_user("bob"), demo_user("carol")
    assert (alice.role, bob.role, carol.role) == ("Master", "User", "User")
    assert [u.email for u in (alice, bob, carol)] == [
        "alice@acme-msp.example", "bob@acme-msp.example", "carol@acme-msp.example"]
    assert alice.totp_secret and bob.totp_secret and not carol.totp_secret
    assert alice.totp_secret.startswith("v1l:")  # stored encrypted


def test_loading_twice_keeps_the_first_runs_accounts(aws):
    assert "created alice, bob, carol" in hub_demo.load(aws)[0]
    first = demo_user("alice")
    assert "found from an earlier run" in hub_demo.load(aws)[0]
    again = demo_user("alice")
    assert (again.user_id, again.totp_secret) == (first.user_id, first.totp_secret)
    assert len(list(store.users_of_company(first.company_id))) == 3


def test_a_demo_user_logs_in_with_the_printed_password_and_the_authenticators_code(aws, client):
    hub_demo.load(aws)
    code, seconds_left = authenticator.totp_code(aws, "Acme MSP", "bob")
    assert 0 < seconds_left <= 30

    client.get("/hub/login")
    client.post("/hub/login", {"username": "bob", "company": "acme msp"})
    client.get("/hub/login/password")
    client.post("/hub/login/password", {"password": "acme-bob-demo"})
    client.get("/hub/login/verify")
    reply = client.post("/hub/login/verify", {"code": code}, follow=True)
    assert reply.status == 200 and "My Modules" in reply.text


def test_authenticator_gives_the_enrollment_code_while_carol_is_enrolling(aws, client):
    hub_demo.load(aws)
    assert authenticator.main(["totp", "--company", "Acme MSP", "--user", "carol"], aws) == 1

    client.get("/hub/login")
    client.post("/hub/login", {"username": "carol", "company": "Acme MSP"})
    client.get("/hub/login/password")
    client.post("/hub/login/password", {"password": "acme-carol-demo"})
    client.get("/hub/login/enroll")
    code, _ = authenticator.totp_code(aws, "Acme MSP", "carol")
    reply = client.post("/hub/login/enroll", {"code": code}, follow=True)
    assert "My Modules" in reply.text


def test_authenticator_command_prints_the_code_and_refuses_unknown_users(aws, capsys):
    hub_demo.load(aws)
    assert authenticator.main(["totp", "--company", "Acme MSP", "--user", "alice"], aws) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.isdigit() and len(printed) == 6
    assert printed == authenticator.totp_code(aws, "Acme MSP", "alice")[0]

    assert authenticator.main(["totp", "--company", "Acme MSP", "--user", "zed"], aws) == 1
    assert "No hub user 'zed'" in capsys.readouterr().err


def test_a_failing_loader_is_reported_and_the_others_still_load(aws, tmp_path, monkeypatch):
    broken = tmp_path / "broken_demo.py"
    broken.write_text("ORDER = 99\n\ndef load(rt):\n    raise ValueError('no seats')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(demo, "__path__", [*demo.__path__, str(tmp_path)])

    lines = demo.load_all(aws)

    assert any("created alice" in line for line in lines)
    assert lines[-1] == "!!! devstack.demo.broken_demo.load failed: ValueError: no seats"
