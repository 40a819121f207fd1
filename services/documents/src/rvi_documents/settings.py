from __future__ import annotations

from typing import ClassVar, Literal

from rvi_shared.settings import ServiceSettings


class DocumentsSettings(ServiceSettings):
    service_name: ClassVar[str] = "documents"
    default_port: ClassVar[int] = 8004

    timezone: str = "Asia/Shanghai"
    # Keys and certificates of the embedded default's local CA (created at first run).
    pki_dir: str = ".rvi/pki"
    # PEM files of further trust roots for verification (the local CA's root is always one).
    trust_roots: list[str] = []
    # Where signing keys come from: the local CA's PKCS#12 files, or a PKCS#11 token.
    signer_backend: Literal["pkcs12", "pkcs11"] = "pkcs12"
    pkcs11_lib: str = "/usr/lib/softhsm/libsofthsm2.so"
    pkcs11_token: str = "rvi"
    pkcs11_pin: str = ""
    # RFC 3161 TSA; unset: the embedded local TSA (pki.tsa) is started on a loopback port.
    tsa_url: str | None = None
    tsa_timeout_s: float = 10.0
    # A document whose seal could not be time-stamped is retried after this delay (doubling).
    seal_retry_s: float = 5.0
    seal_retry_max_s: float = 300.0
    # Due seals are looked for every timer_interval_s; overdue service, manifests waiting for
    # their time-stamp and the awaiting-seal gauge every housekeeping_interval_s.
    timer_interval_s: float = 1.0
    housekeeping_interval_s: float = 15.0
    # Rectification deadline and the window for the enterprise's written views (DOMAIN 7).
    rectification_days: int = 30
    comment_window_days: int = 7
    # Service (送达): the deadline after issue by which a document must be served.
    service_deadline_days: int = 7
    # Pre-inspection uploads (GACC-RVI 4(II)).
    upload_max_bytes: int = 20 * 1024 * 1024
