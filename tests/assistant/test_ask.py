"""/ask, /feedback and conversations over a real server and the bundled corpus."""

from __future__ import annotations

import re

import httpx

from assistant.answers import AnswerConfig
from assistant.retrieval import snippet_text
from assistant.service import ASK_DOCUMENTS

FAQ_QUESTION = "Quand a lieu le Mois de l'innovation publique ?"


def test_a_faq_question_gets_the_faq_answer_with_its_citation(api):
    body = api.post("/ask", json={"question": FAQ_QUESTION}).json()
    assert body["status"] == "answered" and body["method"] == "faq"
    assert "novembre" in body["answer"] and body["answer"].endswith("[1]")
    citation = body["citations"][0]
    assert citation["number"] == 1 and citation["document_id"] == "faq/faq-mois-de-l-innovation-publique.md"
    assert citation["heading_path"].endswith(FAQ_QUESTION) and "novembre" in citation["quote"]
    assert AnswerConfig().min_confidence <= body["confidence"] <= 1
    assert body["answer_id"] and body["conversation_id"] and body["timings"]["total_ms"] > 0


def test_every_question_of_the_bundled_faqs_asked_as_written_gets_its_own_answer_whole(default_service):
    from index.readers import read_document

    corpus, missed, asked = default_service.settings.corpus_dir, [], 0
    for path in sorted((corpus / "faq").glob("*.md")):
        document_id = path.relative_to(corpus).as_posix()
        for section in read_document(path.read_bytes(), document_id).sections:
            if not section.is_question:
                continue
            asked += 1
            answer = default_service.ask(section.heading_path[-1]).answer
            cited = answer.citations[0].chunk if answer.citations else None
            if not (answer.status == "answered" and answer.method == "faq" and cited.document_id == document_id
                    and cited.heading_path[-1] == section.heading_path[-1]):
                missed.append((section.heading_path[-1], answer.status, answer.confidence))
    assert asked > 100 and not missed, missed


def test_a_question_close_to_a_faq_question_but_about_another_entity_is_not_given_its_answer(default_service):
    from assistant.answers import AnswerComposer

    composer: AnswerComposer = default_service.composer
    retriever = default_service.retriever
    question = "Quel est le budget de la DITP ?"  # the FAQ asks « Quel budget prévoir pour un laboratoire d'innovation ? »
    outcome = retriever.search(question, k=8, mode="hybrid")
    reading = composer.reader.read(question, outcome.query_vector, outcome, retriever.snapshot)
    assert any(chunk.heading_path[-1].startswith("Quel budget prévoir") for chunk in reading.passages)  # it was read
    assert composer.faq_asked(question, reading, retriever.snapshot) is None


