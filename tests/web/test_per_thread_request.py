"""Requests served at once (`chalice local`, the in-process REST API) each see their own request."""

from __future__ import annotations

import json
import threading

from chalice.app import Blueprint
from chalice.config import Config
from chalice.local import LocalGateway

from app import app as linkhub_app
from chalicelib.web.products import PerThreadChalice


def _app(inside: threading.Barrier) -> PerThreadChalice:
    """An app whose view waits until every request is inside a view, then says what it sees."""
    app = PerThreadChalice(app_name="per-thread")
    pages = Blueprint(__name__)

    @pages.route("/echo/{word}")
    def echo(word: str) -> dict[str, object]:
        inside.wait(5)
        return {"word": word, "seen": (pages.current_request.uri_params or {})["word"],
                "app_seen": (app.current_request.uri_params or {})["word"],
                "context": app.lambda_context.aws_request_id}

    app.register_blueprint(pages)
    return app


def test_two_requests_served_at_once_each_see_their_own_request():
    inside = threading.Barrier(2)
    gateway = LocalGateway(_app(inside), Config.create())
    answers: dict[str, dict[str, object]] = {}

    def ask(word: str) -> None:
        raw = gateway.handle_request(method="GET", path=f"/echo/{word}", headers={}, body=b"")
        answers[word] = json.loads(raw["body"])

    threads = [threading.Thread(target=ask, args=(word,)) for word in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert {w: (a["word"], a["seen"], a["app_seen"]) for w, a in answers.items()} == {
        "first": ("first", "first", "first"), "second": ("second", "second", "second")}
    assert answers["first"]["context"] != answers["second"]["context"]


def test_the_app_keeps_no_request_of_another_thread():
    inside = threading.Barrier(1)
    app = _app(inside)
    gateway = LocalGateway(app, Config.create())
    gateway.handle_request(method="GET", path="/echo/done", headers={}, body=b"")

    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(app.current_request))
    thread.start()
    thread.join(5)

    assert seen == [None]  # only the serving thread saw it
    assert isinstance(linkhub_app, PerThreadChalice)  # the app every function imports
