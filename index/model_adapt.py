"""Corpus adaptation of the embedding model: a short, seeded fine-tuning on pairs drawn from the corpus itself.

No question from any evaluation set is used: the pairs are what the documents already say about themselves —
a FAQ question and its answer, a heading path and its section, a document title and its first section — each
with a hard negative (the best BM25 match from another document), trained with MultipleNegativesRankingLoss.
A document with neither title nor headings (passages given flat) gives sentence pairs instead: one of its
sentences against the rest of its passage, the Inverse Cloze Task of Lee et al. (2019).
The model written is halfway between the fine-tuned weights and the base ones (WiSE-FT, Wortsman et al. 2022): fully
fine-tuned, it ranked better on the questions its recipe was chosen on and worse on a third set written later.
The result is a new model folder with its own fingerprint: an index built with the old model is refused by it.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .chunking import split_sentences
from .documents import Document, UnreadableDocument
from .embedding import model_fingerprint
from .lexical import BM25Index
from .onnx_export import export_onnx

logger = logging.getLogger(__name__)

PASSAGE_CHARS = 1500  # beyond max_seq_length anyway
SENTENCES_PER_PASSAGE = 2  # sentence pairs drawn from a flat passage
MIN_SENTENCE_WORDS = 6
ORIGINS = ("faq", "heading", "title", "sentence")
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "  # e5's prompts
ADAPTATION_FILE = "adaptation.json"


@dataclass(frozen=True)
class AdaptConfig:
    max_pairs: int = 3000
    batch_size: int = 16
    epochs: int = 1
    learning_rate: float = 2e-5
    warmup_share: float = 0.1
    max_seq_length: int = 128
    # e5 was trained with a temperature of 0.01: the same scale keeps its cosines where the reader's calibrated
    # thresholds expect them (sentence-transformers' default, 20, spreads a question's best cosine from 0.89 to 0.62)
    similarity_scale: float = 100.0
    seed: int = 13
    fine_tuned_share: float = 0.5  # of the weights written; the rest is the base model's (``interpolate``)


@dataclass(frozen=True)
class TrainingPair:
    query: str
    passage: str
    document_id: str
    origin: str  # "faq", "heading", "title" or "sentence"


@dataclass
class AdaptReport:
    output: str
    base_fingerprint: str
    fingerprint: str
    documents: int
    pairs: dict[str, int]
    steps: int
    seconds: float
    onnx: str | None = None


def corpus_pairs(documents: Iterable[Document], seed: int = 13) -> list[TrainingPair]:
    """The self-supervised pairs of a corpus: FAQ question → answer, heading path → section, title → first section;
    sentence → rest of its passage for a document with no title nor headings."""
    pairs, shuffler = [], random.Random(seed)
    for document in documents:
        sections = [s for s in document.sections if len(s.text) >= 40]
        if not is_structured(document):
            pairs += [pair for section in sections for pair in sentence_pairs(section.text, document.id, shuffler)]
            continue
        for number, section in enumerate(sections):
            passage = section.text[:PASSAGE_CHARS]
            headings = [h for h in section.heading_path if h]
            if section.is_question and headings:
                pairs.append(TrainingPair(headings[-1], passage, document.id, "faq"))
            elif len(headings) >= 2:
                pairs.append(TrainingPair(" > ".join(headings), passage, document.id, "heading"))
            if number == 0 and document.title:
                pairs.append(TrainingPair(document.title, passage, document.id, "title"))
    return pairs


def is_structured(document: Document) -> bool:
    """Whether a document names itself or its parts: a title other than its id (a passage given flat is titled by its
    id) or a heading."""
    return document.title not in ("", document.id) or any(h for section in document.sections for h in section.heading_path)


def sentence_pairs(text: str, document_id: str, shuffler: random.Random) -> list[TrainingPair]:
    """Up to ``SENTENCES_PER_PASSAGE`` sentences of a passage, each against the passage without it."""
    sentences = split_sentences(text)
    eligible = [n for n, sentence in enumerate(sentences) if len(sentence.split()) >= MIN_SENTENCE_WORDS]
    if len(sentences) < 2 or not eligible:
        return []
    chosen = sorted(shuffler.sample(eligible, min(SENTENCES_PER_PASSAGE, len(eligible))))
    return [TrainingPair(sentences[n], " ".join(sentences[:n] + sentences[n + 1:])[:PASSAGE_CHARS], document_id, "sentence")
            for n in chosen]


def with_hard_negatives(pairs: list[TrainingPair]) -> list[tuple[str, str, str]]:
    """(query, positive, negative) triplets: the negative is the best BM25 passage of another document."""
    passages = sorted({(p.passage, p.document_id) for p in pairs})
    bm25 = BM25Index.build(range(len(passages)), (text for text, _ in passages))
    triplets = []
    for pair in pairs:
        _, ids = bm25.search(pair.query, 10)
        negative = next((passages[i][0] for i in ids if passages[i][1] != pair.document_id), None)
        if negative is not None:
            triplets.append((pair.query, pair.passage, negative))
    return triplets


def sample_pairs(pairs: list[TrainingPair], limit: int, seed: int) -> list[TrainingPair]:
    """At most ``limit`` pairs: a random sample, the same for the same corpus and seed."""
    if len(pairs) <= limit:
        return list(pairs)
    return random.Random(seed).sample(pairs, limit)


def adapt_model(base: Path, documents: Iterable[Document], output: Path, config: AdaptConfig = AdaptConfig(),
                with_onnx: bool = True) -> AdaptReport:
    """Fine-tune the model in ``base`` on the pairs of ``documents``; write the result to ``output`` (replaced),
    with its ONNX files unless ``with_onnx`` is false (the ONNX engines then export them at first use)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    started = time.perf_counter()
    documents = list(documents)
    pairs = sample_pairs(corpus_pairs(documents, config.seed), config.max_pairs, config.seed)
    triplets = with_hard_negatives(pairs)
    if not triplets:
        raise ValueError("Le corpus ne donne aucune paire d'entraînement (FAQ, titres, phrases de passages) : "
                         "adaptation impossible.")
    logger.info("%d paires d'entraînement tirées de %d documents", len(triplets), len(documents))
    torch.manual_seed(config.seed)
    model = SentenceTransformer(str(base), device="cpu")
    model.max_seq_length = config.max_seq_length
    trained = trainable_parameters(model)
    base_weights = {name: parameter.detach().clone() for name, parameter in model.named_parameters()
                    if parameter.requires_grad}
    loss = MultipleNegativesRankingLoss(model, scale=config.similarity_scale)
    order, shuffler, batches = list(range(len(triplets))), random.Random(config.seed), []
    for _ in range(config.epochs):
        shuffler.shuffle(order)
        batches += [order[i:i + config.batch_size] for i in range(0, len(order), config.batch_size)]
    optimizer = torch.optim.AdamW(trained, lr=config.learning_rate)
    warmup = max(1, int(len(batches) * config.warmup_share))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(batches) - step) / max(1, len(batches) - warmup))))
    model.train()
    for step, batch in enumerate(batches, start=1):
        queries, positives, negatives = zip(*(triplets[i] for i in batch))
        features = [model.preprocess([QUERY_PREFIX + q for q in queries]),
                    model.preprocess([PASSAGE_PREFIX + p for p in positives]),
                    model.preprocess([PASSAGE_PREFIX + n for n in negatives])]
        value = loss(features, labels=None)
        value.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 20 == 0 or step == len(batches):
            logger.info("Adaptation : pas %d/%d, perte %.4f", step, len(batches), value.item())
    model.eval()
    interpolate(model, base_weights, config.fine_tuned_share)
    output = Path(output)
    if output.exists():
        shutil.rmtree(output)
    model.save(str(output))
    counts = {origin: sum(1 for p in pairs if p.origin == origin) for origin in ORIGINS}
    report = AdaptReport(output=str(output), base_fingerprint=model_fingerprint(base), fingerprint="",
                         documents=len(documents), pairs=counts, steps=len(batches), seconds=0.0)
    (output / ADAPTATION_FILE).write_text(json.dumps({"base": str(base), "config": asdict(config), "pairs": counts,
                                                      "triplets": len(triplets)}, indent=1), encoding="utf-8")
    report.onnx = str(export_onnx(output)) if with_onnx else None
    report.fingerprint = model_fingerprint(output)
    report.seconds = round(time.perf_counter() - started, 1)
    return report


