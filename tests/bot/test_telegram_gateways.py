"""Telegram with two gateways on one Redis (webhook mode), against the Bot API stand-in: an update
that reaches both (Telegram retries) is handled once, and staff messages reach the chat once
while both gateways run their delivery loops."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import redis
from fastapi import FastAPI, HTTPException

from bot.channels import telegram_delivery
from bot.config import Settings
from bot.handoff.states import Side
from bot.main import create_app
from tests.bot.conftest import FakeClock, FakeRasa
from tests.bot.test_telegram import (
    CHAT,
    TOKEN,
    bot_api,
    post_update,
    session_id,
    telegram_settings,
)
from tests.telegram_standin import BotApiStandIn, text_update

pytestmark = pytest.mark.unit

__all__ = ["bot_api"]  # the stand-in's fixture, shared with test_telegram.py


async def _start(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    rasa: httpx.AsyncBaseTransport,
    clock: FakeClock,
    bot_api: BotApiStandIn,
    name: str,
) -> tuple[FastAPI, httpx.AsyncClient]:
    app = create_app(
        telegram_settings(settings, bot_api.base_url), rasa_transport=rasa, clock=clock
    )
    await stack.enter_async_context(app.router.lifespan_context(app))
    await app.state.telegram.ready.wait()
    transport = httpx.ASGITransport(app=app)
    http = await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test")
    )
    return app, http


@pytest.fixture
async def tg_pair(
    settings: Settings,
    fake_rasa: FakeRasa,
    redis_client: redis.Redis,
    clock: FakeClock,
    bot_api: BotApiStandIn,
) -> AsyncIterator[list[tuple[FastAPI, httpx.AsyncClient]]]:
    """Two gateways with Telegram on, sharing the Redis and the Bot API (as two machines
    behind a load balancer would), each in its lifespan with its own delivery loop."""
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await _start(stack, settings, httpx.MockTransport(fake_rasa.handler), clock, bot_api, n)
            for n in ("one", "two")
        ]


async def retried(gateway: httpx.AsyncClient, update: dict) -> httpx.Response:
    """As Telegram does: the update again until it gets a 200."""
    for _ in range(100):
        response = await post_update(gateway, update)
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.05)
    raise AssertionError("never answered 200")


async def test_an_update_sent_to_both_gateways_at_once_is_handled_once(tg_pair, bot_api, fake_rasa):
    (_, one), (_, two) = tg_pair
    updates = [text_update(500 + n, CHAT + n, "hej") for n in range(20)]
    # Each update to both at once, half of them to the second gateway first.
    pairs = [(one, two) if n % 2 else (two, one) for n in range(20)]
    answers = await asyncio.gather(
        *(
            retried(gateway, update)
            for update, pair in zip(updates, pairs, strict=True)
            for gateway in pair
        )
    )
    assert [a.status_code for a in answers] == [200] * 40
    queued = [a.json()["queued"] for a in answers]
    assert [queued[2 * n] + queued[2 * n + 1] for n in range(20)] == [1] * 20
    won_by_one = [queued[2 * n] == (pairs[n][0] is one) for n in range(20)]
    assert 0 < sum(won_by_one) < 20  # each gateway handled some of them
    await asyncio.sleep(0.5)  # time for a second answer, were there one
    assert Counter(call.params["chat_id"] for call in bot_api.sent()) == {
        CHAT + n: 1 for n in range(20)
    }
    assert len(fake_rasa.received) == 20


async def test_an_update_is_answered_only_once_it_was_handled(tg_pair, bot_api):
    """The 200 comes after the reply went out, so a gateway that dies before has given
    Telegram no 200, and Telegram's retry is handled by the other (below)."""
    (_, one), _ = tg_pair
    response = await post_update(one, text_update(700, CHAT, "hej"))
    assert response.json()["queued"] is True
    assert len(bot_api.sent(CHAT)) == 1  # already sent, no waiting


async def test_the_other_gateway_handles_an_update_whose_gateway_died(
    tg_pair, bot_api, redis_client
):
    (app_one, one), (_, two) = tg_pair
    update = text_update(710, CHAT, "hej")
    # What a gateway killed mid-update leaves: its claim on the update, and no answer.
    key = "hrv:telegram:update:" + app_one.state.telegram.ids.update_key(710)
    redis_client.set(key, "claimed", ex=1)
    assert (await post_update(two, update)).status_code == 503  # Telegram tries again later
    assert bot_api.sent(CHAT) == []
    await asyncio.sleep(1.1)
    assert (await post_update(two, update)).json()["queued"] is True
    assert len(bot_api.sent(CHAT)) == 1
    assert (await post_update(one, update)).json()["queued"] is False


