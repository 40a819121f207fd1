"""A real RFC 3161 time-stamping authority for the embedded default and the tests.

OpenSSL's `ts -reply` signs each request with the TSA certificate issued by the local CA; a small
HTTP handler (RFC 3161 section 3.4: POST `application/timestamp-query`, answer
`application/timestamp-reply`) puts it on a loopback port. Production points
`DocumentsSettings.tsa_url` at the office's own TSA instead.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from rvi_documents.pki.ca import LocalCa

log = logging.getLogger("rvi.documents.tsa")

POLICY_OID = "1.3.6.1.4.1.59999.4.4"  # the embedded TSA's policy (private arc, illustrative)

CONFIG = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/chain.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


class LocalTsa:
    """`start()` serves on 127.0.0.1 (port 0 picks a free one); `url` is where to POST."""

    def __init__(self, ca: LocalCa, directory: Path, port: int = 0) -> None:
        self.ca = ca
        self.directory = directory
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # openssl updates the serial file: one reply at a time

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsa"

    def _prepare(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        identity = self.ca.identity("tsa", "tsa", "rvi 时间戳服务 Time-Stamping Authority", "rvi", timestamping=True)
        key, cert = identity.key, identity.certificate
        pem = serialization.Encoding.PEM
        (self.directory / "tsa.key").write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        (self.directory / "tsa.pem").write_bytes(cert.public_bytes(pem))
        (self.directory / "chain.pem").write_bytes(
            cert.public_bytes(pem) + self.ca.root_certificate().public_bytes(pem)
        )
        serial = self.directory / "serial"
        if not serial.exists():
            serial.write_text("01\n")
        config = self.directory / "tsa.cnf"
        config.write_text(CONFIG.format(dir=self.directory, policy=POLICY_OID))
        return config

    def reply(self, query: bytes) -> bytes:
        """The DER TimeStampResp to a DER TimeStampReq (raises on a malformed query)."""
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            query_path = Path(tmp) / "query.tsq"
            reply_path = Path(tmp) / "reply.tsr"
            query_path.write_bytes(query)
            subprocess.run(
                [
                    "openssl", "ts", "-reply", "-config", str(self.directory / "tsa.cnf"),
                    "-queryfile", str(query_path), "-out", str(reply_path),
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )  # fmt: skip
            return reply_path.read_bytes()

    def start(self) -> None:
        self._prepare()
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                query = self.rfile.read(length)
                try:
                    body = tsa.reply(query)
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
                    log.warning("time-stamp request refused: %s", error)
                    self.send_response(400)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                log.debug(format, *args)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
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
