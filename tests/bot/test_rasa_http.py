"""The gateway's transport to Rasa on real sockets: what came back, and whether a failed request
left (another replica may take it) or may have reached Rasa (the safe reply instead)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from bot.conversation.rasa_http import AiohttpTransport, Failed, NotSent
from bot.ops.launcher import free_port
from tests.bot.http_stub import HttpStub

pytestmark = pytest.mark.unit


@pytest.fixture
async def stub() -> AsyncIterator[HttpStub]:
    server = await HttpStub().start()
    yield server
    await server.stop()


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    made = AiohttpTransport(max_connections=4, timeout=1.0, connect_timeout=0.3)
    yield made
    await made.aclose()


async def test_the_json_answer_and_what_was_sent(stub, transport):
    body = {"sender": "s", "message": "hej då", "metadata": {"lang": "sv"}}
    answer = await transport.request("POST", stub.url + "/webhooks/rest/webhook", body)
    assert answer == [{"text": "Hej"}]
    await transport.request("GET", stub.url + "/conversations/s/tracker", params={"token": "t"})
    (first_line, sent), (second_line, _) = stub.seen
    assert first_line == "POST /webhooks/rest/webhook HTTP/1.1"
    assert json.loads(sent) == body
    assert second_line == "GET /conversations/s/tracker?token=t HTTP/1.1"


async def test_an_error_status_failed_after_sending(stub, transport):
    stub.status = 500
    with pytest.raises(Failed) as failed:
        await transport.request("POST", stub.url + "/webhooks/rest/webhook", {})
    assert failed.value.kind == "HTTPStatusError"


async def test_no_answer_after_sending_failed_not_unsent(stub, transport):
    stub.silent = True
    started = time.monotonic()
    with pytest.raises(Failed):
        await transport.request("POST", stub.url + "/webhooks/rest/webhook", {})
    assert 0.9 < time.monotonic() - started < 3
    assert len(stub.seen) == 1  # it did reach the server


async def test_a_refused_port_was_not_sent_and_says_so_at_once(transport):
    started = time.monotonic()
    with pytest.raises(NotSent) as not_sent:
        await transport.request("POST", f"http://127.0.0.1:{free_port()}/webhooks/rest/webhook")
    assert not not_sent.value.timed_out
    assert time.monotonic() - started < 0.3


async def test_a_host_that_does_not_answer_was_not_sent_after_the_connect_timeout(
    unanswered_port, transport
):
    started = time.monotonic()
    with pytest.raises(NotSent) as not_sent:
        await transport.request("POST", f"http://127.0.0.1:{unanswered_port}/webhooks/rest/webhook")
    assert not_sent.value.timed_out
    assert 0.25 < time.monotonic() - started < 0.9


async def test_waiting_too_long_for_a_free_connection_failed_and_sent_nothing(stub):
    stub.silent = True
    one = AiohttpTransport(max_connections=1, timeout=0.5, connect_timeout=0.3)
    try:
        results = await asyncio.gather(
            one.request("POST", stub.url + "/a", {}),
            one.request("POST", stub.url + "/b", {}),
            return_exceptions=True,
        )
    finally:
        await one.aclose()
    kinds = sorted(getattr(result, "kind", "") for result in results)
    assert all(isinstance(result, Failed) for result in results)
    assert kinds == ["PoolTimeout", "SocketTimeoutError"]  # the one sent timed out reading
    assert len(stub.seen) == 1  # the one that waited for the pool never reached the server
