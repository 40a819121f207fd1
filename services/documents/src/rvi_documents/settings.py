from __future__ import annotations

from typing import ClassVar

from rvi_shared.settings import ServiceSettings


class DocumentsSettings(ServiceSettings):
    service_name: ClassVar[str] = "documents"
    default_port: ClassVar[int] = 8004

    timezone: str = "Asia/Shanghai"
