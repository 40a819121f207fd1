"""The evidence manifest's signer (DESIGN: Media plane, Evidence): Ed25519 over the canonical
JSON of the manifest document. The key comes from settings; without one, a key is generated
once and kept in a file, which is only good for local use (nobody else knows to trust it)."""

from __future__ import annotations

import base64
import binascii
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from rvi_video_gateway.sessions.evidence import SIGNATURE_ALGORITHM, key_id_of
from rvi_video_gateway.settings import VideoGatewaySettings

log = logging.getLogger(__name__)
KEY_FILE = "video-gateway-ed25519.pem"
SETTING = "RVI_VIDEO_GATEWAY_SIGNING_KEY"


class SigningKeyError(ValueError):
    pass


class ManifestSigner:
    algorithm = SIGNATURE_ALGORITHM

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)


def parse_private_key(text: str) -> Ed25519PrivateKey:
    """A PEM (PKCS#8) Ed25519 private key, or its raw 32 bytes in base64."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{SETTING}: not a readable unencrypted PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{SETTING}: the PEM key is {type(key).__name__}, not Ed25519")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SigningKeyError(f"{SETTING}: neither PEM nor base64") from None
    if len(raw) != 32:
        raise SigningKeyError(f"{SETTING}: a raw Ed25519 private key is 32 bytes, got {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def stored_or_generated_key(path: Path) -> Ed25519PrivateKey:
    """The key in `path`, generated (mode 0600) when absent. Replicas sharing the folder that
    start together agree on one key: the file appears atomically and the first one wins."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(_pem(Ed25519PrivateKey.generate()))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return parse_private_key(path.read_text("ascii"))


def load_signer(settings: VideoGatewaySettings) -> ManifestSigner:
    if settings.signing_key:
        return ManifestSigner(parse_private_key(settings.signing_key))
    path = Path(settings.key_dir) / KEY_FILE
    signer = ManifestSigner(stored_or_generated_key(path))
    log.warning(
        "evidence manifests are signed with a key generated on this machine (%s, key id %s): "
        "for local use only; set %s in any real deployment",
        path,
        signer.key_id,
        SETTING,
    )
    return signer