async def test_a_gateway_that_fails_mid_update_releases_it_at_once(
    settings, redis_client, clock, bot_api, fake_rasa
):
    """Gateway one's Rasa call hangs and its request is dropped: Telegram's retry, meanwhile
    answered 503, is handled by gateway two as soon as one let go."""
    called = asyncio.Event()

    async def hanging(request: httpx.Request) -> httpx.Response:
        called.set()
        await asyncio.Event().wait()
        raise AssertionError

    async with contextlib.AsyncExitStack() as stack:
        (_, one), (_, two) = [
            await _start(stack, settings, transport, clock, bot_api, name)
            for name, transport in (
                ("one", httpx.MockTransport(hanging)),
                ("two", httpx.MockTransport(fake_rasa.handler)),
            )
        ]
        update = text_update(720, CHAT, "hej")
        first = asyncio.create_task(post_update(one, update))
        await called.wait()
        assert (await post_update(two, update)).status_code == 503
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        assert (await post_update(two, update)).json()["queued"] is True
        assert [c.params["text"] for c in bot_api.sent(CHAT)] == ["Hej från boten"]


async def test_staff_messages_reach_the_chat_once_with_two_delivery_loops(
    tg_pair, bot_api, redis_client, clock
):
    (app_one, one), (_, two) = tg_pair
    await post_update(one, text_update(600, CHAT, "hej"))
    await bot_api.await_sent(1, CHAT)
    queued = await app_one.state.handoffs.enqueue(session_id(), "asked_for_human", "sv", "telegram")
    handoff_id = queued.handoff_id
    account = await app_one.state.staff_auth.add("sara")
    login = await two.post(
        "/api/v1/staff/login", json={"token": account.token, "code": account.code(clock())}
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    assert (await two.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=headers)).is_success
    texts = [f"Meddelande {n} från personalen" for n in range(12)]
    for n, text in enumerate(texts):
        gateway = (one, two)[n % 2]
        posted = await gateway.post(
            f"/api/v1/handoffs/{handoff_id}/messages", json={"text": text}, headers=headers
        )
        assert posted.status_code == 201
        await asyncio.sleep(0.05)  # spread over several rounds of both loops
    expected = [f"Personal: {text}" for text in texts]

    def staff_lines() -> list[str]:
        return [c.params["text"] for c in bot_api.sent(CHAT) if c.params["text"] in expected]

    for _ in range(100):
        if len(staff_lines()) >= len(expected):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.5)  # two more rounds of each loop: a duplicate would show now
    assert Counter(staff_lines()) == dict.fromkeys(expected, 1)
    stream = f"hrv:handoff:{handoff_id}:stream"
    assert redis_client.xpending(stream, Side.PERSON)["pending"] == 0
    consumers = {c["name"] for c in redis_client.xinfo_consumers(stream, Side.PERSON)}
    assert len({name for name in consumers if name.startswith("telegram-")}) == 2


class ConflictingBotApi(BotApiStandIn):
    """Telegram while another process polls the same bot: getUpdates answers 409."""

    async def _result(self, method: str, params: dict) -> object:
        if method == "getUpdates":
            raise HTTPException(409, "Conflict: terminated by other getUpdates request")
        return await super()._result(method, params)


async def test_polling_beside_another_poller_says_so_clearly(
    settings, fake_rasa, redis_client, clock, caplog
):
    """Polling cannot be shared by gateways (Telegram serves getUpdates to one caller): the
    gateway that finds another poller logs what the operator must change."""
    bot_api = ConflictingBotApi(token=TOKEN)
    bot_api.start()
    try:
        app = create_app(
            telegram_settings(settings, bot_api.base_url, mode="polling"),
            rasa_transport=httpx.MockTransport(fake_rasa.handler),
            clock=clock,
        )
        async with app.router.lifespan_context(app):
            for _ in range(100):
                if "telegram_polling_conflict" in caplog.text:
                    break
                await asyncio.sleep(0.05)
    finally:
        bot_api.stop()
    assert "HRV_TELEGRAM_MODE=webhook" in caplog.text
    assert TOKEN not in caplog.text


