"""`action_request_human` calls the gateway's handoff API with the service token."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import OFFER, ActionRequestHuman
from actions.settings import ActionSettings

pytestmark = pytest.mark.unit


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def gateway():
    """A stand-in gateway that records handoff requests and answers 201 (or `status`)."""
    state = {"requests": [], "status": 201}

    async def handoffs(request: web.Request) -> web.Response:
        state["requests"].append((request.headers.get("Authorization"), await request.json()))
        return web.json_response({"handoff_id": "h1", "state": "queued"}, status=state["status"])

    app = web.Application()
    app.router.add_post("/api/v1/internal/handoffs", handoffs)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    state["url"] = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


def _settings(url: str) -> ActionSettings:
    return ActionSettings(
        data_dir=None, gateway_url=url, service_token="svc-token", request_timeout_seconds=2
    )  # type: ignore[arg-type]


async def test_request_human_enqueues_with_service_token_and_reason(gateway, make_tracker):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("kan jag prata med en människa", intent="talk_to_human", language="en")
    await ActionRequestHuman(_settings(gateway["url"])).run(dispatcher, tracker, {})
    [(auth, body)] = gateway["requests"]
    assert auth == "Bearer svc-token"
    assert body == {"session_id": "test-sender-0001", "reason": "asked_for_human", "lang": "en"}
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_requested"]


async def test_escalation_after_danger_carries_the_intent_as_reason(gateway, make_tracker):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("/immediate_danger", intent="immediate_danger")
    await ActionRequestHuman(_settings(gateway["url"])).run(dispatcher, tracker, {})
    assert gateway["requests"][0][1]["reason"] == "danger"


def _user(intent: str) -> dict:
    return {"event": "user", "text": "…", "parse_data": {"intent": {"name": intent}}}


def _bot(response: str) -> dict:
    return {"event": "bot", "text": "…", "metadata": {"utter_action": response}}


@pytest.mark.parametrize(
    ("before", "reason"),
    [
        ([_user("immediate_danger"), _bot("utter_immediate_danger"), _bot(OFFER)], "danger"),
        ([_user("nlu_fallback"), _bot("utter_not_understood"), _bot(OFFER)], "not_understood"),
        ([_user("threats_violence"), _bot(OFFER)], "threats_violence"),
        ([_user("greet"), _bot("utter_greet")], "asked_for_human"),  # no offer: they asked
        ([], "asked_for_human"),
    ],
)
async def test_accepting_the_bots_offer_carries_what_made_the_bot_offer(
    gateway, make_tracker, before, reason
):
    tracker = make_tracker("/talk_to_human", intent="talk_to_human")
    tracker.events = [*before, _user("talk_to_human")]
    await ActionRequestHuman(_settings(gateway["url"])).run(CollectingDispatcher(), tracker, {})
    assert gateway["requests"][0][1]["reason"] == reason


async def test_refused_or_unreachable_gateway_is_said_honestly(gateway, make_tracker):
    gateway["status"] = 401
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman(_settings(gateway["url"])).run(
        dispatcher, make_tracker("människa"), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_unavailable"]
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman(_settings(f"http://127.0.0.1:{_free_port()}")).run(
        dispatcher, make_tracker("människa"), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_unavailable"]
