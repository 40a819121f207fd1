"""A real RFC 3161 time-stamping authority for the embedded default and the tests.

Each request is answered in-process, in asn1crypto structures signed with pyHanko's signer of
the TSA certificate the local CA issues (the way pyHanko's own `DummyTimeStamper` answers; that
test device signs with RSA keys only, under a fixed policy, with random serial numbers and a
SHA-1 ESS certificate identifier). The documents service asks it by call
(`timestamps.InProcessTimeStamper` over `answer`, after `prepare()`); `start()` also puts it on a
loopback port behind a small HTTP handler (RFC 3161 section 3.4: POST
`application/timestamp-query`, answer `application/timestamp-reply`) for other clients.
Production points `DocumentsSettings.tsa_url` at the office's own TSA instead.

What a token carries, as the OpenSSL `ts -reply` configuration of earlier versions set it: policy
`POLICY_OID` (a request naming another is refused), genTime in whole seconds with accuracy 1 s, no
TSA name, no ordering (OpenSSL's said true: RFC 3161 2.4.2 then promises any two tokens ordered by
genTime alone, which tokens of the same second are not), SHA-256 signature and ESS certificate
identifier (signing-certificate-v2) of the TSA certificate alone, the TSA certificate and the root
when the request asks for certificates. Serial numbers count up from the last one issued, kept in
the file `serial` (hex, as OpenSSL kept it) and read again for each token under an exclusive lock
(`flock` of `serial.lock`), so that TSAs started on one directory (several apps of one process, a
restart overlapping the old process) never issue the same number (RFC 3161 2.4.2: unique for each
token from a given TSA). Refusals are a TimeStampResp with status rejection: HTTP 400 with
badDataFormat for a body that is not a DER TimeStampReq (or a hashed message of the wrong length),
HTTP 200 with badAlg (a hash other than SHA-256/384/512), unacceptedPolicy or unacceptedExtension,
as OpenSSL answered them; HTTP 500 with systemFailure when a token could not be made. What is not
an RFC 3161 query gets a rejection with badRequest: 404 off the path `/tsa`, 405 (Allow: POST) for
another method, 415 for another Content-Type, 411 without Content-Length; a client silent for
`READ_TIMEOUT_S` mid-request is disconnected, so it holds no thread.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute

from rvi_documents.pki.ca import LocalCa
from rvi_documents.pki.signers import LoadedKeySigner
from rvi_documents.pki.timestamps import TimeStampResponse

log = logging.getLogger("rvi.documents.tsa")

POLICY_OID = "1.3.6.1.4.1.59999.4.4"  # the embedded TSA's policy (private arc, illustrative)
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}  # hashes accepted in a request
MAX_REQUEST_BYTES = 16 * 1024  # a TimeStampReq with a SHA-512 imprint is about 100 bytes
QUERY_MEDIA_TYPE = "application/timestamp-query"  # RFC 3161 3.4
READ_TIMEOUT_S = 5.0  # the longest wait for a client's next bytes


class Rejected(Exception):
    """A request refused: `failure` is a PKIFailureInfo bit name (asn1crypto's spelling)."""

    def __init__(self, failure: str, text: str) -> None:
        super().__init__(text)
        self.failure = failure

    def response(self) -> bytes:
        """The DER TimeStampResp: status rejection, this failure and text."""
        status = {"status": "rejection", "status_string": [str(self)], "fail_info": tsp.PKIFailureInfo({self.failure})}
        return TimeStampResponse({"status": status}).dump()


def parse_request(query: bytes) -> tsp.TimeStampReq:
    """The TimeStampReq in `query` (DER), fully decoded; `Rejected` (badDataFormat) otherwise."""
    try:
        request = tsp.TimeStampReq.load(query, strict=True)
        request.native  # noqa: B018 (asn1crypto decodes lazily: this decodes every field now)
        version = request["version"].native
        hashed = request["message_imprint"]["hashed_message"].native
    except Exception as error:  # asn1crypto raises ValueError, TypeError and others on bad DER
        raise Rejected("bad_data_format", f"not a DER TimeStampReq: {error}") from error
    if version != "v1":
        raise Rejected("bad_data_format", f"unsupported TimeStampReq version {version}")
    if request["extensions"].native == []:  # Extensions ::= SEQUENCE SIZE (1..MAX) (RFC 5280 4.1)
        raise Rejected("bad_data_format", "an empty extensions field")
    algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
    if algorithm not in DIGEST_SIZES:
        raise Rejected("bad_alg", f"unsupported hash {algorithm}")
    if len(hashed) != DIGEST_SIZES[algorithm]:
        raise Rejected("bad_data_format", f"a {algorithm} digest is {DIGEST_SIZES[algorithm]} bytes, not {len(hashed)}")
    policy = request["req_policy"].native
    if policy is not None and policy != POLICY_OID:
        raise Rejected("unaccepted_policy", f"policy {policy} is not this TSA's ({POLICY_OID})")
    if request["extensions"].native:  # RFC 3161 2.4.2: critical or not, an unknown one is refused
        raise Rejected("unaccepted_extensions", "no request extension is supported")
    return request


class _TokenSigner:
    """Signs TSTInfo as the CMS SignedData of a time-stamp token (RFC 3161 2.4.2, RFC 5652 5):
    content type, signing time, message digest and ESS signing-certificate-v2 (RFC 5035) as
    signed attributes, the signature by pyHanko's signer of the TSA identity. The parts that
    depend on the certificate alone (signer id, algorithms, ESS attribute, certificates) are
    built once, where pyHanko's general `Signer.async_sign_general_data` builds them per call."""

    def __init__(self, signer: LoadedKeySigner) -> None:
        cert = signer.signing_cert
        assert cert is not None
        self.signer = signer
        self.digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"})
        self.digest_algorithms = cms.DigestAlgorithms([self.digest_algorithm])
        self.signature_algorithm = signer.get_signature_mechanism_for_digest("sha256")
        self.sid = cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
        )
        self.content_type = simple_cms_attribute("content_type", "tst_info")
        self.signing_certificate = simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(cert))
        self.certificates = cms.CertificateSet([cert, *signer.cert_registry])
        # Parsed from their DER, asn1crypto values are reused as they are, not copied per token.
        for name in ("digest_algorithms", "sid", "content_type", "signing_certificate", "certificates"):
            value = getattr(self, name)
            setattr(self, name, type(value).load(value.dump()))

    def sign(self, tst_info: tsp.TSTInfo, with_certificates: bool) -> cms.ContentInfo:
        content = tst_info.dump()
        signed_attrs = cms.CMSAttributes(
            [
                self.content_type,
                simple_cms_attribute("signing_time", cms.Time({"utc_time": tst_info["gen_time"].native})),
                self.signing_certificate,
                simple_cms_attribute("message_digest", hashlib.sha256(content).digest()),
            ]
        )
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": self.sid,
                "digest_algorithm": self.digest_algorithm,
                "signature_algorithm": self.signature_algorithm,
                "signed_attrs": signed_attrs,
                "signature": self.signer.sign_raw(signed_attrs.dump(), "sha256"),
            }
        )
        signed_data = {
            "version": "v3",
            "digest_algorithms": self.digest_algorithms,
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(content)},
            "signer_infos": [signer_info],
        }
        if with_certificates:
            signed_data["certificates"] = self.certificates
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of more clients overflowed it, and the
    # connections the kernel then dropped waited for SYN-ACK retries, up to half a minute.
    request_queue_size = 128


