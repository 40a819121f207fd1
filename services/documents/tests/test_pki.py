"""Keys, time-stamps and retries against real components: the local TSA over HTTP with OpenSSL's
`ts` as client and verifier, SoftHSM2 over PKCS#11, PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_documents.kinds import Kind
from rvi_documents.models import messaging
from rvi_documents.pki import tsa as tsa_module
from rvi_documents.pki.ca import PASSPHRASE, LocalCa, _name
from rvi_documents.pki.runtime import Pki, StampText
from rvi_documents.pki.signers import Pkcs11Signers, SignerRef
from rvi_documents.pki.timestamps import HttpxTimeStamper, InProcessTimeStamper, TimeStampResponse, TsaUnavailable
from rvi_documents.pki.tsa import POLICY_OID, LocalTsa
from rvi_documents.rendering import Renderer, Slot, signature_boxes
from rvi_documents.service import DocumentsService
from rvi_documents.settings import DocumentsSettings
from rvi_shared.clock import ManualClock
from rvi_shared.db import make_sessionmaker
from rvi_shared.events import payloads as p
from rvi_shared.messaging.outbox import Outbox

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def requested(inspection_id: str, enterprise_id: str, now: datetime) -> p.InspectionRequested:
    return p.InspectionRequested(
        inspection_id=inspection_id,
        enterprise_id=enterprise_id,
        enterprise_name="慈溪市绿源食品集团有限公司",
        customs="Cixi",
        sites=[p.Site(site_id="S1", name="周巷种植基地", latitude=30.17, longitude=121.27)],
        checklist_items=[p.ChecklistItem(item_id="I1", description="农业投入品")],
        officers=[p.Officer(officer_id="O1", name="王力", credential_no="NB-0001")],
        requested_at=now,
    )


async def test_a_tsa_that_is_down_leaves_the_document_waiting_then_sealed(
    engine: AsyncEngine, pki_dir: str, documents_settings: DocumentsSettings, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    settings = documents_settings.model_copy(update={"tsa_url": f"http://127.0.0.1:{port}/tsa", "seal_retry_s": 60.0})
    pki = Pki(settings, Renderer())
    clock = ManualClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    sessions = make_sessionmaker(engine)
    outbox = Outbox(messaging, "documents", "documents")
    inspection_id, enterprise_id = f"INSP-{uuid.uuid4()}", f"ENT-{uuid.uuid4().hex[:8]}"
    failures_before = REGISTRY.get_sample_value("rvi_documents_seal_failures_total") or 0.0

    async with sessions() as session, session.begin():
        service = DocumentsService(session, outbox, clock, settings, pki)
        await service.on_requested(requested(inspection_id, enterprise_id, clock.now()))
        inspection = await service.inspection(inspection_id)
        await service.record_session_end(
            p.SessionEnded(
                session_id="SES-1", inspection_id=inspection_id, enterprise_id=enterprise_id,
                ended_at=clock.now(), conclusion="符合", steps=0, manifest_digest="a" * 64,
            )
        )  # fmt: skip
        await session.flush()
        assert await service.issue_closing_set(inspection, await service.repo.inspection_session("SES-1"))
    async with sessions() as session:
        service = DocumentsService(session, outbox, clock, settings, pki)
        documents = await service.documents_of(await service.inspection(inspection_id))
        assert {d.kind: d.state for d in documents} == {
            "inspection_record": "awaiting_seal",
            "work_record": "awaiting_seal",
        }
        assert all(d.seal_attempts == 1 and "unreachable" in (d.seal_error or "") for d in documents)
        assert all(d.next_seal_at == clock.now() + timedelta(seconds=60) for d in documents)
    assert (REGISTRY.get_sample_value("rvi_documents_seal_failures_total") or 0.0) == failures_before + 2
    assert any("waits for its seal" in r.getMessage() for r in caplog.records)

    tsa = LocalTsa(pki.ca, Path(pki_dir) / f"tsa-{port}", port=port)
    tsa.start()
    try:
        async with sessions() as session, session.begin():
            assert not await DocumentsService(session, outbox, clock, settings, pki).retry_due_seal()  # not due yet
        clock.advance(timedelta(seconds=61))
        for _ in range(2):
            async with sessions() as session, session.begin():
                assert await DocumentsService(session, outbox, clock, settings, pki).retry_due_seal()
        async with sessions() as session:
            service = DocumentsService(session, outbox, clock, settings, pki)
            documents = await service.documents_of(await service.inspection(inspection_id))
            assert {d.state for d in documents} == {"issued"}
            await service.retry_manifest_timestamps()  # the manifest waited too (or the app's timer took it)
            assert (await service.repo.manifest_timestamp("SES-1")).manifest_timestamped_at is not None
            for document in documents:
                report = await service.verify(document)
                assert [s.field for s in report.signatures] == ["customs_seal"]
                assert report.signatures[0].timestamp_valid
    finally:
        tsa.stop()
        await pki.close()


def _openssl_query(tmp_path: Path, *options: str) -> Path:
    data = tmp_path / "data.txt"
    data.write_text("慈溪 evidence manifest")
    query = tmp_path / f"query-{uuid.uuid4().hex}.tsq"
    subprocess.run(["openssl", "ts", "-query", "-data", str(data), *options, "-out", str(query)], check=True)
    return query


def _post(tsa: LocalTsa, body: bytes) -> httpx.Response:
    return httpx.post(tsa.url, content=body, headers={"Content-Type": "application/timestamp-query"})


def _openssl_verify(query: Path, reply: bytes, root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    path = query.with_suffix(".tsr")
    path.write_bytes(reply)
    command = ["openssl", "ts", "-verify", "-queryfile", str(query), "-in", str(path), "-CAfile", str(root), *options]
    return subprocess.run(command, capture_output=True, text=True)


def test_the_local_tsa_answers_openssl_and_openssl_verifies_its_tokens(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path / "ca")
    tsa = LocalTsa(ca, tmp_path / "ca" / "tsa")
    tsa.start()
    try:
        with_cert = _openssl_query(tmp_path, "-sha256", "-cert")
        granted = _post(tsa, with_cert.read_bytes())
        without_cert = _openssl_query(tmp_path, "-sha512")
        bare = _post(tsa, without_cert.read_bytes())
    finally:
        tsa.stop()
    assert granted.status_code == bare.status_code == 200
    assert granted.headers["content-type"] == "application/timestamp-reply"
    verified = _openssl_verify(with_cert, granted.content, ca.root_path)  # imprint, nonce, chain to the root
    assert "Verification: OK" in verified.stdout, verified.stdout + verified.stderr
    assert "Verification: OK" not in _openssl_verify(without_cert, granted.content, ca.root_path).stdout

    token = tsp.TimeStampResp.load(granted.content)["time_stamp_token"]["content"]
    info = token["encap_content_info"]["content"].parsed.native
    assert info["policy"] == POLICY_OID and info["ordering"] is False and info["tsa"] is None
    assert info["accuracy"] == {"seconds": 1, "millis": None, "micros": None}
    assert info["gen_time"].microsecond == 0
    certificates = {c.chosen.subject.native.get("organizational_unit_name"): c.chosen for c in token["certificates"]}
    assert certificates.keys() == {"tsa", None}  # the TSA's and the root

    # No certReq: no certificates in the token (RFC 3161 2.4.1); OpenSSL needs the TSA's then.
    bare_token = tsp.TimeStampResp.load(bare.content)["time_stamp_token"]["content"]
    assert bare_token["certificates"].native is None
    assert "Verification: OK" not in _openssl_verify(without_cert, bare.content, ca.root_path).stdout
    tsa_pem = tmp_path / "tsa.pem"
    tsa_pem.write_bytes(x509.load_der_x509_certificate(certificates["tsa"].dump()).public_bytes(Encoding.PEM))
    verified = _openssl_verify(without_cert, bare.content, ca.root_path, "-untrusted", str(tsa_pem))
    assert "Verification: OK" in verified.stdout, verified.stdout + verified.stderr


def test_the_local_tsa_numbers_its_tokens_in_order_across_restarts(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path / "ca")
    query = _openssl_query(tmp_path, "-sha256", "-cert").read_bytes()
    serials = []
    for _ in range(2):  # a restart between the two
        tsa = LocalTsa(ca, tmp_path / "ca" / "tsa")
        tsa.start()
        try:
            for _ in range(3):
                reply = tsp.TimeStampResp.load(_post(tsa, query).content)
                serials.append(reply["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed)
        finally:
            tsa.stop()
    numbers = [s["serial_number"].native for s in serials]
    assert numbers == sorted(set(numbers)) and len(numbers) == 6
    times = [s["gen_time"].native for s in serials]
    assert times == sorted(times)


def test_tokens_of_one_second_share_their_gen_time_so_none_claims_ordering(tmp_path: Path) -> None:
    """RFC 3161 2.4.2: ordering true would promise that genTime alone orders any two tokens."""
    ca = LocalCa(tmp_path / "ca")
    tsa = LocalTsa(ca, tmp_path / "ca" / "tsa")
    tsa.start()
    query = _openssl_query(tmp_path, "-sha256").read_bytes()
    try:
        replies = [tsp.TimeStampResp.load(_post(tsa, query).content) for _ in range(8)]
    finally:
        tsa.stop()
    infos = [r["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed for r in replies]
    times = [info["gen_time"].native for info in infos]
    assert len(set(times)) < len(times)  # eight tokens in much less than seven seconds
    assert [info["ordering"].native for info in infos] == [False] * 8


def test_two_local_tsas_on_one_directory_never_issue_the_same_serial(tmp_path: Path) -> None:
    """As the apps of one test session, or a restart overlapping the old process, share a PKI
    directory: many concurrent requests to two TSAs give as many distinct serial numbers."""
    ca = LocalCa(tmp_path / "ca")
    query = _openssl_query(tmp_path, "-sha256").read_bytes()
    tsas = [LocalTsa(ca, tmp_path / "ca" / "tsa") for _ in range(2)]
    for tsa in tsas:
        tsa.start()

    def stamp(n: int) -> list[int]:
        with httpx.Client() as client:
            serials = []
            for _ in range(15):
                response = client.post(
                    tsas[n % 2].url, content=query, headers={"Content-Type": "application/timestamp-query"}
                )
                token = tsp.TimeStampResp.load(response.content)["time_stamp_token"]["content"]
                serials.append(token["encap_content_info"]["content"].parsed["serial_number"].native)
            return serials

    try:
        with ThreadPoolExecutor(6) as pool:
            serials = [serial for batch in pool.map(stamp, range(6)) for serial in batch]
    finally:
        for tsa in tsas:
            tsa.stop()
    assert len(serials) == len(set(serials)) == 90
    assert int((tmp_path / "ca" / "tsa" / "serial").read_text(), 16) == max(serials)


def test_a_burst_of_simultaneous_clients_is_answered_promptly(tmp_path: Path) -> None:
    """A hundred connections at once (more than socketserver's default listen backlog of 5):
    every one answered, none left to the kernel's SYN-ACK retries."""
    ca = LocalCa(tmp_path / "ca")
    tsa = LocalTsa(ca, tmp_path / "ca" / "tsa")
    tsa.start()
    query = _openssl_query(tmp_path, "-sha256").read_bytes()
    head = (
        f"POST /tsa HTTP/1.1\r\nHost: tsa\r\nContent-Type: application/timestamp-query\r\nContent-Length: {len(query)}"
    )
    request = f"{head}\r\n\r\n".encode() + query
    ready = threading.Barrier(100)

    def stamp(_: int) -> str:
        ready.wait()
        try:
            with socket.create_connection(("127.0.0.1", tsa.port), timeout=10) as connection:
                connection.sendall(request)
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
        except TimeoutError:
            return "timed out"
        return answer.split(b"\r\n", 1)[0].decode()

    try:
        with ThreadPoolExecutor(100) as pool:
            statuses = list(pool.map(stamp, range(100)))
    finally:
        tsa.stop()
    assert statuses == ["HTTP/1.0 200 OK"] * 100, Counter(statuses)


async def test_the_local_tsa_refuses_what_it_cannot_stamp(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path / "ca")
    tsa = LocalTsa(ca, tmp_path / "ca" / "tsa")
    tsa.start()
    good = _openssl_query(tmp_path, "-sha256", "-cert").read_bytes()
    wrong_length = tsp.TimeStampReq(
        {"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"x" * 20}}
    ).dump()
    imprint = {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"x" * 32}

    def with_extensions(*critical: bool) -> bytes:
        extensions = [{"extn_id": "1.2.3.4.5", "critical": c, "extn_value": b"\x05\x00"} for c in critical]
        return tsp.TimeStampReq({"version": "v1", "message_imprint": imprint, "extensions": extensions}).dump()

    malformed = {
        "truncated": good[:-5],
        "empty": b"",
        "not a TimeStampReq": ca.root_certificate().public_bytes(serialization.Encoding.DER),
        "trailing bytes": good + b"\x00",
        "version 2": good.replace(b"\x02\x01\x01", b"\x02\x01\x02", 1),
        "a SHA-256 imprint of 20 bytes": wrong_length,
        "an empty extensions field": with_extensions(),
    }
    refused = {
        "bad_alg": _openssl_query(tmp_path, "-sha1").read_bytes(),
        "unaccepted_policy": _openssl_query(tmp_path, "-sha256", "-tspolicy", "1.2.3.4").read_bytes(),
    }
    timestamper = HttpxTimeStamper(tsa.url)
    headers = {"Content-Type": "application/timestamp-query"}
    try:
        async with httpx.AsyncClient() as client:
            for name, body in malformed.items():
                response = await client.post(tsa.url, content=body, headers=headers)
                assert response.status_code == 400, name
                assert response.headers["content-type"] == "application/timestamp-reply", name
                status = TimeStampResponse.load(response.content)["status"].native
                assert status["status"] == "rejection" and status["fail_info"] == {"bad_data_format"}, (name, status)
                assert TimeStampResponse.load(response.content)["time_stamp_token"].native is None
            for failure, body in refused.items():
                response = await client.post(tsa.url, content=body, headers=headers)
                assert response.status_code == 200, failure
                assert TimeStampResponse.load(response.content)["status"].native["fail_info"] == {failure}
            for critical in (True, False):  # RFC 3161 2.4.2: critical or not, an unknown extension
                response = await client.post(tsa.url, content=with_extensions(critical), headers=headers)
                assert _refusal(response) == (200, {"unaccepted_extensions"}), critical
            assert (await client.post(tsa.url, content=b"0" * 20_000, headers=headers)).status_code == 400
            assert (await client.post(tsa.url, content=good, headers=headers)).status_code == 200  # still serving
        # The service's own clients, over HTTP and in-process, read a refusal as a TSA they
        # cannot use (the document waits).
        for client_of_tsa in (timestamper, InProcessTimeStamper(tsa.answer)):
            with pytest.raises(TsaUnavailable, match="bad_alg"):
                await client_of_tsa.async_timestamp(b"x" * 20, "sha1")
            token = await client_of_tsa.async_timestamp(b"x" * 32, "sha256")
            imprint = token["content"]["encap_content_info"]["content"].parsed["message_imprint"].native
            assert imprint == {
                "hash_algorithm": {"algorithm": "sha256", "parameters": None},
                "hashed_message": b"x" * 32,
            }
    finally:
        await timestamper.aclose()
        tsa.stop()


def _refusal(response: httpx.Response) -> tuple[int, set[str] | None]:
    assert response.headers["content-type"] == "application/timestamp-reply"
    status = TimeStampResponse.load(response.content)["status"].native
    assert status["status"] == "rejection" and status["status_string"], status
    return response.status_code, status["fail_info"]


def test_the_local_tsa_refuses_what_is_not_a_time_stamp_query_over_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tsa_module, "READ_TIMEOUT_S", 0.5)
    ca = LocalCa(tmp_path / "ca")
    tsa = LocalTsa(ca, tmp_path / "ca" / "tsa")
    tsa.start()
    query = _openssl_query(tmp_path, "-sha256").read_bytes()
    headers = {"Content-Type": "application/timestamp-query"}
    try:
        with httpx.Client() as client:
            for method in ("GET", "PUT", "DELETE"):
                response = client.request(method, tsa.url, content=query, headers=headers)
                assert _refusal(response) == (405, {"bad_request"}) and response.headers["allow"] == "POST", method
            head = client.head(tsa.url)
            assert head.status_code == 405 and head.content == b""
            for content_type in ("text/plain", "application/octet-stream", "application/x-www-form-urlencoded"):
                response = client.post(tsa.url, content=query, headers={"Content-Type": content_type})
                assert _refusal(response) == (415, {"bad_request"}), content_type
            no_type = client.post(tsa.url, content=query, headers={"Content-Type": ""})
            assert _refusal(no_type) == (415, {"bad_request"})
            elsewhere = client.post(tsa.url.replace("/tsa", "/other"), content=query, headers=headers)
            assert _refusal(elsewhere) == (404, {"bad_request"})
            chunked = client.post(tsa.url, content=iter([query]), headers=headers)  # no Content-Length
            assert _refusal(chunked) == (411, {"bad_request"})
            for content_type in ("application/timestamp-query; charset=binary", "Application/TimeStamp-Query"):
                response = client.post(tsa.url, content=query, headers={"Content-Type": content_type})
                assert response.status_code == 200, content_type
        # A client that stops mid-body or mid-headers is disconnected, not waited for.
        for stalled in (
            b"POST /tsa HTTP/1.1\r\nHost: x\r\nContent-Type: application/timestamp-query\r\nContent-Length: 50\r\n\r\nab",
            b"POST /tsa HTTP/1.1\r\nHost: x\r\n",
        ):
            with socket.create_connection(("127.0.0.1", tsa.port)) as connection:
                connection.settimeout(10)
                connection.sendall(stalled)
                assert connection.recv(100) == b""  # closed by the TSA, not by this timeout
        assert _post(tsa, query).status_code == 200
    finally:
        tsa.stop()


async def test_a_token_the_local_tsa_cannot_make_is_a_system_failure(tmp_path: Path) -> None:
    ca = LocalCa(tmp_path / "ca")
    tsa = LocalTsa(ca, tmp_path / "ca" / "tsa")
    tsa.start()
    timestamper = HttpxTimeStamper(tsa.url)
    try:
        tsa.serial_path.write_text("not a serial number\n")  # a damaged file: no serial to give
        response = _post(tsa, _openssl_query(tmp_path, "-sha256").read_bytes())
        assert _refusal(response) == (500, {"system_failure"})
        for client_of_tsa in (timestamper, InProcessTimeStamper(tsa.answer)):  # the document waits
            with pytest.raises(TsaUnavailable, match="system_failure"):
                await client_of_tsa.async_timestamp(b"x" * 32, "sha256")
        tsa.serial_path.write_text("2A\n")
        token = await timestamper.async_timestamp(b"x" * 32, "sha256")
        assert token["content"]["encap_content_info"]["content"].parsed["serial_number"].native == 0x2B
    finally:
        await timestamper.aclose()
        tsa.stop()


@pytest.fixture(scope="module")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A SoftHSM2 token in a private configuration (SOFTHSM2_CONF) for this module's tests: the
    PKCS#11 library reads its configuration once per process."""
    tmp_path = tmp_path_factory.mktemp("softhsm")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "rvi-test", "--so-pin", "5678", "--pin", "1234"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield {"label": "rvi-test", "pin": "1234"}
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous


def _rsa_identity(ca: LocalCa, ref: SignerRef, tmp_path: Path) -> Path:
    """An RSA-2048 key and certificate of `ref` from the local CA's root, as a PKCS#12 file: a
    seal key as an HSM may hold it."""
    root_key, root_cert = ca._root_pair()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(ref.common_name, ref.organisation, ref.role))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(root_cert.not_valid_after_utc)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    path = tmp_path / "rsa.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"rsa", key, cert, None, serialization.BestAvailableEncryption(PASSPHRASE)
        )
    )
    return path


