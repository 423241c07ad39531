"""Fit the reader's span model and the answer confidence of /ask on questions whose answers are known fact by fact.

    .venv/bin/python benchmarks/calibrate_ask.py [--corpus DIR] [--facts FILE [FILE ...]]

1. Every question is searched as /ask does; the reader scores every span of the passages it reads, and each span
   is labelled by whether the answer made of it states every fact of the question.
2. The weights of the span's signals are fitted to put, for each question, the spans that state the answer first
   (a conditional logit: softmax over the question's spans, L2-regularised), and judged by leave-one-question-out:
   the share of questions whose best span, chosen by weights fitted without them, states the answer.
3. The reader's share of belief in what the answer shows (the softmax mass, with leave-one-out weights, of the spans
   that share a sentence with it: with the best span, the whole passage for a short FAQ answer, or one span per part
   of a question that asks several things; the composer's own choice), its context coverage and its passage
   similarity are calibrated into a confidence (logistic regression, unanswerable questions counting as wrong); the
   tables give the threshold.

With several question sets, each set is also judged by weights fitted on the other sets alone: what a tuning on some
questions is worth on questions written apart from them. Everything else is fitted on all the sets together.

It prints the weights to copy into ``ReaderConfig`` and ``AnswerConfig``, and the tables for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.answers import AnswerComposer  # noqa: E402
from assistant.cli import eval_index_dir  # noqa: E402
from assistant.evaluation import auroc, load_fact_questions, risk_coverage, states_facts  # noqa: E402
from assistant.reader import FEATURES, Reader, ReaderConfig  # noqa: E402
from assistant.retrieval import Retriever, SearchOutcome  # noqa: E402
from assistant.service import ASK_DOCUMENTS  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from index.builder import build_index  # noqa: E402
from index.embedding import Embedder  # noqa: E402
from index.snapshot import IndexSnapshot  # noqa: E402
from index.sources import CorpusFolder  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
L2 = 0.1  # penalty on the squared weights: few signals, few questions


def eval_retriever(corpus: Path) -> tuple[Settings, Embedder, Retriever]:
    """The default settings, encoder and a retriever over ``corpus``'s index, in the same cache as `eclaireur eval`."""
    settings = Settings(_env_file=None)
    source = CorpusFolder(corpus)
    index_dir = eval_index_dir(source, settings)
    embedder = Embedder(settings.model_path, engine=settings.encoder)
    build_index(source, index_dir, settings.index_config(), embedder=embedder)
    return settings, embedder, Retriever(IndexSnapshot.open(index_dir, embedder.fingerprint), embedder, settings.retrieval_config())


@dataclass
class Asked:
    """One question as /ask sees it: its search outcome and query vector."""

    outcome: SearchOutcome
    vector: np.ndarray


def ask_all(questions, retriever: Retriever, embedder: Embedder) -> list[Asked]:
    return [Asked(retriever.search(item.question, k=ASK_DOCUMENTS, mode="hybrid"), embedder.encode_query(item.question))
            for item in questions]


def read_all(questions, retriever: Retriever, embedder: Embedder, config: ReaderConfig,
             asked: list[Asked] | None = None) -> list[list]:
    """Per question: the spans of every passage the reader reads, with all their signals."""
    reader = Reader(config)
    asked = asked or ask_all(questions, retriever, embedder)
    return [reader.read(item.question, one.vector, one.outcome, retriever.snapshot).spans for item, one in zip(questions, asked)]


