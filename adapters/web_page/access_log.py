"""The access log without the tokens of emailed links: a logged link could be used by whoever
reads the log, so its token is replaced by a few characters of its hash."""

from __future__ import annotations

import hashlib
import re

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

_TOKEN_PATH = re.compile(r"^(/web/(?:act|sign-in)/)([^/?#]+)")


def redact(path: str) -> str:
    """`/web/act/<token>` -> `/web/act/[link 1a2b3c4d]` (the same link reads the same)."""
    return _TOKEN_PATH.sub(lambda m: f"{m.group(1)}[link {hashlib.sha256(m.group(2).encode()).hexdigest()[:8]}]",
                           path)


class RedactingAccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info('%s "%s %s" %s %.3fs', request.remote, request.method, redact(request.path),
                         response.status, time)
