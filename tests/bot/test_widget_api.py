"""The widget API against real Redis, with Rasa stood in for by a recording fake."""

from __future__ import annotations

import pytest

from bot.handoff.counters import day_of

pytestmark = pytest.mark.unit


async def test_create_session_returns_random_ids_and_stores_only_a_token_hash(client, redis_client):
    first = (await client.post("/api/v1/sessions")).json()
    second = (await client.post("/api/v1/sessions")).json()
    assert first["session_id"] != second["session_id"]
    assert len(first["token"]) >= 40
    stored = redis_client.hgetall(f"hrv:session:{first['session_id']}")
    assert first["token"] not in stored.values()
    assert set(stored) == {
        "token_hash",
        "lang",
        "lang_settled",
        "handoff",
        "handoff_id",
    }
    assert 0 < redis_client.ttl(f"hrv:session:{first['session_id']}") <= 600


async def test_message_returns_rasa_replies_with_the_language_in_the_one_call(
    client, session, fake_rasa
):
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(url, json={"text": "Vad är heder?"}, headers=session.headers)
    assert response.status_code == 200
    assert response.json() == {
        "replies": [{"text": "Hej från boten"}],
        "lang": "sv",
        "handoff": "none",
    }
    await client.post(url, json={"text": "Och vad gör jag nu?"}, headers=session.headers)
    assert fake_rasa.events == []  # no separate call sets the language slot
    assert [m["message"] for m in fake_rasa.received] == ["Vad är heder?", "Och vad gör jag nu?"]
    assert [m["metadata"] for m in fake_rasa.received] == [{"lang": "sv"}, {"lang": "sv"}]
    assert all(m["sender"] == session.id for m in fake_rasa.received)


async def test_message_in_english_switches_language(client, session, fake_rasa):
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(
        url,
        json={"text": "What is honour related violence and what can I do?"},
        headers=session.headers,
    )
    assert response.json()["lang"] == "en"
    assert fake_rasa.received[-1]["metadata"] == {"lang": "en"}


async def test_explicit_language_wins_over_detection(client, session, fake_rasa):
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(
        url, json={"text": "jag vill prata", "lang": "en"}, headers=session.headers
    )
    assert response.json()["lang"] == "en"


async def test_short_message_keeps_the_session_language(client, session):
    url = f"/api/v1/sessions/{session.id}/messages"
    await client.post(
        url, json={"text": "What is this about and who are you?"}, headers=session.headers
    )
    response = await client.post(url, json={"text": "Borås"}, headers=session.headers)
    assert response.json()["lang"] == "en"


async def test_danger_message_gets_112_first_and_bypasses_the_nlu(client, session, fake_rasa):
    fake_rasa.replies = [{"text": "Något annat"}]
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(
        url, json={"text": "jag vågar inte gå hem ikväll"}, headers=session.headers
    )
    replies = response.json()["replies"]
    assert "112" in replies[0]["text"]
    assert replies[-1]["text"] == "Något annat"
    assert fake_rasa.received[-1]["message"] == '/immediate_danger{"language":"sv"}'


async def test_danger_reply_from_rasa_with_112_is_not_doubled(client, session, fake_rasa):
    fake_rasa.replies = [{"text": "If you are in danger now: call 112."}]
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(
        url, json={"text": "my father is going to kill me"}, headers=session.headers
    )
    body = response.json()
    assert body["lang"] == "en"
    # The safety layer's reply opens; the bot's own 112 line after it would only repeat it.
    assert [r["text"] for r in body["replies"]] == [
        "If you are in danger now: call 112. It is free and always open. If you are thinking "
        "about taking your life, call 112 now or Mind Självmordslinjen on 90101."
    ]


async def test_rasa_down_still_answers_with_helplines_in_the_language(client, session, fake_rasa):
    fake_rasa.down = True
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(
        url, json={"text": "hello, I need help with my family"}, headers=session.headers
    )
    assert response.status_code == 200
    text = response.json()["replies"][-1]["text"]
    assert "112" in text and "116 111" in text and "020-50 50 50" in text
    assert text.startswith("I can't answer right now")


async def test_rasa_down_and_danger_gives_112_first(client, session, fake_rasa):
    fake_rasa.down = True
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(
        url, json={"text": "de har sagt att de ska döda mig"}, headers=session.headers
    )
    replies = response.json()["replies"]
    assert replies[0]["text"].startswith("Om du är i fara nu: ring 112")


