"""`make run`'s environment and what it prints."""

from __future__ import annotations

from devstack import dynamodb_local, environment, run


def test_dev_environment_points_every_process_at_the_local_stack_and_never_at_aws():
    env = environment.dev_environment({"AWS_PROFILE": "prod-admin", "AWS_SESSION_TOKEN": "t",
                                       "LINKHUB_KMS_KEY_ID": "k", "PATH": "/bin"})
    assert env["LINKHUB_DYNAMODB_ENDPOINT"] == "http://127.0.0.1:8001"
    assert env["LINKHUB_TABLE_PREFIX"] == "linkhub-dev-"
    assert env["LINKHUB_LOCAL_KEY_FILE"] == ".devstack/local.key"
    assert env["PATH"] == "/bin"
    assert not {"AWS_PROFILE", "AWS_SESSION_TOKEN", "LINKHUB_KMS_KEY_ID"} & set(env)


def test_dev_settings_find_the_key_file_from_any_directory():
    found = environment.dev_settings()
    assert found.local_key_file == str(environment.ROOT / ".devstack" / "local.key")
    assert found.base_url == "http://localhost:8000"


def test_banner_lists_the_urls_the_demo_logins_and_the_authenticator():
    stack = run.Stack(notes=["DynamoDB Local on port 8001"])
    text = run.banner(stack, ['Hub, Company Name "Acme MSP":', "  alice password x"])
    for expected in ("http://localhost:8000/hub/login", "http://localhost:8000/portal/",
                     "http://localhost:8000/api/v1/", "http://localhost:8025/",
                     "alice password x", "devstack.authenticator totp", "Ctrl-C"):
        assert expected in text


def test_the_local_stack_sends_mail_to_the_mail_catcher():
    found = environment.dev_settings()
    assert (found.smtp_host, found.smtp_port) == ("127.0.0.1", environment.SMTP_PORT)


def test_make_run_starts_the_mail_catcher_and_stops_it():
    stack = run.Stack()
    smtp, inbox = dynamodb_local.free_port(), dynamodb_local.free_port()
    run.start_mail_catcher(stack, smtp, inbox)
    try:
        assert stack.mail is not None and run.port_in_use(smtp) and run.port_in_use(inbox)
    finally:
        stack.stop()
    assert stack.mail is None and not run.port_in_use(smtp) and not run.port_in_use(inbox)
