"""Bad input to /web is a 4xx page saying what to fix, never a 500."""

from __future__ import annotations

from tests.web.conftest import Served, csrf_of, raise_as, sign_in


async def test_bad_requests_to_the_signed_in_page_are_4xx_with_a_message(served: Served) -> None:
    await sign_in(served, served.client, "victor.hale@example.org")
    reference = await raise_as(served, served.client)
    page = await (await served.client.get(f"{served.base}/web/challenges/{reference}")).text()
    csrf = csrf_of(page, f"/web/challenges/{reference}/withdraw")
    base = f"{served.base}/web/challenges/{reference}"
    no_version = await served.client.post(f"{base}/withdraw", data={"csrf": csrf})
    assert no_version.status == 400 and "no version" in await no_version.text()
    unknown = await served.client.post(f"{base}/launch_rocket", data={"csrf": csrf, "version": "1"})
    assert unknown.status == 400 and "Unknown action" in await unknown.text()
    stale = await served.client.post(f"{base}/withdraw", data={"csrf": csrf, "version": "99"})
    assert stale.status == 409
    missing = await served.client.get(f"{served.base}/web/challenges/CH-ZZZZZZ")
    assert missing.status == 404 and "There is no challenge CH-ZZZZZZ of yours" in await missing.text()
    junk = await served.client.get(f"{served.base}/web/challenges/{'x' * 3000}")
    assert junk.status in (404, 414)
    charset = await served.client.post(f"{base}/withdraw", data=b"csrf=x",
                                       headers={"Content-Type": "application/x-www-form-urlencoded; charset=nope"})
    assert charset.status == 400 and "character set" in await charset.text()
    import io

    import aiohttp

    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", io.BytesIO(b"\x00\x01"), filename="x.bin")
    upload = await served.client.post(f"{served.base}/web/raise", data=form)
    assert upload.status in (400, 403)
    assert (await served.challenge(reference)).state.value == "open"


async def test_someone_elses_challenge_is_not_shown(served: Served) -> None:
    await sign_in(served, served.client, "victor.hale@example.org")
    reference = await raise_as(served, served.client)
    async with served.new_client() as other:
        await sign_in(served, other, "uma.castell@example.org")
        response = await other.get(f"{served.base}/web/challenges/{reference}")
        assert response.status == 404


def test_the_access_log_never_holds_a_links_token() -> None:
    from adapters.web_page.access_log import redact

    token = "eyJwdXJwb3NlIjoiYWN0aW9uIn0.abcdefghijklmnopqrstuvwx"
    assert token not in redact(f"/web/act/{token}")
    assert redact(f"/web/act/{token}") == redact(f"/web/act/{token}").strip()
    assert redact(f"/web/sign-in/{token}").startswith("/web/sign-in/[link ")
    assert redact("/web/challenges/CH-AAAAAA") == "/web/challenges/CH-AAAAAA"
