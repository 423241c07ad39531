"""The content team console with 100,000 recorded questions over 90 days: how long the page's data takes to load.

    .venv/bin/python benchmarks/console.py [--questions 100000] [--backend sqlite|postgresql|both] [--repeat 3]
                                           [--without-kept-vectors]

Fills a records database as the service writes it (seeded: always the same questions, channels, outcomes, ratings and
comments; about 30 % unanswered, 10 % rated, a few thousand distinct wordings; the unanswered wordings' embeddings
kept, as /ask keeps them, unless ``--without-kept-vectors`` stands for records from before that), starts
`eclaireur serve` on it (bundled corpus, default index, built if missing) with an admin key, and times every request
the console makes when it opens, sent together as the browser does, over 30 and 90 days: the first load (the
disliked wordings not yet encoded, caches cold) and the next ones.
PostgreSQL runs on a throwaway server (tests/pgserver.py) when its binaries are installed.
Prints a Markdown table and the command. Target (issue 15): the page's data in under 1 s.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from serving import start_server

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from assistant.settings import Settings  # noqa: E402
from assistant.storage import Database  # noqa: E402
from assistant.storage.console import keep_vectors  # noqa: E402
from assistant.storage.gaps import wording_key  # noqa: E402
from assistant.storage.schema import answers, feedback  # noqa: E402
from index.embedding import Embedder  # noqa: E402

ADMIN_KEY = "cle-admin-du-banc-d-essai-0123456789"
TOPICS = ["le télétravail", "les congés bonifiés", "la cantine", "le badge d'accès", "la mutuelle", "le compte épargne-temps",
          "la formation continue", "les frais de mission", "le stationnement", "la prime de fin d'année", "le temps partiel",
          "un laboratoire d'innovation", "le Mois de l'innovation publique", "le droit à l'erreur", "un atelier de design",
          "les tests utilisateurs", "la commande publique innovante", "l'expérimentation locale", "le RGPD", "les données ouvertes"]
FORMS = ["Comment fonctionne {} ?", "Qui contacter pour {} ?", "Quelles sont les règles sur {} ?", "Où trouver un guide sur {} ?",
         "{} : que dit la DITP ?", "Puis-je demander {} ?", "Quel formulaire pour {} ?", "Combien de temps pour {} ?"]
PLACES = ["", " en préfecture", " dans une mairie", " à l'hôpital", " au ministère", " en région", " pour un contractuel",
          " pour un stagiaire", " en 2026", " cette année"]
PAGE = ["/admin/privacy", "/admin/stats?days={days}", "/admin/gaps?days={days}", "/admin/feedback?rating=not_useful&limit=50",
        "/admin/corpus", "/admin/reindex"]


def questions(count: int, days: int, seed: int = 15) -> list[dict]:
    """``count`` answers spread over the last ``days``: text, channel, outcome, latency, answer and sources."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    rows = []
    for _ in range(count):
        question = rng.choice(FORMS).format(rng.choice(TOPICS) + rng.choice(PLACES))
        answered = rng.random() > 0.3
        rows.append({"answer_id": uuid.UUID(int=rng.getrandbits(128)).hex, "conversation_id": None, "question": question,
                     "status": "answered" if answered else "no_answer", "confidence": rng.random(),
                     "channel": rng.choice(("telegram", "widget", "widget", "api")), "latency_ms": rng.lognormvariate(4, 0.5),
                     "created_at": (now - timedelta(seconds=rng.uniform(0, days * 86400))).isoformat(), "owner": "key:banc",
                     "answer_text": "Selon le guide, la démarche se fait auprès du service RH [1]." if answered else None,
                     "sources": json.dumps([{"document_id": f"guides/{rng.randrange(200)}.md", "title": "Un guide"}])})
    return sorted(rows, key=lambda row: row["created_at"])  # written as they come, as the service does


def unanswered_vectors(rows: list[dict]) -> tuple[dict, str]:
    """The embedding of each unanswered wording, which the service keeps as it answers, and the model's fingerprint."""
    settings = Settings(_env_file=None)
    embedder = Embedder(settings.model_path, engine=settings.encoder)
    texts = {wording_key(row["question"]): row["question"].strip() for row in rows if row["status"] == "no_answer"}
    return dict(zip(texts, embedder.encode_queries(list(texts.values())))), embedder.fingerprint