def test_a_paraphrased_question_gets_cited_sentences_from_the_guides(api):
    body = api.post("/ask", json={"question": "Quelle école forme les hauts fonctionnaires depuis la suppression de l'ENA ?"}).json()
    assert body["status"] == "answered", body
    assert "INSP" in body["answer"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    assert markers == {c["number"] for c in body["citations"]}
    for citation in body["citations"]:
        assert citation["quote"] and citation["document_id"] and citation["chunk_id"].startswith(citation["document_id"])
        assert citation["url"]
    assert len(body["related"]) <= 5
    cited = {c["document_id"] for c in body["citations"]}
    assert all(r["document_id"] not in cited for r in body["related"])


def test_a_question_outside_the_corpus_gets_an_honest_no_answer_with_close_resources(api):
    body = api.post("/ask", json={"question": "Quelle est la recette de la pâte feuilletée inversée ?"}).json()
    assert body["status"] == "no_answer" and body["method"] == "none"
    assert body["citations"] == []
    assert "pas trouvé de réponse fiable" in body["answer"]
    assert body["confidence"] < AnswerConfig().min_confidence


def test_without_an_answer_each_close_resource_comes_with_the_extract_of_its_closest_passage(api):
    body = api.post("/ask", json={"question": "Quel salaire pour un designer dans un laboratoire ?"}).json()
    assert body["status"] == "no_answer" and body["related"]
    assert all(r["snippet"] for r in body["related"])  # the agent judges from the passage, not from a title
    assert any("<mark>designer</mark>" in r["snippet"] for r in body["related"])


def test_without_an_answer_each_close_resource_is_shown_from_the_sentence_likeliest_to_answer_in_it(default_service):
    question = "Comment mesurer l'impact d'une expérimentation ?"
    answer = default_service.ask(question).answer
    assert answer.status == "no_answer" and answer.related
    shown = [snippet_text(hit.best.snippet).lstrip("…") for hit in answer.related]
    assert shown[0].startswith("L'évaluation d'un projet innovant se prépare dès le début")  # not a window of its words
    outcome = default_service.retriever.search(question, k=ASK_DOCUMENTS, mode="hybrid")
    reading = default_service.composer.reader.read(question, outcome.query_vector, outcome, default_service.retriever.snapshot)
    for hit, extract in zip(answer.related, shown):
        best = next((span for span in reading.spans if span.chunk.document_id == hit.best.chunk.document_id), None)
        if best is not None:  # read by the reader: its best span there, and what follows it
            assert hit.best.chunk.vector_id == best.chunk.vector_id and extract.startswith(best.units[0].text)


def test_a_follow_up_is_understood_with_the_previous_question(default_service):
    first = default_service.ask("Qu'est-ce que le droit à l'erreur prévu par la loi ESSOC ?")
    follow_up = default_service.ask("et pour les agents publics ?", first.conversation_id)
    assert follow_up.conversation_id == first.conversation_id
    assert "droit à l'erreur" in follow_up.retrieval_query and "agents publics" in follow_up.retrieval_query
    answer = follow_up.answer
    sources = [c.chunk for c in answer.citations] + [r.best.chunk for r in answer.related]
    assert "juridique" in sources[0].document_id  # answered or not, the first source is the one on the law
    unrelated = default_service.ask("Comment se déroule une campagne de tests utilisateurs avec des usagers ?", first.conversation_id)
    assert unrelated.retrieval_query == "Comment se déroule une campagne de tests utilisateurs avec des usagers ?"


def test_forgetting_a_conversation_starts_the_next_question_afresh(api):
    first = api.post("/ask", json={"question": "Qu'est-ce qu'un laboratoire d'innovation publique ?"}).json()
    assert api.delete(f"/conversations/{first['conversation_id']}").status_code == 204
    assert api.delete(f"/conversations/{first['conversation_id']}").status_code == 404
    again = api.post("/ask", json={"question": "et dans un hôpital ?", "conversation_id": first["conversation_id"]}).json()
    assert again["conversation_id"] != first["conversation_id"]


def test_feedback_is_stored_and_unknown_answers_are_refused(api, default_service):
    body = api.post("/ask", json={"question": "Quels indicateurs pour mesurer l'impact d'un projet ?"}).json()
    response = api.post("/feedback", json={"answer_id": body["answer_id"], "useful": False, "comment": "Trop général."})
    assert response.status_code == 200 and response.json() == {"recorded": True}
    gaps = default_service.records.gap_questions()
    assert any(g.question == "Quels indicateurs pour mesurer l'impact d'un projet ?" and g.reason == "not_useful" for g in gaps)
    unknown = api.post("/feedback", json={"answer_id": "inconnu", "useful": True})
    assert unknown.status_code == 404 and "inconnue" in unknown.json()["detail"]


def test_ask_validation_errors_are_in_french(api):
    assert "La question est vide" in api.post("/ask", json={"question": "   "}).json()["detail"]
    assert api.post("/ask", json={"question": "x" * 1001}).status_code == 422
    bad_id = api.post("/ask", json={"question": "laboratoire", "conversation_id": "../../etc"})
    assert bad_id.status_code == 422


def test_channel_is_recorded_for_statistics(api, default_service):
    api.post("/ask", json={"question": "Qui organise le Mois de l'innovation publique ?"}, headers={"X-Eclaireur-Channel": "widget"})
    stats = default_service.stats()
    assert any("widget" in day["channels"] for day in stats["per_day"])
    assert stats["questions"] >= 1 and 0 <= stats["answer_rate"] <= 1 and "p50" in stats["latency_ms"]


def test_ask_honours_filters(api):
    body = api.post("/ask", json={"question": "droit à l'erreur", "filters": {"type": ["guide"]}}).json()
    assert all(c["document_id"].startswith("guides/") for c in body["citations"])


def test_the_ask_endpoint_is_in_the_openapi_schema_with_examples(api):
    schema = api.get("/openapi.json").json()
    ask = schema["paths"]["/ask"]["post"]
    assert {"200", "401", "422", "429", "503"} <= set(ask["responses"])
    assert "examples" in schema["components"]["schemas"]["AskRequest"]


def test_metrics_are_exposed_for_prometheus(api):
    api.get("/search", params={"q": "laboratoire"})
    text = httpx.get(f"{api.base_url}/metrics").text
    assert 'eclaireur_http_requests_total{endpoint="/search",method="GET",status="200"}' in text
    assert "eclaireur_http_request_duration_seconds_bucket" in text
    assert re.search(r"^eclaireur_index_chunks \d+", text, re.M)
    batches = float(re.search(r"^eclaireur_encoder_batches (\S+)", text, re.M).group(1))
    texts = float(re.search(r"^eclaireur_encoder_texts (\S+)", text, re.M).group(1))
    assert 1 <= batches <= texts


def test_another_key_can_neither_continue_forget_nor_rate_a_conversation(default_service, serve):
    alice, bob, admin = "cle-alice-0123456789abcdefgh", "cle-bob-0123456789abcdefghij", "cle-admin-0123456789abcdefgh"
    server = serve(default_service, api_keys=[alice, bob], admin_api_keys=[admin])
    with httpx.Client(base_url=server.url, timeout=30) as client:
        def as_key(key: str) -> dict:
            return {"X-API-Key": key}

        first = client.post("/ask", json={"question": "Qu'est-ce que le droit à l'erreur ?"}, headers=as_key(alice)).json()
        conversation, answer = first["conversation_id"], first["answer_id"]

        hijack = client.post("/ask", json={"question": "et pour moi ?", "conversation_id": conversation}, headers=as_key(bob))
        assert hijack.status_code == 404 and "inconnue pour cette clé" in hijack.json()["detail"]
        assert client.post("/feedback", json={"answer_id": answer, "useful": False}, headers=as_key(bob)).status_code == 404
        assert client.delete(f"/conversations/{conversation}", headers=as_key(bob)).status_code == 404

        follow_up = client.post("/ask", json={"question": "et pour les agents ?", "conversation_id": conversation},
                                headers=as_key(alice)).json()
        assert follow_up["conversation_id"] == conversation
        assert client.post("/feedback", json={"answer_id": answer, "useful": True}, headers=as_key(alice)).status_code == 200
        assert client.post("/feedback", json={"answer_id": follow_up["answer_id"], "useful": True},
                           headers=as_key(admin)).status_code == 200
        assert client.delete(f"/conversations/{conversation}", headers=as_key(admin)).status_code == 204


def test_a_question_asking_how_is_never_answered_by_a_bare_yes_or_no(default_service):
    # the FAQ « Le RGPD s'applique-t-il à une expérimentation ? » answers « Oui. … » and shares the question's words
    answer = default_service.ask("Comment lancer une expérimentation dans ma collectivité ?").answer
    assert answer.status == "no_answer" or not re.match(r"\W*(oui|non)\b", answer.citations[0].quote, re.I), answer.text


def test_a_faq_yes_or_no_given_for_another_question_says_which_question_it_answers(default_service):
    # « Faut-il un texte… ? » is not « Une administration a-t-elle le droit d'expérimenter ? », whose answer is « Oui. »
    answer = default_service.ask("Faut-il un texte de loi pour expérimenter ?").answer
    assert answer.status == "answered" and answer.method == "faq", answer.text
    assert answer.text.startswith("À la question « Une administration a-t-elle le droit d'expérimenter ? », la FAQ "
                                  "répond : Oui."), answer.text


def test_a_faq_that_opens_on_yes_or_no_answers_an_open_question_by_the_sentences_that_state_it(default_service):
    # the FAQ « Une administration a-t-elle le droit d'expérimenter ? » opens on « Oui. », then names the articles
    answer = default_service.ask("Quel article de la Constitution autorise l'expérimentation ?").answer
    assert answer.status == "answered" and answer.method == "extractive", answer.text
    assert "article 37-1" in answer.citations[0].quote and not re.match(r"\W*oui\b", answer.citations[0].quote, re.I)
    assert answer.text.startswith("« Le cadre juridique de l'innovation publique » : "), answer.text


def test_the_budget_of_the_ditp_is_not_answered_by_the_faq_on_a_laboratory_budget(default_service):
    # that FAQ answers « Quel budget prévoir pour un laboratoire d'innovation ? » and sends the reader to the DITP
    answer = default_service.ask("Quel est le budget de la DITP ?").answer
    assert answer.status == "no_answer" or "laboratoire" not in answer.text, answer.text


def test_a_question_in_a_guide_is_answered_by_the_sentence_after_it(default_service):
    # the co-design guide's « Faut-il rémunérer les usagers ? » is followed by its answer in the same paragraph
    answer = default_service.ask("Faut-il rémunérer les usagers qui participent à un atelier ?").answer
    assert answer.status == "answered", answer.text
    assert "Ce n'est pas toujours possible" in answer.citations[0].quote, answer.text


def test_a_question_asking_how_many_gets_the_sentence_that_states_the_number(default_service):
    # « Un groupe de huit à quinze personnes » follows a sentence that meets the same terms and states no number
    answer = default_service.ask("Combien de participants pour un atelier de co-conception ?").answer
    assert answer.status == "answered" and "huit à quinze" in answer.text, answer.text


def test_an_edition_the_corpus_does_not_describe_is_not_answered_with_another_one(default_service):
    # the guides give the 2023 edition, the 10th, and its 350 events: not the figures of the 12th
    answer = default_service.ask("Combien d'événements a rassemblé la 12e édition du Mois de l'innovation publique ?").answer
    assert answer.status == "no_answer", answer.text


def test_a_question_asking_how_long_is_answered_with_a_duration_or_not_at_all(default_service):
    from assistant.question_kind import QUANTITY

    # the experimentation guide says the duration must be long enough, never how long: no answer is better than
    # a sentence on budgets that shares the question's words
    answer = default_service.ask("Combien de temps dure une expérimentation ?").answer
    assert answer.status == "no_answer" or QUANTITY.search(" ".join(c.quote for c in answer.citations)), answer.text
