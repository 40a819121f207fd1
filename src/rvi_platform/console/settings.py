"""Console settings (RVI_CONSOLE_<FIELD>): where the APIs are, the identity provider, and
whether the development sign-in is on."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from rvi_shared.settings import DEV_JWT_SECRET

WEB_DIST = Path(__file__).resolve().parents[3] / "web" / "dist"


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RVI_CONSOLE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    dist_dir: Path = WEB_DIST
    eligibility_url: str = "http://127.0.0.1:8001"
    scheduling_url: str = "http://127.0.0.1:8002"
    video_gateway_url: str = "http://127.0.0.1:8003"
    documents_url: str = "http://127.0.0.1:8004"
    oidc_issuer: str = Field(default="", description="OpenID Provider issuer URL; empty: no OIDC sign-in offered")
    oidc_client_id: str = ""
    oidc_scope: str = "openid profile"
    # Mints tokens for the demo's people with the services' shared secret: development only.
    dev_sign_in: bool = False
    jwt_secret: str = Field(default=DEV_JWT_SECRET, validation_alias="RVI_JWT_SECRET")
    jwt_issuer: str = Field(default="rvi", validation_alias="RVI_JWT_ISSUER")
    jwt_audience: str = Field(default="rvi", validation_alias="RVI_JWT_AUDIENCE")
    dev_token_ttl_s: int = 8 * 3600

    def public_config(self) -> dict[str, object]:
        """What the browser reads from /config.json: no secret."""
        return {
            "apis": {
                "eligibility": self.eligibility_url.rstrip("/"),
                "scheduling": self.scheduling_url.rstrip("/"),
                "videoGateway": self.video_gateway_url.rstrip("/"),
                "documents": self.documents_url.rstrip("/"),
            },
            "oidc": {"issuer": self.oidc_issuer, "clientId": self.oidc_client_id, "scope": self.oidc_scope}
            if self.oidc_issuer and self.oidc_client_id
            else None,
            "devSignIn": self.dev_sign_in,
        }