class FlakyBotApi(BotApiStandIn):
    """The stand-in, failing staff messages while `refuse_staff` is set (a Telegram outage)."""

    refuse_staff = False
    refuse_every_message = False  # Telegram down for sending: not even the safe reply gets out

    async def _result(self, method: str, params: dict) -> object:
        text = str(params.get("text", ""))
        if self.refuse_staff and method == "sendMessage" and text.startswith("Personal: "):
            raise HTTPException(502, "Bad Gateway")
        if self.refuse_every_message and method == "sendMessage":
            raise HTTPException(502, "Bad Gateway")
        return await super()._result(method, params)


async def test_staff_messages_a_dead_gateway_had_read_are_delivered_once_by_another(
    settings, fake_rasa, redis_client, clock, monkeypatch
):
    """Gateway one reads the staff messages but cannot send them (Telegram fails), then goes
    away: gateway two claims them from the consumer group once they have been idle long enough
    and delivers each once."""
    monkeypatch.setattr(telegram_delivery, "CLAIM_IDLE_MS", 300)
    bot_api = FlakyBotApi(token=TOKEN)
    bot_api.start()
    try:
        rasa = httpx.MockTransport(fake_rasa.handler)
        texts = [f"Personal: meddelande {n}" for n in range(3)]
        async with contextlib.AsyncExitStack() as first:
            app_one, one = await _start(first, settings, rasa, clock, bot_api, "one")
            await post_update(one, text_update(800, CHAT, "hej"))
            await bot_api.await_sent(1, CHAT)
            queued = await app_one.state.handoffs.enqueue(
                session_id(), "asked_for_human", "sv", "telegram"
            )
            account = await app_one.state.staff_auth.add("sara")
            login = await one.post(
                "/api/v1/staff/login", json={"token": account.token, "code": account.code(clock())}
            )
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            path = f"/api/v1/handoffs/{queued.handoff_id}"
            assert (await one.post(f"{path}/claim", headers=headers)).is_success
            bot_api.refuse_staff = True
            for text in texts:
                body = {"text": text.removeprefix("Personal: ")}
                assert (await one.post(f"{path}/messages", json=body, headers=headers)).is_success
            for _ in range(100):
                if {c.params["text"] for c in bot_api.sent(CHAT)} >= set(texts):
                    break
                await asyncio.sleep(0.1)
        stream = f"hrv:handoff:{queued.handoff_id}:stream"
        assert redis_client.xpending(stream, Side.PERSON)["pending"] >= len(texts)
        bot_api.refuse_staff = False
        before = len(bot_api.sent(CHAT))
        async with contextlib.AsyncExitStack() as second:
            await _start(second, settings, rasa, clock, bot_api, "two")
            for _ in range(100):
                if len(bot_api.sent(CHAT)) - before >= len(texts):
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(2.5)  # two more rounds: a duplicate would show now
            delivered = [c.params["text"] for c in bot_api.sent(CHAT)[before:]]
            assert Counter(t for t in delivered if t in texts) == dict.fromkeys(texts, 1)
            assert redis_client.xpending(stream, Side.PERSON)["pending"] == 0
    finally:
        bot_api.stop()


async def test_an_update_whose_person_got_no_answer_at_all_is_taken_again(
    settings, fake_rasa, clock
):
    """When not even the safe reply reaches the chat (Telegram refuses every message), the
    update is not marked done: Telegram gets 503 and sends it again, and the person is answered
    once Telegram takes messages again."""
    bot_api = FlakyBotApi(token=TOKEN)
    bot_api.start()
    try:
        async with contextlib.AsyncExitStack() as stack:
            _, one = await _start(
                stack, settings, httpx.MockTransport(fake_rasa.handler), clock, bot_api, "one"
            )
            update = text_update(900, CHAT, "hej")
            bot_api.refuse_every_message = True
            assert (await post_update(one, update)).status_code == 503
            bot_api.refuse_every_message = False
            assert (await post_update(one, update)).json()["queued"] is True
            assert [c.params["text"] for c in bot_api.sent(CHAT)][-1] == "Hej från boten"
    finally:
        bot_api.stop()
