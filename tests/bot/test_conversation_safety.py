"""Every message passes the safety layer first: its answer opens the replies, in the person's
language, and nothing later removes it (Rasa is faked here; tests/e2e has the real one)."""

from __future__ import annotations

import pytest

from bot.conversation.safety import Assessment, Verdict
from bot.conversation.texts import first_sentence

pytestmark = pytest.mark.unit

DANGER = "/immediate_danger"


@pytest.fixture
def verdict(app):
    """Make the layer return a chosen verdict for the next messages (the real layer's own
    decisions are tested in test_safety_layer.py and measured by `make eval`)."""

    def choose(kind: str | None, sure: bool = True, languages: tuple[str, ...] = ()) -> None:
        result = (
            Assessment(Verdict.NONE)
            if kind is None
            else Assessment(Verdict.DANGER if sure else Verdict.UNSURE, kind, 0.9, False, languages)
        )
        app.state.safety.assess = lambda text: result

    return choose


async def say(client, session, text: str, lang: str = "en") -> dict:
    response = await client.post(
        f"/api/v1/sessions/{session.id}/messages",
        json={"text": text, "lang": lang},
        headers=session.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("violence", "danger"),
        ("threat", "danger"),
        ("locked_in", "danger"),
        ("taken_abroad", "danger_abroad"),
        ("suicide", "danger_suicide"),
        ("runaway", "danger_runaway"),
    ],
)
@pytest.mark.parametrize("lang", ["sv", "en", "ar", "ti"])
async def test_danger_opens_with_the_reply_for_its_kind(
    app, client, session, fake_rasa, verdict, kind, key, lang
):
    verdict(kind)
    body = await say(client, session, "anything", lang)
    assert body["replies"][0]["text"] == app.state.texts.reply(key, lang)
    assert "112" in body["replies"][0]["text"].split(".")[0] or lang in {"ar", "ti"}
    # The bot's danger turn follows.
    assert fake_rasa.received[-1]["message"] == f'{DANGER}{{"language":"{lang}"}}'


async def test_the_bots_own_112_line_is_not_repeated_after_the_layers(
    app, client, session, fake_rasa, verdict
):
    fake_rasa.replies = [{"text": "Ring 112 nu."}, {"text": "Vill du prata med en person?"}]
    verdict("violence")
    body = await say(client, session, "anything", "sv")
    assert [r["text"] for r in body["replies"]] == [
        app.state.texts.reply("danger", "sv"),
        "Vill du prata med en person?",
    ]


async def test_unsure_asks_with_112_first_and_still_answers_the_question(
    app, client, session, fake_rasa, verdict
):
    verdict("taken_abroad", sure=False)
    body = await say(client, session, "we fly to Iraq tomorrow", "en")
    first = body["replies"][0]
    assert first["text"] == app.state.texts.reply("danger_check", "en")
    assert first["text"].startswith("If you are in danger right now, call 112.")
    assert [b["payload"] for b in first["buttons"]] == [DANGER, "/no_danger"]
    assert [b["title"] for b in first["buttons"]] == ["Yes", "No"]
    assert body["replies"][1]["text"] == "Hej från boten"  # the answer to what was asked
    assert fake_rasa.received[-1]["message"] == "we fly to Iraq tomorrow"


async def test_yes_gets_the_reply_for_the_kind_asked_about(
    app, client, session, fake_rasa, verdict
):
    verdict("taken_abroad", sure=False)
    await say(client, session, "we fly to Iraq tomorrow", "en")
    verdict(None)
    body = await say(client, session, DANGER, "en")
    assert body["replies"][0]["text"] == app.state.texts.reply("danger_abroad", "en")
    assert fake_rasa.received[-1]["message"] == f'{DANGER}{{"language":"en"}}'


async def test_no_is_thanked_and_never_reaches_rasa(app, client, session, fake_rasa, verdict):
    verdict("violence", sure=False)
    await say(client, session, "he is so angry", "en")
    sent = len(fake_rasa.received)
    verdict(None)
    body = await say(client, session, "/no_danger", "en")
    assert [r["text"] for r in body["replies"]] == [app.state.texts.reply("danger_no_reply", "en")]
    assert len(fake_rasa.received) == sent


async def test_nothing_found_leaves_the_answer_to_the_bot(client, session, fake_rasa, verdict):
    verdict(None)
    body = await say(client, session, "what is honour violence", "en")
    assert [r["text"] for r in body["replies"]] == ["Hej från boten"]


async def test_danger_still_opens_with_112_when_rasa_is_down(
    app, client, session, fake_rasa, verdict
):
    fake_rasa.down = True
    verdict("suicide")
    body = await say(client, session, "anything", "so")
    texts = [r["text"] for r in body["replies"]]
    assert texts == [
        app.state.texts.reply("danger_suicide", "so"),
        app.state.texts.reply("safe_fallback", "so"),
    ]


async def test_the_session_keeps_the_kind_never_the_text(client, session, redis_client, verdict):
    verdict("threat")
    await say(client, session, "my uncle says he will kill me", "en")
    stored = redis_client.hgetall(f"hrv:session:{session.id}")
    assert stored["risk"] == "threat"
    assert not any("uncle" in value for value in stored.values())


async def test_a_danger_message_in_a_handoff_is_flagged_to_staff_with_its_kind(
    app, client, session, verdict, queue_session, sign_in
):
    handoff_id = await queue_session(session)
    verdict("suicide")
    body = await say(client, session, "i cant anymore", "en")
    assert body["replies"][0]["text"] == app.state.texts.reply("danger_suicide", "en")
    events = await app.state.events.backlog(handoff_id, "staff", None)
    flagged = [e for e in events if e.kind == "text"]
    assert flagged[-1].flags == ("danger", "suicide")


async def test_a_chat_that_began_with_danger_goes_ahead_of_the_others_in_the_queue(
    app, client, session, new_session, verdict, queue_session, sign_in
):
    first_plain = await queue_session(session)
    second_plain = await queue_session(await new_session())
    endangered = await new_session()
    verdict("taken_abroad")
    await say(client, endangered, "anything", "en")
    first_risk = await queue_session(endangered)
    later = await new_session()
    await say(client, later, "anything", "en")
    second_risk = await queue_session(later)
    staff = await sign_in("sara")
    queue = (await client.get("/api/v1/handoffs", headers=staff.headers)).json()
    order = [item["handoff_id"] for item in queue]
    assert order == [first_risk, second_risk, first_plain, second_plain]
    marks = {item["handoff_id"]: item["risk"] for item in queue}
    assert marks[first_risk] == "taken_abroad" and marks[first_plain] is None


@pytest.mark.parametrize("lang", ["sv", "ar", "ti"])
async def test_violence_with_a_share_of_suicide_says_the_suicide_line_once(
    app, client, session, lang
):
    """The acute reply ends with the suicide line and the suicide reply that follows it opens
    with it: the person reads it once, then the rest of the suicide reply."""
    share = app.state.safety.policy.also_reply["suicide"]
    shares = (("violence", 1 - share), ("suicide", share))
    result = Assessment(Verdict.DANGER, "violence", 0.95, shares=shares)
    app.state.safety.assess = lambda text: result
    body = await say(client, session, "anything", lang)
    texts = app.state.texts
    acute, suicide = texts.reply("danger", lang), texts.reply("danger_suicide", lang)
    line = first_sentence(suicide)
    assert acute.endswith(line)
    assert [r["text"] for r in body["replies"][:2]] == [acute, suicide[len(line) :].lstrip()]
    assert "".join(r["text"] for r in body["replies"]).count(line) == 1
