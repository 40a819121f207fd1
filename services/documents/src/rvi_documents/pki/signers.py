"""Where signing keys come from: the signer interface (GACC-RVI 4(IV); DOMAIN 7 on seals).

`SignerProvider.signer(ref)` gives a pyHanko `Signer` for one role:
- `Pkcs12Signers`: PKCS#12 files of the embedded default's local CA (`ca.LocalCa`);
- `Pkcs11Signers`: keys that never leave an HSM or USB key, through PKCS#11 (python-pkcs11,
  pyHanko's `PKCS11Signer`); each key and certificate carries the label `SignerRef.key_label`.

Extension points (not shipped; each is one more `SignerProvider`):
- a remote signing service following the Cloud Signature Consortium API: return pyHanko's
  `pyhanko.sign.signers.csc_signer.CSCSigner` built from the service URL and credential id;
- an SM2/SM3 organisation seal device (GB/T 38540): pyca/cryptography has no SM2, so subclass
  `pyhanko.sign.signers.Signer`, set `signing_cert`/`cert_registry` from the device and implement
  `async_sign_raw(data, digest_algorithm)` by calling the device's SDK.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from asn1crypto import cms, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.keys import load_cert_from_pemder
from pyhanko.sign import signers
from pyhanko.sign.attributes import CMSAttributeProvider, SigningCertificateV2Provider
from pyhanko.sign.general import as_signing_certificate_v2, get_pyca_cryptography_hash
from pyhanko_certvalidator.registry import SimpleCertificateStore

from rvi_documents.pki.ca import Identity, LocalCa, PrivateKey

SignerRole = Literal["customs_seal", "officer", "enterprise_seal"]


@dataclass(frozen=True)
class SignerRef:
    """Who signs: the role and its label (customs office, credential number, enterprise id)."""

    role: SignerRole
    label: str
    common_name: str
    organisation: str

    @property
    def key_label(self) -> str:
        return f"{self.role}:{self.label}"


class SignerProvider(Protocol):
    def signer(self, ref: SignerRef) -> signers.Signer: ...


class _SigningCertificateOnce(CMSAttributeProvider):
    """The signing-certificate-v2 attribute (RFC 5035; required by PAdES) of one certificate,
    built once: its value depends on the certificate alone."""

    attribute_type = "signing_certificate_v2"

    def __init__(self, signing_cert: asn1_x509.Certificate) -> None:
        self.value = tsp.SigningCertificateV2.load(as_signing_certificate_v2(signing_cert).dump())

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return self.value


class LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's `SimpleSigner` decodes its key again for every signature (twice: the size
    estimate and the signature); for ECDSA and RSA PKCS#1 v1.5 this one keeps the decoded key. It
    also builds the signing-certificate attribute once rather than per signature."""

    _loaded: PrivateKey | None = None
    _signing_certificate: _SigningCertificateOnce | None = None

    def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Iterator[CMSAttributeProvider]:
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if isinstance(provider, SigningCertificateV2Provider) and provider.signing_cert == self.signing_cert:
                if self._signing_certificate is None:
                    self._signing_certificate = _SigningCertificateOnce(provider.signing_cert)
                yield self._signing_certificate
            else:
                yield provider

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism not in ("ecdsa", "rsassa_pkcs1v15"):
            return super().sign_raw(data, digest_algorithm)
        if self._loaded is None:
            key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            assert isinstance(key, PrivateKey)
            self._loaded = key
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "ecdsa":
            assert isinstance(self._loaded, EllipticCurvePrivateKey)
            return self._loaded.sign(data, ECDSA(digest))
        assert isinstance(self._loaded, RSAPrivateKey)
        return self._loaded.sign(data, PKCS1v15(), digest)

    async def signed_attrs(self, *args: Any, **kwargs: Any) -> cms.CMSAttributes:
        """The same attributes, as parsed from their DER: asn1crypto serialises a value it built
        again on every `dump()` (several per signature), a parsed one returns its bytes."""
        built = await super().signed_attrs(*args, **kwargs)
        return cms.CMSAttributes.load(built.dump())

    @classmethod
    def of(cls, identity: Identity, root: asn1_x509.Certificate) -> LoadedKeySigner:
        """The signer of a local CA identity, its key already decoded (no PKCS#12 read)."""
        der = serialization.Encoding.DER
        key_der = identity.key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        signer = cls(
            asn1_x509.Certificate.load(identity.certificate.public_bytes(der)),
            keys.PrivateKeyInfo.load(key_der),
            SimpleCertificateStore.from_certs([root]),
        )
        signer._loaded = identity.key
        return signer


class Pkcs12Signers:
    """Keys in PKCS#12 files issued on demand by the local CA (the embedded default); one signer
    per identity, rebuilt when the CA renews it."""

    def __init__(self, ca: LocalCa) -> None:
        self.ca = ca
        self._cache: dict[str, tuple[Identity, signers.Signer]] = {}
        self._lock = threading.Lock()

    def signer(self, ref: SignerRef) -> signers.Signer:
        identity = self.ca.identity(ref.role, ref.label, ref.common_name, ref.organisation)
        with self._lock:
            cached = self._cache.get(ref.key_label)
            if cached is not None and cached[0] is identity:
                return cached[1]
        root = asn1_x509.Certificate.load(self.ca.root_certificate().public_bytes(serialization.Encoding.DER))
        signer = LoadedKeySigner.of(identity, root)
        with self._lock:
            self._cache[ref.key_label] = (identity, signer)
        return signer


class Pkcs11Signers:
    """Keys on a PKCS#11 token: the private key and its certificate labelled `ref.key_label`.

    `lib` is the module (e.g. /usr/lib/softhsm/libsofthsm2.so), `token_label` and `user_pin`
    open one session that is reused (python-pkcs11 sessions are thread-safe)."""

    def __init__(self, lib: str, token_label: str, user_pin: str, trust_chain: list[str] | None = None) -> None:
        from pyhanko.sign.pkcs11 import TokenCriteria, open_pkcs11_session

        self.session = open_pkcs11_session(lib, token_criteria=TokenCriteria(label=token_label), user_pin=user_pin)
        self.chain = [load_cert_from_pemder(path) for path in trust_chain or []]
        self._cache: dict[str, signers.Signer] = {}

    def signer(self, ref: SignerRef) -> signers.Signer:
        from pyhanko.sign.pkcs11 import PKCS11Signer

        if ref.key_label not in self._cache:
            signer = PKCS11Signer(self.session, cert_label=ref.key_label, key_label=ref.key_label)
            if self.chain:
                registry = SimpleCertificateStore.from_certs(self.chain)
                signer = PKCS11Signer(
                    self.session, cert_label=ref.key_label, key_label=ref.key_label, ca_chain=registry
                )
            # ECDSA: the digest made here, the token signs it (CKM_ECDSA); tokens such as SoftHSM2
            # offer no hashing ECDSA mechanism (CKM_ECDSA_SHA256).
            signer.use_raw_mechanism = signer.signing_cert.public_key.algorithm == "ec"
            self._cache[ref.key_label] = signer
        return self._cache[ref.key_label]

    def close(self) -> None:
        self.session.close()