def _import_into_token(pkcs12_path: Path, ref: SignerRef, token: dict[str, str], tmp_path: Path) -> None:
    key, cert, _ = pkcs12.load_key_and_certificates(pkcs12_path.read_bytes(), PASSPHRASE)
    assert key is not None and cert is not None
    key_der = tmp_path / "key.der"
    key_der.write_bytes(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_der = tmp_path / "cert.der"
    cert_der.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    for path, kind in ((key_der, "privkey"), (cert_der, "cert")):
        subprocess.run(
            ["pkcs11-tool", "--module", SOFTHSM, "--token-label", token["label"], "--login", "--pin", token["pin"],
             "--write-object", str(path), "--type", kind, "--id", "01", "--label", ref.key_label],
            check=True, capture_output=True,
        )  # fmt: skip
    key_der.unlink()


@pytest.mark.parametrize("algorithm", ["ec", "rsa"])
async def test_a_seal_held_in_an_hsm_signs_through_pkcs11(
    algorithm: str, softhsm_token: dict[str, str], tmp_path: Path, documents_settings: DocumentsSettings
) -> None:
    ca = LocalCa(tmp_path / "ca")
    office = {"ec": "Cixi", "rsa": "Yuyao"}[algorithm]  # one token for both: a key label each
    ref = SignerRef("customs_seal", office, "慈溪海关 Cixi Customs", "慈溪海关")
    if algorithm == "ec":  # the local CA's P-256 identity
        pkcs12_path = ca.identity(ref.role, ref.label, ref.common_name, ref.organisation).pkcs12_path
    else:
        pkcs12_path = _rsa_identity(ca, ref, tmp_path)
    _import_into_token(pkcs12_path, ref, softhsm_token, tmp_path)
    root = tmp_path / "root.pem"
    root.write_bytes(ca.root_certificate().public_bytes(serialization.Encoding.PEM))
    settings = documents_settings.model_copy(
        update={
            "pki_dir": str(tmp_path / "ca"),
            "signer_backend": "pkcs11",
            "pkcs11_lib": SOFTHSM,
            "pkcs11_token": softhsm_token["label"],
            "pkcs11_pin": softhsm_token["pin"],
            "trust_roots": [str(root)],
        }
    )
    renderer = Renderer()
    pki = Pki(settings, renderer)
    assert isinstance(pki.signers, Pkcs11Signers)
    slots = [Slot("customs_seal", "海关印章", "customs seal")]
    data = {
        "title_zh": "远程视频核查通知书", "title_en": "Advance notice", "issuer_zh": "慈溪海关", "issuer_en": "Cixi Customs",
        "number": "慈溪关通知〔2026〕0001号", "slots": [{"label_zh": "海关印章", "label_en": "customs seal", "wide": False}],
        "enterprise_name": "慈溪市绿源食品集团有限公司", "enterprise_id": "ENT-1", "slot": "2026-11-26 09:00",
        "team": [], "sites": [], "requirements": [],
    }  # fmt: skip
    pdf = renderer.render(Kind.ADVANCE_NOTICE.value, data, datetime(2026, 11, 26, tzinfo=UTC))
    try:
        certified = await pki.certify(pdf, slots, ref, "通知", "慈溪", pades_text())
        report = await pki.verify(certified)
        assert report.valid, report.problems
        [signature] = report.signatures
        assert "慈溪海关 Cixi Customs" in signature.signer and signature.certification and signature.timestamp_valid
        assert pki.signers.signer(ref).signing_cert.public_key.algorithm == algorithm
        assert signature_boxes(slots)["customs_seal"][0] > 0
    finally:
        await pki.close()
        assert isinstance(pki.signers, Pkcs11Signers)
        pki.signers.close()


def pades_text() -> StampText:
    return StampText("慈溪海关 印章", ["HSM"])