def fit(groups: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Weights maximising, per question with an answer among its spans, the softmax share of the right spans."""
    usable = [(x, y) for x, y in groups if y.any()]
    mean = np.vstack([x for x, _ in usable]).mean(axis=0)
    scale = np.vstack([x for x, _ in usable]).std(axis=0) + 1e-9

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = L2 * w @ w, 2 * L2 * w
        for x, y in usable:
            z = ((x - mean) / scale) @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            right = p[y].sum()
            total -= np.log(right)
            gradient -= ((x[y] - mean) / scale).T @ (p[y] / right) - ((x - mean) / scale).T @ p
        return total, gradient

    weights = minimize(loss, np.zeros(len(mean)), jac=True, method="L-BFGS-B").x
    return weights / scale  # on the raw signals (the centring only shifts every span of a question alike)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--facts", type=Path, nargs="+", default=[SHARED / "eval-dev" / "corpus-real-dev-answer-facts.jsonl"])
    args = parser.parse_args()
    if not args.corpus.is_dir() or not all(path.exists() for path in args.facts):
        sys.exit(f"Données d'évaluation absentes ({args.corpus}, {' '.join(map(str, args.facts))}).")

    settings, embedder, retriever = eval_retriever(args.corpus)
    sets = [load_fact_questions(path) for path in args.facts]
    questions = [item for questions_of_set in sets for item in questions_of_set]
    answer_config = settings.answer_config()
    config = answer_config.reader
    asked = ask_all(questions, retriever, embedder)
    readings = read_all(questions, retriever, embedder, config, asked)

    composer = AnswerComposer(embedder, settings.answer_config())
    groups = []
    for item, spans in zip(questions, readings):
        features = np.array([[span.features[name] for name in FEATURES] for span in spans]).reshape(len(spans), len(FEATURES))
        labels = np.array([bool(item.facts) and states_facts(composer.render(span)[0], item.facts) for span in spans], dtype=bool)
        groups.append((features, labels))
    if len(sets) > 1:
        judge_across_sets(args.facts, sets, groups, asked, retriever, embedder, answer_config)
    answerable = [n for n, item in enumerate(questions) if item.facts]
    reachable = [n for n in answerable if groups[n][1].any()]
    print(f"\n## Lecteur de /ask — {len(answerable)} questions avec réponse, {len(questions) - len(answerable)} sans\n")
    print(f"{sum(len(x) for x, _ in groups)} passages candidats lus ; une réponse juste parmi eux pour {len(reachable)} "
          f"questions sur {len(answerable)} (plafond du lecteur : {len(reachable) / len(answerable):.0%})\n")

    signals, best_right = [], []
    for number, item in enumerate(questions):
        held_out = fit(groups[:number] + groups[number + 1:])
        chooser = AnswerComposer(embedder, replace(answer_config, reader=replace(config, weights=tuple(held_out))))
        choice = chooser.choose(item.question, asked[number].vector, asked[number].outcome, retriever.snapshot)
        if choice is None:
            signals.append([-14.0, 0.0, 0.0])
            best_right.append(False)
            continue
        share = float(np.clip(choice.share, 1e-6, 1 - 1e-6))
        signals.append([np.log(share / (1 - share)), choice.best.features["context_coverage"],
                        choice.best.features["passage_similarity"]])
        best_right.append(bool(item.facts) and states_facts(chooser.text_of(choice)[0], item.facts))

    weights = fit(groups)
    right = np.array([best_right[n] and bool(questions[n].facts) for n in range(len(questions))])
    calibration = LogisticRegression(C=100.0, max_iter=5000).fit(np.array(signals), right)
    confidence = calibration.predict_proba(np.array(signals))[:, 1]

    print("Choix du meilleur passage par un modèle qui n'a pas vu la question (validation croisée, une question laissée de côté) :")
    print(f"- réponse juste : {np.mean([best_right[n] for n in answerable]):.1%} des questions avec réponse")
    print(f"- AUROC de la confiance (justes / fausses) : "
          f"{auroc([confidence[n] for n in answerable if best_right[n]], [confidence[n] for n in answerable if not best_right[n]]):.3f}\n")
    print("| seuil | justes | fausses | abstentions | sans réponse répondues |")
    print("|---|---|---|---|---|")
    unanswerable = [n for n in range(len(questions)) if not questions[n].facts]
    for threshold in np.arange(0.2, 0.75, 0.05):
        answered = [n for n in answerable if confidence[n] >= threshold]
        correct = sum(best_right[n] for n in answered)
        wrong_unanswerable = sum(confidence[n] >= threshold for n in unanswerable)
        print(f"| {threshold:.2f} | {correct / len(answerable):.0%} | {(len(answered) - correct) / len(answerable):.0%} | "
              f"{1 - len(answered) / len(answerable):.0%} | {wrong_unanswerable / max(len(unanswerable), 1):.0%} |")
    print("\nRisque selon la couverture (questions avec réponse) :")
    for row in risk_coverage([confidence[n] for n in answerable], [best_right[n] for n in answerable]):
        print(f"  couverture {row['coverage']:.0%} : {row['risk']:.0%} de fausses (seuil {row['threshold']:.3f})")

    print("\nPoids à reporter dans ReaderConfig (ordre de FEATURES) et AnswerConfig.calibration :")
    print(f"  weights = ({', '.join(f'{w:.3f}' for w in weights)})  # {', '.join(FEATURES)}")
    print(f"  calibration = ({', '.join(f'{w:.3f}' for w in calibration.coef_[0])}, {calibration.intercept_[0]:.3f})")
    print(f"\nCommande : .venv/bin/python benchmarks/calibrate_ask.py --corpus {args.corpus} --facts {' '.join(map(str, args.facts))}")


def judge_across_sets(paths: list[Path], sets: list[list], groups: list, asked: list[Asked], retriever: Retriever,
                      embedder: Embedder, answer_config) -> None:
    """Per set, the share of its answerable questions whose chosen answer states every fact: with the reader's current
    weights, and with weights fitted on the other sets alone (``groups`` and ``asked`` run over the sets in order)."""
    print("\n## Chaque jeu jugé par des poids ajustés sur les autres\n")
    print("| jeu | questions avec réponse | choix juste, poids actuels | choix juste, poids ajustés sur les autres jeux |")
    print("|---|---|---|---|")
    starts = np.cumsum([0] + [len(questions) for questions in sets])
    for number, (path, questions) in enumerate(zip(paths, sets)):
        inside = range(starts[number], starts[number + 1])
        others = fit([group for n, group in enumerate(groups) if n not in inside])
        right = {}
        for name, weights in (("current", answer_config.reader.weights), ("others", others)):
            chooser = AnswerComposer(embedder, replace(answer_config, reader=replace(answer_config.reader, weights=tuple(weights))))
            right[name] = sum(_states_every_fact(chooser, item, asked[n], retriever) for n, item in zip(inside, questions))
        answerable = sum(1 for item in questions if item.facts)
        print(f"| {path.name} | {answerable} | {right['current'] / answerable:.1%} | {right['others'] / answerable:.1%} |")


def _states_every_fact(chooser: AnswerComposer, item, one: Asked, retriever: Retriever) -> bool:
    """Whether the answer ``chooser`` would show for ``item`` (before any threshold) states every fact."""
    choice = chooser.choose(item.question, one.vector, one.outcome, retriever.snapshot) if item.facts else None
    return choice is not None and states_facts(chooser.text_of(choice)[0], item.facts)


if __name__ == "__main__":
    main()
