"""The embedded default's local certification authority, created at first run.

It issues the organisation certificates of the customs seal (one per customs office), of the
officers (one per enforcement credential number) and of each enterprise's seal held for it by
the platform, and the time-stamping authority's certificate (RFC 3161, extended key usage
timeStamping). Keys are kept as PKCS#12 files under one directory, the root as `root.pem`: the
trust root verifiers are given (`DocumentsSettings.trust_roots` adds others). Production replaces
it with the customs PKI: signers then come from PKCS#11 or a remote service (see `signers`).

Keys are ECDSA on NIST P-256 with SHA-256, root and end entities alike: a suite ETSI TS 119 312
lists for advanced electronic signatures and seals, which PAdES verifiers (Acrobat, poppler)
accept. A directory made by an earlier version keeps its RSA-2048 root and identities: they are
loaded and used as they are, and what that root issues from then on is P-256. SM2/SM3 seals (GB/T 38540) plug in as signers, not here.

An identity is issued once per signer (one officer: one key and certificate for every signature
they make) and kept, file and decoded key, for the life of the process; it is issued again when
its certificate comes within `RENEW_BEFORE` of its end or no longer names the signer as given
(an officer's name, an enterprise's name changed), so that every signature is made with a
certificate valid at signing time that carries the signer's identity.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSPHRASE = b"rvi-embedded"  # the embedded default's files; an HSM holds production keys
VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)
VALIDITY = timedelta(days=365 * 30)
RENEW_BEFORE = timedelta(days=30)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
"""A new key is P-256; an RSA key is one an earlier version made."""


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _load(path: Path) -> tuple[PrivateKey, x509.Certificate]:
    key, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), PASSPHRASE)
    if not isinstance(key, PrivateKey) or cert is None:
        raise ValueError(f"{path}: no P-256 or RSA key with its certificate")
    return key, cert


@dataclass(frozen=True)
class Identity:
    """A key and its certificate in a PKCS#12 file, issued by the local CA; `key` is the file's
    key, decoded."""

    name: str
    pkcs12_path: Path
    certificate: x509.Certificate
    key: PrivateKey


def _name(common_name: str, organisation: str, unit: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def file_key(label: str) -> str:
    """A file name for any label (Chinese names, credential numbers): its SHA-256 prefix."""
    return hashlib.sha256(label.encode()).hexdigest()[:24]


class LocalCa:
    """Creates the root on first use and issues identities on demand; thread-safe."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._root: tuple[PrivateKey, x509.Certificate] | None = None
        self._issued: dict[str, Identity] = {}

    @property
    def root_path(self) -> Path:
        return self.directory / "root.pem"

    def root_certificate(self) -> x509.Certificate:
        return self._root_pair()[1]

    def _root_pair(self) -> tuple[PrivateKey, x509.Certificate]:
        with self._lock:
            if self._root is None:
                self._root = self._load_or_create_root()
            return self._root

    def _load_or_create_root(self) -> tuple[PrivateKey, x509.Certificate]:
        self.directory.mkdir(parents=True, exist_ok=True)
        key_path = self.directory / "root.p12"
        if key_path.exists():
            return _load(key_path)
        key = _new_key()
        name = _name("rvi 本地根证书 Local Root CA", "rvi embedded platform")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(VALID_FROM)
            .not_valid_after(VALID_FROM + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        self._write_atomic(
            key_path,
            pkcs12.serialize_key_and_certificates(
                b"root", key, cert, None, serialization.BestAvailableEncryption(PASSPHRASE)
            ),
        )
        self._write_atomic(self.root_path, cert.public_bytes(serialization.Encoding.PEM))
        return key, cert

    def _write_atomic(self, path: Path, data: bytes) -> None:
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_bytes(data)
        temporary.replace(path)

    def crl(self, now: datetime) -> bytes:
        """The root's certificate revocation list (DER), nothing revoked, reissued daily: the
        revocation information embedded with each signature (PAdES B-LT)."""
        root_key, root_cert = self._root_pair()
        path = self.directory / "root.crl"
        with self._lock:
            if path.exists():
                current = x509.load_der_x509_crl(path.read_bytes())
                next_update = current.next_update_utc
                if next_update is not None and next_update - now > timedelta(days=6):
                    return path.read_bytes()
            this_update = now.replace(microsecond=0) - timedelta(minutes=5)
            crl = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(root_cert.subject)
                .last_update(this_update)
                .next_update(this_update + timedelta(days=7))
                .add_extension(x509.CRLNumber(int(this_update.timestamp())), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
                )
                .sign(root_key, hashes.SHA256())
            )
            data = crl.public_bytes(serialization.Encoding.DER)
            self._write_atomic(path, data)
            return data

    def identity(
        self,
        kind: str,
        label: str,
        common_name: str,
        organisation: str,
        *,
        timestamping: bool = False,
        now: datetime | None = None,
    ) -> Identity:
        """The identity `kind/label` (e.g. ("officer", "NB-0001", "王力", "慈溪海关")): the one
        already issued, from memory or its file, while its certificate names `common_name` of
        `organisation` and stays valid `RENEW_BEFORE` past `now` (default: the wall clock, which
        time-stamps follow); else a new key and certificate, replacing the file."""
        root_key, root_cert = self._root_pair()
        now = now or datetime.now(UTC)
        name = f"{kind}-{file_key(label)}"
        subject = _name(common_name, organisation, kind)
        with self._lock:
            identity = self._issued.get(name)
            path = self.directory / f"{name}.p12"
            if identity is None and path.exists():
                key, cert = _load(path)
                identity = Identity(name, path, cert, key)
            if identity is None or not self._current(identity.certificate, subject, root_cert, now):
                key, cert = self._issue(path, root_key, root_cert, subject, timestamping, now)
                identity = Identity(name, path, cert, key)
            self._issued[name] = identity
            return identity

    @staticmethod
    def _current(cert: x509.Certificate, subject: x509.Name, root: x509.Certificate, now: datetime) -> bool:
        """Still the signer's certificate: same subject, and not near its end (unless the root
        ends first: a new leaf could not outlive it)."""
        if cert.subject != subject:
            return False
        ends = cert.not_valid_after_utc
        return ends - now > RENEW_BEFORE or ends >= root.not_valid_after_utc

    def _issue(
        self,
        path: Path,
        root_key: PrivateKey,
        root_cert: x509.Certificate,
        subject: x509.Name,
        timestamping: bool,
        now: datetime,
    ) -> tuple[PrivateKey, x509.Certificate]:
        key = _new_key()
        # From VALID_FROM: documents may be dated by a test or replay clock before today.
        not_after = min(max(VALID_FROM + VALIDITY, now + VALIDITY), root_cert.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(root_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(VALID_FROM)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        )
        if timestamping:
            builder = builder.add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        else:
            builder = builder.add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            )
        cert = builder.sign(root_key, hashes.SHA256())
        self._write_atomic(
            path,
            pkcs12.serialize_key_and_certificates(
                path.stem.encode(), key, cert, [root_cert], serialization.BestAvailableEncryption(PASSPHRASE)
            ),
        )
        return key, cert