async def test_button_payload_is_forwarded_and_typed_slash_is_text(client, session, fake_rasa):
    url = f"/api/v1/sessions/{session.id}/messages"
    await client.post(url, json={"text": "/what_is_hrv"}, headers=session.headers)
    await client.post(url, json={"text": '/inform{"municipality":"x"}'}, headers=session.headers)
    assert fake_rasa.received[0]["message"] == '/what_is_hrv{"language":"sv"}'
    assert not fake_rasa.received[1]["message"].startswith("/")


async def test_a_chosen_municipality_code_is_the_one_entity_payload_forwarded(
    client, session, fake_rasa
):
    url = f"/api/v1/sessions/{session.id}/messages"
    chosen = '/inform_municipality{"municipality":"0305"}'
    for text in (
        chosen,
        '/inform_municipality{"municipality":"Håbo"}',
        '/inform_municipality{"municipality":"0305","language":"en"}',
        '/greet{"municipality":"0305"}',
    ):
        await client.post(url, json={"text": text}, headers=session.headers)
    sent = [m["message"] for m in fake_rasa.received]
    # Only the gateway adds the language; a person's own "language" makes it text.
    assert sent[0] == '/inform_municipality{"municipality":"0305","language":"sv"}'
    assert not any(message.startswith("/") for message in sent[1:])


async def test_the_choice_of_whom_a_line_should_fit_is_forwarded_only_for_known_audiences(
    client, session, fake_rasa
):
    url = f"/api/v1/sessions/{session.id}/messages"
    chosen = '/which_line{"audience":"lgbtqi"}'
    refused = ('/which_line{"audience":"everyone"}', '/which_line{"audience":"men","x":1}')
    for text in (chosen, *refused):
        await client.post(url, json={"text": text}, headers=session.headers)
    sent = [m["message"] for m in fake_rasa.received]
    assert sent[0] == '/which_line{"audience":"lgbtqi","language":"sv"}'
    assert not any(message.startswith("/") for message in sent[1:])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"text": ""}, 422),
        ({"text": "   \n "}, 422),
        ({"text": "x" * 2001}, 422),
        ({"text": "hej\x00\x01"}, 422),
        ({"text": 42}, 422),
        ({}, 422),
        ({"text": "hej", "lang": "xx"}, 422),
    ],
)
async def test_bad_input_gets_4xx_and_changes_nothing(client, session, fake_rasa, body, expected):
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(url, json=body, headers=session.headers)
    assert response.status_code == expected
    assert response.json()["error"]["code"] == "invalid_input"
    assert fake_rasa.received == []


async def test_malformed_json_and_wrong_content_get_4xx(client, session):
    url = f"/api/v1/sessions/{session.id}/messages"
    for content in (b"garbage", b"\xff\xfe\x00binary", b"<script>alert(1)</script>"):
        response = await client.post(
            url, content=content, headers={**session.headers, "content-type": "application/json"}
        )
        assert 400 <= response.status_code < 500, content
        assert response.json()["error"]["code"] in ("invalid_input", "http_error")
        assert "Traceback" not in response.text


async def test_html_is_passed_as_text_not_interpreted(client, session, fake_rasa):
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(url, json={"text": "<b>hej</b>"}, headers=session.headers)
    assert response.status_code == 200
    assert fake_rasa.received[0]["message"] == "<b>hej</b>"


async def test_wrong_or_missing_token_is_401_and_unknown_session_404(client, session):
    url = f"/api/v1/sessions/{session.id}/messages"
    assert (await client.post(url, json={"text": "hej"})).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await client.post(url, json={"text": "hej"}, headers=wrong)).status_code == 401
    basic = {"Authorization": f"Basic {session.token}"}
    assert (await client.post(url, json={"text": "hej"}, headers=basic)).status_code == 401
    unknown = "/api/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA/messages"
    gone = await client.post(unknown, json={"text": "hej"}, headers=session.headers)
    # Expired and never-issued ids look the same: the widget tells the person kindly.
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "session_expired")
    bad_id = "/api/v1/sessions/..%2F..%2Fetc/messages"
    assert (
        await client.post(bad_id, json={"text": "hej"}, headers=session.headers)
    ).status_code in (404, 422)


