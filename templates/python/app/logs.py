"""JSON logs on stdout, one object per line.

`severity`, `message` and `time` are the names Cloud Logging reads; other platforms' log collectors
(and `jq`) parse the lines as they are. Fields passed with `extra={...}` become keys of the object.
"""

import json
import logging
import logging.config
import os
from datetime import datetime, timezone

# Attributes every LogRecord has: anything else on a record came from `extra`.
_RECORD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "severity": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def logging_config(level: str | None = None) -> dict:
    """A `logging.config.dictConfig` mapping: every log line goes to stdout as JSON."""
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "root": {"level": level, "handlers": ["stdout"]},
        # gunicorn's own loggers (production server): same handler, same format.
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": level, "handlers": [], "propagate": False},
        },
    }


def setup(level: str | None = None) -> None:
    logging.config.dictConfig(logging_config(level))

