"""JSON logs carrying the service, the inspection id and the trace id."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from rvi_shared.observability.context import inspection_id_var
from rvi_shared.observability.tracing import current_trace_id


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if inspection_id := record.__dict__.get("inspection_id") or inspection_id_var.get():
            entry["inspection_id"] = inspection_id
        if trace_id := current_trace_id():
            entry["trace_id"] = trace_id
        for key in ("event_id", "event_type", "topic"):
            if (value := record.__dict__.get(key)) is not None:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
