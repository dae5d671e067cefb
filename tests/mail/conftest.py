from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.mail.microsoft import FakeEntra, FakeGraph, microsoft


@pytest.fixture(autouse=True)
def _loopback_without_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """msal uses requests, which honours proxy and CA-bundle variables: keep them off loopback."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
async def ms(tmp_path: Path) -> AsyncIterator[tuple[FakeEntra, FakeGraph]]:
    async with microsoft(tmp_path) as fakes:
        yield fakes