class LocalTsa:
    """`start()` serves on 127.0.0.1 (port 0 picks a free one); `url` is where to POST."""

    def __init__(self, ca: LocalCa, directory: Path, port: int = 0) -> None:
        self.ca = ca
        self.directory = directory
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._signer: _TokenSigner | None = None
        self._lock = threading.Lock()  # one token at a time: serial numbers and times in order

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsa"

    @property
    def serial_path(self) -> Path:
        return self.directory / "serial"

    def prepare(self) -> None:
        """Issues (or loads) the TSA's key and certificate: `reply` and `answer` work from then
        on, without `start()`."""
        self.directory.mkdir(parents=True, exist_ok=True)
        identity = self.ca.identity("tsa", "tsa", "rvi 时间戳服务 Time-Stamping Authority", "rvi", timestamping=True)
        root = asn1_x509.Certificate.load(self.ca.root_certificate().public_bytes(Encoding.DER))
        self._signer = _TokenSigner(LoadedKeySigner.of(identity, root))

    def _next_serial(self) -> int:
        """The number after the last one any TSA on this directory issued, recorded before use."""
        with (self.directory / "serial.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            serial = int(self.serial_path.read_text().strip(), 16) + 1 if self.serial_path.exists() else 2
            temporary = self.serial_path.with_suffix(".tmp")
            temporary.write_text(f"{serial:02X}\n")
            temporary.replace(self.serial_path)
            return serial

    def reply(self, request: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """The time-stamp token for a request `parse_request` accepted (`start()` first)."""
        assert self._signer is not None, "prepare() or start() the TSA first"
        with self._lock:
            info = {
                "version": "v1",
                "policy": POLICY_OID,
                "message_imprint": request["message_imprint"],
                "serial_number": self._next_serial(),
                "gen_time": datetime.now(UTC).replace(microsecond=0),  # accuracy is 1 s
                "accuracy": {"seconds": 1},
            }
            if request["nonce"].native is not None:
                info["nonce"] = request["nonce"]
            # RFC 3161 2.4.1: the TSA's certificate when certReq is true, no certificates field otherwise.
            token = self._signer.sign(tsp.TSTInfo(info), with_certificates=bool(request["cert_req"].native))
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})

    def answer(self, body: bytes) -> tuple[int, bytes]:
        """The HTTP status and DER TimeStampResp for a request body: 400 when it is not a DER
        TimeStampReq, 500 (systemFailure) when no token could be made, else 200 (granted, or
        another refusal in the response's status)."""
        try:
            request = parse_request(body)
        except Rejected as rejected:
            status = 400 if rejected.failure == "bad_data_format" else 200
            log.warning("time-stamp request refused: %s", rejected)
            return status, rejected.response()
        try:
            return 200, self.reply(request).dump()
        except Exception:  # the serial file or the key: the client gets an answer, the log the cause
            log.exception("time-stamp request failed")
            return 500, Rejected("system_failure", "the TSA could not issue a token").response()

    def start(self) -> None:
        """`prepare()`, then serves HTTP on 127.0.0.1."""
        self.prepare()
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            timeout = READ_TIMEOUT_S  # a client that stops sending: its connection closes, its thread ends

            def do_POST(self) -> None:  # noqa: N802 (http.server's names)
                self._send(*self._answer())

            def _answer(self) -> tuple[int, bytes]:
                if urlsplit(self.path).path != "/tsa":
                    return 404, Rejected("bad_request", f"no TSA at {self.path}: POST to /tsa").response()
                media_type = self.headers.get_content_type()  # lower case, no parameters
                if media_type != QUERY_MEDIA_TYPE:
                    text = f"Content-Type must be {QUERY_MEDIA_TYPE}, not {media_type}"
                    return 415, Rejected("bad_request", text).response()
                if self.headers.get("Content-Length") is None:
                    return 411, Rejected("bad_request", "Content-Length is required").response()
                try:
                    length = int(self.headers["Content-Length"])
                except ValueError:
                    length = -1
                if not 0 <= length <= MAX_REQUEST_BYTES:
                    text = f"Content-Length must be 0 to {MAX_REQUEST_BYTES}"
                    return 400, Rejected("bad_data_format", text).response()
                return tsa.answer(self.rfile.read(length))

            def _not_allowed(self) -> None:
                body = Rejected("bad_request", f"{self.command} is not allowed: POST a TimeStampReq").response()
                self._send(405, body, head=self.command == "HEAD")

            do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed  # noqa: N815

            def _send(self, status: int, body: bytes, head: bool = False) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                if status == 405:
                    self.send_header("Allow", "POST")
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                log.debug(format, *args)

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="rvi-local-tsa", daemon=True)
        self._thread.start()
        log.info("local TSA at %s", self.url)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
