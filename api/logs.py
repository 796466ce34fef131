"""Structured logs: one JSON object per line, with the request id of the request being served
(api/request_context.py), so a log line, the response's X-Request-ID and the audit entries of
one request can be put side by side. `atlas-match serve` installs it (uvicorn's log config); tokens and passwords are
never passed to a logger (the throttle logs the source address and the route, not the header).
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from api import request_context

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
               "request_id": request_context.request_id()}
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def uvicorn_log_config() -> dict:
    """The whole process (uvicorn, the driver, atlas.*) through one JSON handler on stderr."""
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": JsonFormatter}},
            "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "json"}},
            "root": {"handlers": ["default"], "level": "INFO"}}
