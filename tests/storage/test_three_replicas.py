"""Three real replicas (``eclaireur serve`` processes) on one PostgreSQL and one index folder, as behind a load
balancer: a conversation and its feedback cross replicas; one replica killed with ``kill -9`` mid-load costs the
others nothing; a reindex asked of one is served by every survivor within 5 s, with no failed request meanwhile; a
limit per minute holds across the three."""

from __future__ import annotations

import itertools
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
from replicas import Replica, fleet_environment
from sqlalchemy import select
from support import write_corpus

from assistant.storage import Database
from assistant.storage.schema import answers, turns
from index.builder import IndexConfig, build_index
from index.sources import CorpusFolder

SEARCH_KEY = "cle-agents-flotte-0001-0123456789"
ADMIN_KEY = "cle-admin-flotte-0002-0123456789"
WIDGET_KEY = "cle-widget-flotte-0003-0123456789"
PER_MINUTE = 20  # the widget key's budget per agent address, held by the fleet
SWAP_SECONDS = 5
QUESTIONS = ["Qui coordonne le Mois de l'innovation publique ?", "Où trouver un laboratoire d'innovation publique ?",
             "Qu'est-ce que le droit à l'erreur ?"]
NEW_GUIDE = "# Charte des ateliers\n\nLes ateliers de co-conception durent une demi-journée et réunissent des usagers.\n"
NOTES = {f"notes/note-{n:02d}.md": f"# Note de service {n}\n\n" + " ".join(
    f"Phrase {i} de la note {n} sur la modernisation de l'action publique." for i in range(20)) for n in range(12)}


@dataclass
class Load:
    """Agents asking, searching and rating in a loop, each against its own replica, until stopped."""

    replicas: list[Replica]
    failures: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # answer ids of /ask calls that completed
    done: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def agent(self, replica: Replica, number: int) -> None:
        with httpx.Client(base_url=replica.url, headers={"X-API-Key": SEARCH_KEY}, timeout=60) as client:
            for turn in itertools.count(number):
                if self.stop.is_set():
                    return
                try:
                    if turn % 3 == 0:
                        response = client.post("/ask", json={"question": QUESTIONS[turn % len(QUESTIONS)]})
                        if response.status_code == 200:
                            self.recorded.append(response.json()["answer_id"])
                            feedback = client.post("/feedback", json={"answer_id": response.json()["answer_id"],
                                                                      "useful": turn % 2 == 0})
                            if feedback.status_code != 200:
                                self.failures.append(f"{replica.port} /feedback {feedback.status_code}")
                    else:
                        response = client.get("/search", params={"q": QUESTIONS[turn % len(QUESTIONS)]})
                    if response.status_code != 200:
                        self.failures.append(f"{replica.port} {response.request.url.path} {response.status_code}")
                except httpx.HTTPError as error:
                    self.failures.append(f"{replica.port} {error!r}")
                self.done += 1

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.agent, args=(replica, n), daemon=True) for n, replica in enumerate(self.replicas)]
        for thread in threads:
            thread.start()
        return threads


@pytest.fixture()
def fleet(tmp_path, embedder, model_path, postgres):
    url = postgres.database()
    build_index(CorpusFolder(write_corpus(tmp_path / "corpus")), tmp_path / "index", IndexConfig(model_path=model_path),
                embedder=embedder)
    environment = fleet_environment(tmp_path, url, model_path, SEARCH_KEY, ADMIN_KEY) | {
        "ECLAIREUR_WIDGET_API_KEYS": f'["{WIDGET_KEY}"]', "ECLAIREUR_WIDGET_CLIENT_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE)}
    replicas = [Replica(tmp_path, environment) for _ in range(3)]
    try:
        for replica in replicas:
            replica.wait_ready()
        yield replicas, Database(url)
    finally:
        for replica in replicas:
            replica.stop()


@pytest.mark.slow
def test_three_replicas_share_conversations_survive_a_kill_and_swap_a_new_build(fleet, tmp_path):
    (first, second, third), database = fleet
    agents = {"X-API-Key": SEARCH_KEY}

    asked = httpx.post(first.url + "/ask", json={"question": QUESTIONS[0]}, headers=agents, timeout=60).json()
    rated = httpx.post(second.url + "/feedback", json={"answer_id": asked["answer_id"], "useful": True}, headers=agents)
    assert rated.status_code == 200, "feedback on an answer given by another replica"
    follow_up = httpx.post(third.url + "/ask", json={"question": "et qui l'organise en région ?",
                                                      "conversation_id": asked["conversation_id"]}, headers=agents, timeout=60)
    assert follow_up.status_code == 200 and follow_up.json()["conversation_id"] == asked["conversation_id"]
    with database.transaction() as db:
        questions = db.execute(select(turns.c.question).where(turns.c.conversation_id == asked["conversation_id"])
                               .order_by(turns.c.position)).scalars().all()
    assert questions == [QUESTIONS[0], "et qui l'organise en région ?"], "the follow-up continued the same conversation"

    started = time.monotonic()  # one agent's widget budget of PER_MINUTE, spent across the three replicas at once
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda replica: httpx.get(replica.url + "/documents/guides/mois.md", timeout=60,
                                                           headers={"X-API-Key": WIDGET_KEY}).status_code,
                                 [first, second, third] * PER_MINUTE))
    refill = (time.monotonic() - started) * PER_MINUTE / 60
    assert set(statuses) == {200, 429}
    assert PER_MINUTE <= statuses.count(200) <= PER_MINUTE + 1 + refill, statuses.count(200)

    survivors = Load([first, second])
    doomed = Load([third])
    threads = survivors.run() + doomed.run()
    time.sleep(3)
    third.process.send_signal(signal.SIGKILL)
    third.process.wait(timeout=30)
    before = first.health()["build_id"]

    write_corpus(tmp_path / "corpus", NOTES | {"guides/ateliers.md": NEW_GUIDE})  # a build of a few seconds
    with httpx.Client(base_url=first.url, headers={"X-API-Key": ADMIN_KEY}, timeout=60) as admin:
        assert admin.post("/admin/reindex").status_code == 202  # one build in the fleet: tests/storage/test_fleet_reindex.py
        deadline = time.monotonic() + 180
        while (state := admin.get("/admin/reindex").json())["state"] == "running":
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert state["state"] == "done", state
        finished = time.monotonic()
        builds = {}
        while time.monotonic() < finished + SWAP_SECONDS:
            builds = {replica.port: replica.health()["build_id"] for replica in (first, second)}
            if before not in builds.values():
                break
            time.sleep(0.1)
    assert before not in builds.values() and len(set(builds.values())) == 1, f"not everywhere within {SWAP_SECONDS} s: {builds}"
    time.sleep(1)  # a little more load on the new build
    survivors.stop.set()
    doomed.stop.set()
    for thread in threads:
        thread.join(timeout=120)

    assert survivors.failures == [] and survivors.done > 10, survivors.failures[:5]
    assert doomed.done > 0, "the killed replica was serving when it died"
    assert survivors.recorded and all(survivors.recorded), "the survivors recorded every answer"
    found = httpx.get(second.url + "/search", params={"q": "ateliers de co-conception"}, headers=agents).json()
    assert found["results"][0]["document_id"] == "guides/ateliers.md"
    completed = [answer_id for answer_id in survivors.recorded + doomed.recorded if answer_id]
    with database.transaction() as db:
        stored = set(db.execute(select(answers.c.answer_id).where(answers.c.answer_id.in_(completed))).scalars())
    assert stored == set(completed), "every /ask that completed, on any replica, has its record"
