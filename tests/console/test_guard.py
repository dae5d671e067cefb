"""The console is for this machine only (Host header, no proxy headers), and every route
answers what it cannot read with a 4xx that says what to fix — never a 500 — changing nothing."""

from __future__ import annotations

import base64
import json

import pytest

from tests.console.conftest import GOOD_INTAKE, Console

FORM = "application/x-www-form-urlencoded"
POSTS = ["/act-as", "/raise", "/clock", "/challenges/CH-ABCDEF/accept"]


async def _challenges(console: Console) -> int:
    async with console.service.database.uow(read_only=True) as uow:
        return len(await uow.challenges.listing(active_only=False))


# --- loopback only ---------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:3978", "127.0.0.1.evil.example",
                                  "localhost.evil.example", "user@127.0.0.1", "127.0.0.1:port", ""])
async def test_a_host_header_that_does_not_name_this_machine_is_refused(console: Console, host: str) -> None:
    """DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and sends its own Host."""
    before = console.service.clock_offset
    for method, path in (("GET", "/"), ("GET", "/raise"), ("POST", "/act-as"), ("POST", "/clock"),
                         ("GET", "/console/static/console.css")):
        response = await console.client.request(method, path, headers={"Host": host},
                                                data={"person": "ava.okafor", "step": "week"})
        assert response.status == 403, (method, path)
        assert "127.0.0.1 or http://localhost" in await response.text()
    assert console.service.clock_offset == before


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "localhost:3978", "app.localhost:3978"])
async def test_loopback_names_are_served(console: Console, host: str) -> None:
    response = await console.client.get("/", headers={"Host": host})
    assert response.status == 200


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"])
async def test_a_request_through_a_reverse_proxy_is_refused(console: Console, header: str) -> None:
    before = console.service.clock_offset
    for method, path in (("GET", "/"), ("POST", "/clock"), ("POST", "/act-as")):
        response = await console.client.request(method, path, headers={header: "203.0.113.7"},
                                                data={"step": "week", "person": "ava.okafor"})
        assert response.status == 403
        assert header in await response.text()
    assert console.service.clock_offset == before
    assert "mashbot_console_as" not in console.client.session.cookie_jar.filter_cookies(
        console.client.make_url("/"))


async def test_other_routes_are_not_the_consoles_business(console: Console) -> None:
    response = await console.client.get("/healthz", headers={"Host": "mashbot.example.org", "X-Forwarded-For": "x"})
    assert response.status == 200


# --- bodies it cannot read -------------------------------------------------------------------------

BROKEN_BODIES = {
    "not UTF-8": (b"person=\xff\xfe\xfd", FORM, "not valid utf-8"),
    "an unknown charset": (b"person=ava.okafor", f"{FORM}; charset=klingon", "character set"),
    "broken multipart": (b'--xx\r\nContent-Disposition: form-data; name="person"\r\nbroken',
                         "multipart/form-data; boundary=xx", "could not be read"),
    "multipart without a boundary": (b"--xx\r\nbroken", "multipart/form-data", "could not be read"),
    "a multipart part in an unknown charset": (
        b'--xx\r\nContent-Disposition: form-data; name="person"\r\nContent-Type: text/plain; charset=klingon'
        b"\r\n\r\nava\r\n--xx--\r\n", "multipart/form-data; boundary=xx", "character set"),
    "a file upload": (b'--xx\r\nContent-Disposition: form-data; name="person"; filename="a.txt"\r\n'
                      b"Content-Type: text/plain\r\n\r\nava\r\n--xx--\r\n", "multipart/form-data; boundary=xx",
                      "no file uploads"),
    "a huge field": (b"reason_text=" + b"x" * 200_000, FORM, "too long"),
    "hundreds of fields": (b"&".join(b"f%d=1" % i for i in range(500)), FORM, "too many fields"),
}


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("kind", list(BROKEN_BODIES))
async def test_a_body_that_is_not_a_readable_form_is_400_with_a_reason(console: Console, path: str,
                                                                        kind: str) -> None:
    await console.act_as("tara.nolan")
    body, content_type, reason = BROKEN_BODIES[kind]
    before = console.service.clock_offset
    response = await console.client.post(path, data=body, headers={"Content-Type": content_type})
    assert response.status == 400
    text = await response.text()
    assert reason in text and "Traceback" not in text
    assert console.service.clock_offset == before
    assert await _challenges(console) == 0


async def test_a_body_over_a_megabyte_is_413(console: Console) -> None:
    response = await console.client.post("/raise", data=b"reason_text=" + b"x" * 2_000_000,
                                         headers={"Content-Type": FORM})
    assert response.status == 413


async def test_a_good_intake_still_raises(console: Console) -> None:
    """The control for the bodies above."""
    await console.act_as("tara.nolan")
    assert (await console.raise_challenge(**GOOD_INTAKE)).startswith("CH-")


# --- cookies and file names -------------------------------------------------------------------------


def _flash(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize("cookie", [
    "%%%not-base64%%%",
    base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
    _flash({"level": "info"}),
    _flash([["info", "fine"], ["only-one"]]),
    _flash([[1, 2]]),
    base64.urlsafe_b64encode(b"[" * 2000 + b"]" * 2000).decode(),  # deeply nested, small enough to send
    _flash([["info", "x" * 5000]]),
])
async def test_a_corrupt_flash_cookie_is_400_and_cleared(console: Console, cookie: str) -> None:
    response = await console.client.get("/", headers={"Cookie": f"mashbot_console_flash={cookie}"})
    assert response.status == 400
    assert "cookie mashbot cannot read" in await response.text()
    assert "mashbot_console_flash=\"\"" in response.headers.get("Set-Cookie", "") or \
        "mashbot_console_flash=;" in response.headers.get("Set-Cookie", "")
    assert (await console.client.get("/")).status == 200  # reloading works


@pytest.mark.parametrize("name", ["a" * 300, "a" * 5000, "a/" * 2000, "%00", "..%2f..%2fpyproject.toml"])
async def test_a_long_or_odd_static_file_name_is_404(console: Console, name: str) -> None:
    response = await console.client.get(f"/console/static/{name}")
    assert response.status == 404