def fill(location: str | Path, rows: list[dict], kept: tuple[dict, str] | None, seed: int = 15) -> None:
    """The records as the service writes them; with ``kept``, the unanswered wordings' embeddings too."""
    rng = random.Random(seed)
    database = Database(location, timeout=60)
    database.upgrade()
    rated = [{"answer_id": row["answer_id"], "useful": int(rng.random() > 0.3), "comment": rng.choice([None, "Incomplet", "Hors sujet"]),
              "created_at": row["created_at"]} for row in rows if rng.random() < 0.1]
    with database.transaction() as db:
        for start in range(0, len(rows), 10_000):
            db.execute(answers.insert(), rows[start:start + 10_000])
        db.execute(feedback.insert(), rated)
    if kept:
        keep_vectors(database, *kept)
    database.dispose()


def page_load(client: httpx.Client, days: int) -> tuple[float, dict[str, float]]:
    """Every request of the page at once (as the browser sends them): the wall time and each request's."""
    def timed(path: str) -> tuple[str, float]:
        started = time.perf_counter()
        response = client.get(path.format(days=days))
        response.raise_for_status()
        return path.split("?")[0], time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(len(PAGE)) as pool:
        each = dict(pool.map(timed, PAGE))
    return time.perf_counter() - started, each


def measure(backend: str, location: str, repeat: int, work: Path) -> list[tuple]:
    variable = {"ECLAIREUR_DATABASE_URL": location} if backend == "postgresql" else {"ECLAIREUR_RECORDS_PATH": location}
    server, base = start_server(work / "unused.sqlite", ECLAIREUR_ADMIN_API_KEYS=json.dumps([ADMIN_KEY]),
                                ECLAIREUR_QUERY_CACHE_SIZE="4096", **variable)
    results = []
    try:
        with httpx.Client(base_url=base, headers={"X-API-Key": ADMIN_KEY}, timeout=300) as client:
            for days in (30, 90):
                loads = [page_load(client, days) for _ in range(1 + repeat)]
                first, rest = loads[0], sorted(loads[1:], key=lambda load: load[0])
                median = rest[len(rest) // 2]
                slowest = max(median[1], key=median[1].get)
                results.append((backend, days, first[0], median[0], slowest, median[1][slowest]))
    finally:
        server.terminate()
        server.wait()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="loads after the first, per period")
    parser.add_argument("--without-kept-vectors", action="store_true",
                        help="records written before the service kept the unanswered wordings' embeddings")
    args = parser.parse_args()
    rows = questions(args.questions, 90)
    kept = None if args.without_kept_vectors else unanswered_vectors(rows)
    results = []
    work = Path(tempfile.mkdtemp(prefix="eclaireur-console-"))
    if args.backend in ("sqlite", "both"):
        fill(work / "records.sqlite", rows, kept)
        results += measure("sqlite", str(work / "records.sqlite"), args.repeat, work)
    if args.backend in ("postgresql", "both"):
        from pgserver import PostgresServer, unavailable_reason

        reason = unavailable_reason()
        if reason:
            print(f"PostgreSQL sauté : {reason}")
        else:
            postgres = PostgresServer()
            try:
                url = postgres.database()
                fill(url, rows, kept)
                results += measure("postgresql", url, args.repeat, work)
            finally:
                postgres.close()
    shutil.rmtree(work)
    distinct = len({row["question"].lower() for row in rows if row["status"] == "no_answer"})
    print(f"\n{args.questions} questions sur 90 jours ({distinct} formulations distinctes sans réponse), "
          f"{args.repeat} chargements après le premier :\n")
    print("| base | période | premier chargement | chargements suivants (médiane) | requête la plus lente | cible |")
    print("|---|---|---|---|---|---|")
    for backend, days, first, median, slowest, slowest_seconds in results:
        print(f"| {backend} | {days} j | {first * 1000:.0f} ms | {median * 1000:.0f} ms | {slowest} {slowest_seconds * 1000:.0f} ms "
              f"| < 1 s |")
    option = " --without-kept-vectors" if args.without_kept_vectors else ""
    print(f"\n.venv/bin/python benchmarks/console.py --questions {args.questions} --backend {args.backend} --repeat {args.repeat}{option}")


if __name__ == "__main__":
    main()
