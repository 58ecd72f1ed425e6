"""The lean DynamoDB transport on its own: its Signature Version 4 is botocore's, byte for byte
(DynamoDB Local checks no signature, so this is what proves it signs right), and its HTTP exchange
survives what a real endpoint does (chunked answers, connections closed while idle or mid-answer,
damaged bodies), retrying as botocore's standard mode retries and no more."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib.runtime import Runtime
from chalicelib.storage import low_level, tables
from chalicelib.storage.dynamodb_http import BrokenAnswer, Connections
from chalicelib.storage.dynamodb_wire import (
    CONTENT_TYPE,
    TARGET,
    Keys,
    Limits,
    Refused,
    Signer,
    Unreachable,
    Wire,
    canonical_host,
)
from chalicelib.storage.hub import sign_in
from tests.storage.dynamodb_faults import Waits, WireFault, faulty_endpoint

BODY = json.dumps({"TableName": "hub_users", "Key": {"user_id": {"S": "ü-1"}}}).encode()
ENDPOINTS = ["http://127.0.0.1:8000", "https://dynamodb.eu-west-1.amazonaws.com",
             "https://dynamodb.eu-west-1.amazonaws.com:443", "http://localhost:80"]


def _botocore_signed(endpoint: str, region: str, credentials: Credentials,
                     target: str, body: bytes) -> dict[str, str]:
    request = AWSRequest(method="POST", url=f"{endpoint}/", data=body,
                         headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": target})
    SigV4Auth(credentials, "dynamodb", region).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("token", [None, "session-token-FwoGZXIvYXdzE"])
def test_the_signature_is_botocores_for_the_same_request_and_time(endpoint: str,
                                                                  token: str | None):
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    theirs = _botocore_signed(endpoint, "eu-west-1", credentials, f"{TARGET}GetItem", BODY)
    when = dt.datetime.strptime(theirs["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)

    ours = Signer(canonical_host(endpoint), "eu-west-1").headers(
        f"{TARGET}GetItem", BODY, Keys("AKIDEXAMPLE", credentials.secret_key, token), when)

    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"]
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token")


def test_the_signing_key_is_derived_again_when_the_day_or_the_secret_changes():
    signer = Signer("127.0.0.1:8000", "us-east-1")
    first = signer.signing_key("secret-one", "20260101")
    assert signer.signing_key("secret-one", "20260101") is first
    assert signer.signing_key("secret-one", "20260102") != first
    assert signer.signing_key("secret-two", "20260102") != signer.signing_key("secret-one",
                                                                              "20260102")
    credentials = Credentials("AKID", "secret-two")
    for day in ("20260102T235959Z", "20260103T000001Z"):
        when = dt.datetime.strptime(day, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        ours = signer.headers(f"{TARGET}Query", BODY, Keys("AKID", "secret-two"), when)
        request = AWSRequest(method="POST", url="http://127.0.0.1:8000/", data=BODY, headers={
            "Content-Type": CONTENT_TYPE, "X-Amz-Target": f"{TARGET}Query", "X-Amz-Date": day})
        request.context["timestamp"] = day
        auth = SigV4Auth(credentials, "dynamodb", "us-east-1")
        signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)),
                                   request)
        assert ours["Authorization"].endswith(f"Signature={signature}")


@dataclass
class RotatingCredentials:
    """Role credentials that refresh between calls (a new key each time)."""

    handed: list[str] = field(default_factory=list)

    def get_frozen_credentials(self) -> Keys:
        key = f"ASIA{len(self.handed):04d}"
        self.handed.append(key)
        return Keys(key, f"secret-{key}", f"token-{key}")


def test_each_call_is_signed_with_the_credentials_of_that_moment():
    credentials = RotatingCredentials()
    with faulty_endpoint(None) as endpoint:
        wire = Wire(endpoint.url, "us-east-1", credentials, Limits(attempts=1))
        wire.post("GetItem", {"TableName": "t"})
        wire.post("GetItem", {"TableName": "t"})
    sent = [headers["Authorization"].split("Credential=")[1][:8] for headers in
            endpoint.headers_seen]
    assert sent == credentials.handed == ["ASIA0000", "ASIA0001"]
    assert [h["X-Amz-Security-Token"] for h in endpoint.headers_seen] == ["token-ASIA0000",
                                                                          "token-ASIA0001"]
    assert [h["X-Amz-Target"] for h in endpoint.headers_seen] == [f"{TARGET}GetItem"] * 2


def _wire(url: str, waits: Waits, attempts: int = 4) -> Wire:
    return Wire(url, "us-east-1", Credentials("AKID", "secret"),
                Limits(connect_timeout=1, read_timeout=2, attempts=attempts), sleep=waits)


@pytest.mark.parametrize(("fault", "code"), [
    (WireFault("Query", "t", error={"Code": "ThrottlingException"}), "ThrottlingException"),
    (WireFault("Query", "t", status=503, error={"Code": "ServiceUnavailable"}),
     "ServiceUnavailable"),
    (WireFault("Query", "t", status=502), "502"),
])
def test_a_refusal_worth_retrying_is_tried_four_times_then_raised(fault: WireFault, code: str):
    waits = Waits()
    with faulty_endpoint(None) as endpoint:
        endpoint.add(fault)
        with pytest.raises(Refused) as refused:
            _wire(endpoint.url, waits).post("Query", {"TableName": "t"})
    assert refused.value.code == code and fault.seen == 4
    assert len(waits.seconds) == 3
    assert all(0 <= w <= c for w, c in zip(waits.seconds, [1, 2, 4], strict=True))


def test_a_refusal_not_worth_retrying_is_raised_at_once_with_dynamodbs_answer():
    waits = Waits()
    fault = WireFault("UpdateItem", "t", error={"Code": "ConditionalCheckFailedException",
                                                "Message": "The conditional request failed"})
    with faulty_endpoint(None) as endpoint:
        endpoint.add(fault)
        with pytest.raises(Refused) as refused:
            _wire(endpoint.url, waits).post("UpdateItem", {"TableName": "t"})
    assert (refused.value.code, refused.value.message, refused.value.status) == (
        "ConditionalCheckFailedException", "The conditional request failed", 400)
    assert fault.seen == 1 and waits.seconds == []


def test_a_refused_signature_is_raised_without_the_canonical_request_it_quotes():
    token = "FwoGZXIvYXdzEXAMPLEsessiontoken"
    message = ("The request signature we calculated does not match the signature you provided."
               f"\n\nThe Canonical String for this request should have been\n'POST\n/\n\n"
               f"x-amz-security-token:{token}\n'\n\nThe String-to-Sign should have been\n'...'")
    fault = WireFault("GetItem", "t", error={"Code": "InvalidSignatureException",
                                             "Message": message})
    with faulty_endpoint(None) as endpoint:
        endpoint.add(fault)
        wire = Wire(endpoint.url, "us-east-1", Credentials("AKID", "secret", token),
                    Limits(attempts=4))
        with pytest.raises(Refused) as refused:
            wire.post("GetItem", {"TableName": "t"})
    assert fault.seen == 1
    assert refused.value.message == ("The request signature we calculated does not match the "
                                     "signature you provided.")
    assert token not in str(refused.value) and token not in repr(refused.value.answer)


@pytest.mark.parametrize("kind", ["dropped", "damaged"])
def test_no_usable_answer_is_retried_then_unreachable(kind: str):
    waits = Waits()
    fault = WireFault("GetItem", "t", unreachable=kind == "dropped", damaged=kind == "damaged")
    with faulty_endpoint(None) as endpoint:
        endpoint.add(fault)
        with pytest.raises(Unreachable):
            _wire(endpoint.url, waits).post("GetItem", {"TableName": "t"})
    assert fault.seen == 4 and len(waits.seconds) == 3


def test_nothing_listening_is_unreachable_after_the_same_attempts():
    waits = Waits()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable):
        _wire(f"http://127.0.0.1:{port}", waits).post("GetItem", {})
    assert len(waits.seconds) == 3


def test_under_an_in_process_stand_in_for_aws_the_hot_calls_go_through_botocore(aws: Runtime):
    assert low_level.wire() is None
    with tables.counting_calls() as counter:
        assert sign_in.user_id_by_login("nobody/none") is None
    assert counter.calls == {"Query": 1}


# -- the HTTP exchange, against scripted answers ---------------------------------------------------
@contextmanager
def scripted(*answers: bytes, close_after: bool = False, tls: ssl.SSLContext | None = None
             ) -> Iterator[tuple[str, list[int]]]:
    """A server answering each request read on a connection with the next scripted bytes;
    (its URL, the number of connections accepted). With `tls`, it speaks HTTPS."""
    listener = socket.create_server(("127.0.0.1", 0))
    if tls is not None:
        listener = tls.wrap_socket(listener, server_side=True)
    accepted: list[int] = []
    remaining = list(answers)

    def serve() -> None:
        while remaining:
            try:
                conn, _ = listener.accept()
            except ssl.SSLError:
                continue  # a client that refused the certificate
            except OSError:
                return
            accepted.append(1)
            with conn:
                while remaining:
                    if not conn.recv(65536):
                        break
                    conn.sendall(remaining.pop(0))
                    if close_after:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://localhost:{listener.getsockname()[1]}", accepted
    finally:
        listener.close()


OK = b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'


def test_a_chunked_answer_is_read_whole_and_the_connection_kept():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\n{\"a\":\r\n3;x=y\r\n12}\r\n0\r\n\r\n")
    with scripted(chunked, OK) as (url, accepted):
        connections = Connections(url, 1, 2)
        assert connections.exchange(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", b"").body \
            == b'{"a":12}'
        assert connections.exchange(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", b"").body \
            == b"{}"
    assert len(accepted) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_failed_attempt():
    waits = Waits()
    with scripted(OK, OK, close_after=True) as (url, accepted):
        wire = _wire(url, waits)
        assert wire.post("GetItem", {}) == {}
        time.sleep(0.05)  # the server's close reaches the idle connection
        assert wire.post("GetItem", {}) == {}
    assert len(accepted) == 2 and waits.seconds == []


def test_an_answer_that_is_not_json_is_retried_then_unreachable():
    waits = Waits()
    garbage = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
    with scripted(garbage, garbage, garbage, garbage) as (url, _):
        with pytest.raises(Unreachable):
            _wire(url, waits).post("GetItem", {})
    assert len(waits.seconds) == 3


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",  # closed mid-body
    b"SSH-2.0-OpenSSH\r\n\r\n",  # not HTTP
    b"HTTP/1.1 200 OK\r\n\r\n{}",  # no length
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  # no chunk size
])
def test_a_broken_answer_is_an_error_of_the_connection(answer: bytes):
    with scripted(answer, close_after=True) as (url, _):
        with pytest.raises(BrokenAnswer):
            Connections(url, 1, 2).exchange(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
                                            b"")


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_https_answers_are_read_from_a_server_the_ca_bundle_vouches_for_and_no_other(
        tmp_path: Path):
    cert_file, key_file = _certificate(tmp_path)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    with scripted(OK, OK, tls=server) as (url, accepted):
        trusted = Wire(url, "us-east-1", Credentials("AKID", "secret"), Limits(attempts=1),
                       ca_certs=str(cert_file))
        assert trusted.post("GetItem", {}) == {}
        assert trusted.post("GetItem", {}) == {}
        assert len(accepted) == 1  # the TLS connection was kept
    (tmp_path / "other").mkdir()
    other_bundle, _ = _certificate(tmp_path / "other")  # a certificate the server does not have
    with scripted(OK, tls=server) as (url, _):
        stranger = Wire(url, "us-east-1", Credentials("AKID", "secret"), Limits(attempts=1),
                        ca_certs=str(other_bundle))
        with pytest.raises(Unreachable):
            stranger.post("GetItem", {})
