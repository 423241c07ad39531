"""Telegram bot: the delay it adds to /ask, and 20 agents writing at once.

    .venv/bin/python benchmarks/bot_load.py [--questions 40] [--agents 20] [--seconds 30]

Runs the real bot (python-telegram-bot) against the loopback Bot API of the tests and a real Éclaireur
API serving the bundled corpus. Targets (issue #4): the bot adds at most 50 ms p50 to the API's own
/ask time; with 20 agents writing at once for 30 s, every question is answered once, none is lost.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "bots")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from botapi import BotApiServer, BotRunner  # noqa: E402
from support import LiveServer  # noqa: E402

from assistant.api.app import create_app  # noqa: E402
from assistant.service import Eclaireur  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from bots.telegram.settings import BotSettings  # noqa: E402

QUESTIONS = [
    "Quand a lieu le Mois de l'innovation publique ?", "Comment créer un laboratoire d'innovation ?",
    "Qu'est-ce que le droit à l'erreur ?", "Quelle école a remplacé l'ENA ?", "Comment mesurer l'impact d'un projet ?",
    "Qu'est-ce que l'OPSI de l'OCDE ?", "Comment organiser un atelier de co-conception ?", "Quel est le rôle de la DINUM ?",
    "Comment conduire une expérimentation ?", "Que prévoit la loi PACTE ?", "Comment tester un prototype avec des usagers ?",
    "Le COVID-19 a-t-il accéléré le télétravail ?", "Comment communiquer sur un projet innovant ?",
    "Quelles compétences pour innover ?", "Qu'est-ce qu'un persona ?", "Comment associer les citoyens ?",
    "Où trouver des formations en design ?", "Qu'est-ce que la co-construction ?", "Comment convaincre sa hiérarchie ?",
    "Quels indicateurs suivre ?",
]
KEY = "cle-banc-bot-0123456789-abcdef"


def percentile(values, q):
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="eclaireur-bot-"))
    settings = Settings(_env_file=None, index_dir=work / "index", records_path=work / "records.sqlite", api_keys=[KEY],
                        rate_limit_per_minute=1_000_000, query_cache_size=0)
    service = Eclaireur(settings)
    service.ensure_index()
    telegram = BotApiServer()
    with LiveServer(create_app(settings, service=service)) as api, LiveServer(telegram.app) as bot_api:
        telegram.url = bot_api.url
        bot_settings = BotSettings(_env_file=None, telegram_token="1:BENCH", telegram_api_base_url=f"{bot_api.url}/bot",
                                   api_url=api.url, bot_api_key=KEY, telegram_questions_per_minute=1_000_000,
                                   telegram_persistence_file=work / "bot.pickle")
        with BotRunner(bot_settings), httpx.Client(base_url=api.url, headers={"X-API-Key": KEY}, timeout=60) as direct:
            added = measure_added_delay(telegram, direct, args.questions)
            load = run_load(telegram, args.agents, args.seconds)

    print("\n## Bot Telegram — corpus fourni, API et Bot API sur 127.0.0.1\n")
    print("| mesure | valeur | cible |\n|---|---|---|")
    print(f"| /ask appelé directement, p50 / p95 | {percentile(added['direct'], 50):.0f} / {percentile(added['direct'], 95):.0f} ms | |")
    print(f"| message reçu → réponse envoyée par le bot, p50 / p95 | {percentile(added['bot'], 50):.0f} / "
          f"{percentile(added['bot'], 95):.0f} ms | |")
    print(f"| délai ajouté par le bot, p50 | {added['added_p50']:+.1f} ms | <= 50 ms |")
    print(f"| {args.agents} agents pendant {args.seconds:.0f} s : questions / réponses | "
          f"{load['asked']} / {load['answered']} | égales |")
    print(f"| questions perdues / répondues deux fois | {load['lost']} / {load['duplicated']} | 0 / 0 |")
    print(f"| temps de réponse sous charge, p50 / p95 | {percentile(load['latency'], 50):.0f} / "
          f"{percentile(load['latency'], 95):.0f} ms | |")
    print(f"\nMachine : {platform.machine()}, {os.cpu_count()} cœurs. "
          f"Commande : .venv/bin/python benchmarks/bot_load.py --questions {args.questions} --agents {args.agents} "
          f"--seconds {args.seconds:.0f}")


def measure_added_delay(telegram: BotApiServer, direct: httpx.Client, count: int) -> dict:
    """Same questions through the bot, then straight to the API; the API's caches are off, so both do the same work."""
    bot, straight = [], []
    for n in range(count):
        question = QUESTIONS[n % len(QUESTIONS)] + ("" if n < len(QUESTIONS) else " Merci.")
        chat = 500_000 + n
        started = time.perf_counter()
        telegram.message(question, user_id=chat)
        telegram.wait_for(chat_id=chat)
        bot.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        direct.post("/ask", json={"question": question}).raise_for_status()
        straight.append((time.perf_counter() - started) * 1000)
    return {"bot": bot, "direct": straight, "added_p50": percentile(bot, 50) - percentile(straight, 50)}


def run_load(telegram: BotApiServer, agents: int, seconds: float) -> dict:
    """Each agent asks, waits for its answer, asks again, until time is up; then replies are counted per chat."""
    asked: Counter = Counter()
    latency: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def agent(user_id: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            telegram.message(f"{QUESTIONS[(user_id + n) % len(QUESTIONS)]} (agent {user_id}, n° {n})", user_id=user_id)
            started = time.perf_counter()
            telegram.wait_for(count=n + 1, chat_id=user_id, timeout=120)
            n += 1
            with lock:
                asked[user_id] = n
                latency.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=agent, args=(1_000 + i,)) for i in range(agents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(1.0)  # let a late duplicate, if any, arrive
    replies = Counter(int(p["chat_id"]) for p in telegram.sent())
    return {"asked": sum(asked.values()), "answered": sum(min(replies[u], n) for u, n in asked.items()),
            "lost": sum(max(n - replies[u], 0) for u, n in asked.items()),
            "duplicated": sum(max(replies[u] - n, 0) for u, n in asked.items()), "latency": latency}


if __name__ == "__main__":
    main()