def trainable_parameters(model) -> list:
    """The parameters the adaptation moves: the encoder layers, not the embedding table (250,000 tokens × 384, four
    fifths of the weights, which a few thousand pairs would only blur, and whose gradient and optimizer state
    made a step a third slower)."""
    for parameter in model[0].auto_model.embeddings.parameters():
        parameter.requires_grad_(False)
    return [parameter for parameter in model.parameters() if parameter.requires_grad]


def interpolate(model, base_weights: dict, fine_tuned_share: float) -> None:
    """Set each of ``model``'s parameters named in ``base_weights`` to ``fine_tuned_share`` of its fine-tuned value
    plus the rest of its base value. Averaging the weights of a fine-tuned model with its base keeps much of the gain
    where the fine-tuning data resemble the queries and loses less where they do not (Wortsman et al., 2022, « Robust
    fine-tuning of zero-shot models »); measured in benchmarks/README.md (« Adaptation du modèle au corpus »)."""
    import torch

    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name in base_weights:
                parameter.mul_(fine_tuned_share).add_(base_weights[name], alpha=1.0 - fine_tuned_share)


def read_corpus(source) -> list[Document]:
    """Every readable document of a source (the unreadable ones are skipped, as the index does)."""
    documents = []
    for entry in source.scan():
        if getattr(entry, "refused", None) or not source.is_supported(entry.id):
            continue
        try:
            documents.append(entry.load())
        except UnreadableDocument:
            continue
    return documents
