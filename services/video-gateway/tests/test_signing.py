"""The manifest signing key: from settings (PEM or base64 raw), or generated once into a file."""

from __future__ import annotations

import base64
import hashlib
import logging
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from rvi_video_gateway.sessions.signing import KEY_FILE, SigningKeyError, load_signer
from rvi_video_gateway.settings import VideoGatewaySettings


def pem(key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def test_a_configured_key_in_pem_or_base64_signs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    raw = base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()
    monkeypatch.setenv("RVI_VIDEO_GATEWAY_SIGNING_KEY", pem(key))
    from_pem = load_signer(VideoGatewaySettings(key_dir=str(tmp_path)))
    from_raw = load_signer(VideoGatewaySettings(signing_key=raw, key_dir=str(tmp_path)))
    assert from_pem.public_key == from_raw.public_key
    assert from_pem.key_id == hashlib.sha256(from_pem.public_key).hexdigest()[:16]
    Ed25519PublicKey.from_public_bytes(from_raw.public_key).verify(from_pem.sign(b"manifest"), b"manifest")
    assert list(tmp_path.iterdir()) == [], "a configured key writes no file"


def test_without_a_key_one_is_generated_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = VideoGatewaySettings(key_dir=str(tmp_path / "nested" / "keys"))
    with caplog.at_level(logging.WARNING, logger="rvi_video_gateway.sessions.signing"):
        first = load_signer(settings)
    path = tmp_path / "nested" / "keys" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "local use only" in caplog.text and first.key_id in caplog.text
    assert load_signer(settings).key_id == first.key_id
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE], "no temporary file left behind"


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("not a key at all!", "neither PEM nor base64"),
        (base64.b64encode(bytes(16)).decode(), "32 bytes, got 16"),
        (pem(ec.generate_private_key(ec.SECP256R1())), "not Ed25519"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "PEM"),
    ],
)
def test_an_unusable_key_is_refused(value: str, complaint: str, tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match=complaint) as refused:
        load_signer(VideoGatewaySettings(signing_key=value, key_dir=str(tmp_path)))
    assert "RVI_VIDEO_GATEWAY_SIGNING_KEY" in str(refused.value)
