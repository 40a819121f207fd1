"""Hostile media tokens: each is refused as a generic 401 (MediaTokenError), never a 500."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from rvi_shared.auth.hostile import hostile_tokens
from rvi_video_gateway.media.tokens import AUDIENCE, ISSUER, MediaTokenError, MediaTokens

KEY = b"media-key-for-the-hostile-token-tests"
PUBLIC_PEM = (
    ec.generate_private_key(ec.SECP256R1())
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
)
CLAIMS = {"sub": "ENT-1", "scope": "publish", "feed": "F1"}
TOKENS = hostile_tokens(KEY, CLAIMS, public_key_pem=PUBLIC_PEM, issuer=ISSUER, audience=AUDIENCE)


@pytest.mark.parametrize(("name", "token"), TOKENS, ids=[name for name, _ in TOKENS])
def test_hostile_media_token_is_refused(name: str, token: str) -> None:
    with pytest.raises(MediaTokenError) as refused:
        MediaTokens(KEY).verify(f"Bearer {token}", "publish", "F1")
    assert refused.value.status_code == 401 and refused.value.message == "the media token is not valid"


def test_a_minted_token_passes_and_the_lifetime_is_bounded() -> None:
    tokens = MediaTokens(KEY, max_lifetime_s=3600)
    token, _ = tokens.mint("publish", "F1", "ENT-1", ttl_s=600)
    assert tokens.verify(f"Bearer {token}", "publish", "F1").subject == "ENT-1"
    long, _ = tokens.mint("publish", "F1", "ENT-1", ttl_s=7200)
    with pytest.raises(MediaTokenError):
        tokens.verify(f"Bearer {long}", "publish", "F1")