async def test_delete_erases_session_tracker_and_queue_entry(
    client, session, redis_client, queue_session, clock
):
    await queue_session(session)
    redis_client.set(f"hrvguide:tracker:{session.id}", "{}")
    assert redis_client.llen("hrv:handoff:queue") == 1
    wrong = await client.delete(
        f"/api/v1/sessions/{session.id}", headers={"Authorization": "Bearer x"}
    )
    assert wrong.status_code == 401
    response = await client.delete(f"/api/v1/sessions/{session.id}", headers=session.headers)
    assert response.status_code == 204
    # Nothing is left but the day's counters, where the chat counts as left (no id in them), and
    # the rate limits' counts, which expire within their window and name no session or address.
    left = redis_client.keys("*")
    limits = [key for key in left if key.startswith("hrv:limits:")]
    assert limits and not any(session.id in key for key in limits)
    assert sorted(set(left) - set(limits)) == [f"hrv:stats:day:{day_of(int(clock() * 1000))}"]
    again = await client.delete(f"/api/v1/sessions/{session.id}", headers=session.headers)
    assert again.status_code == 404


async def test_every_response_is_uncached_and_sets_no_cookie(client, session):
    for response in (
        await client.get("/"),
        await client.get("/api/v1/widget/config"),
        await client.post(
            f"/api/v1/sessions/{session.id}/messages", json={"text": "hej"}, headers=session.headers
        ),
        await client.get("/no/such/page"),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "set-cookie" not in response.headers


async def test_widget_config_lists_languages_and_texts(client):
    config = (await client.get("/api/v1/widget/config")).json()
    assert config["default_lang"] == "sv"
    assert {lang["code"] for lang in config["languages"]} >= {"sv", "en"}
    assert config["texts"]["sv"]["quick_exit"]
    assert config["exit_url"].startswith("https://")


async def test_openapi_describes_the_widget_api(client):
    schema = (await client.get("/openapi.json")).json()
    assert "/api/v1/sessions" in schema["paths"]
    assert "/api/v1/sessions/{session_id}/messages" in schema["paths"]
    assert "delete" in schema["paths"]["/api/v1/sessions/{session_id}"]


async def test_a_quick_exit_during_the_bots_answer_leaves_no_key(
    client, session, fake_rasa, redis_client
):
    """The DELETE lands while Rasa is answering and Rasa then writes its tracker: the turn
    finds its session gone and erases again, and its own writes do not bring the session back."""

    def quick_exit(body):
        redis_client.delete(f"hrv:session:{session.id}")  # the quick exit's erase
        redis_client.set(f"hrvguide:tracker:{session.id}", "{}", ex=600)  # Rasa's late save

    fake_rasa.meanwhile = quick_exit
    await client.post(
        f"/api/v1/sessions/{session.id}/messages", json={"text": "hej"}, headers=session.headers
    )
    assert fake_rasa.received  # the erase happened during the turn
    assert [key for key in redis_client.scan_iter() if session.id in key] == []


async def test_numbers_from_data_come_with_links_and_a_persons_own_do_not(
    client, session, fake_rasa
):
    fake_rasa.replies = [{"text": "Ring Bris på 116 111 eller 070-123 45 67."}]
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(url, json={"text": "hej"}, headers=session.headers)
    reply = response.json()["replies"][0]
    assert reply["links"] == [{"text": "116 111", "href": "tel:116111"}]


async def test_the_safe_reply_of_a_failure_has_its_helplines_linked(client, session, fake_rasa):
    fake_rasa.down = True
    url = f"/api/v1/sessions/{session.id}/messages"
    response = await client.post(url, json={"text": "hello, I need help"}, headers=session.headers)
    hrefs = [link["href"] for link in response.json()["replies"][-1]["links"]]
    assert {"tel:112", "tel:116111", "tel:+4620505050"} <= set(hrefs)


async def test_the_config_marks_the_numbers_in_the_widgets_own_texts(client):
    config = (await client.get("/api/v1/widget/config")).json()
    for lang, texts in config["texts"].items():
        banner = config["links"][lang]["emergency_banner"]
        assert {"text": "112", "href": "tel:112"} in banner, lang
        assert all(
            link["text"] in texts[key]
            for key, links in config["links"][lang].items()
            for link in links
        )
