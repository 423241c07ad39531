"""Web sources (issue #16): sync speed against a loopback site, and parsing from the web against parsing the files.

    .venv/bin/python benchmarks/web_sync.py [--corpus DIR] [--limit N] [--ndcg]

Every Markdown file of the corpus (corpus-real by default) is rendered to an HTML page (the site's header,
navigation and footer around it) and served on 127.0.0.1 with a sitemap; ``sync_source`` fetches and stores them
with no delay. Prints pages/s (fetch and store, no embedding; target >= 20), then how close the text read from each
stored page is to the text read from its Markdown file (title, words). ``--ndcg`` also builds both indexes (minutes
of CPU) and compares dev nDCG@10 (target: within 0.01 of the Markdown index).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
sys.path += [str(ROOT / "tests" / "index" / "web")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from loopback_site import ServedSite, corpus_site, word_overlap  # noqa: E402

from index.documents import UnreadableDocument  # noqa: E402
from index.readers import read_document  # noqa: E402
from index.web.config import WebSource  # noqa: E402
from index.web.fetch import Limits  # noqa: E402
from index.web.sync import SyncOptions, sync_source, user_agent  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus-real")
    parser.add_argument("--questions", type=Path, default=SHARED / "eval-dev" / "corpus-real-dev-questions.jsonl")
    parser.add_argument("--limit", type=int, help="pages au plus (défaut : tout le corpus)")
    parser.add_argument("--ndcg", action="store_true", help="construire les deux index et comparer nDCG@10 (long)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"Corpus introuvable : {args.corpus}")
    site, origin = corpus_site(args.corpus, args.limit)
    served = ServedSite(site)
    work = Path(tempfile.mkdtemp(prefix="eclaireur-web-sync-"))
    source = WebSource(name="bench", sitemap=site.base + "/sitemap.xml", max_pages=100_000, delay_seconds=0,
                       intranet=True, folder="web/site")
    options = SyncOptions(work / "corpus", work / "state", user_agent("mailto:bench@example.org"), Limits())
    try:
        first = sync_source(source, options)
        second = sync_source(source, options)
    finally:
        served.close()
    pages = len(first.new)
    print("| mesure | valeur | cible |\n|---|---|---|")
    print(f"| première synchronisation ({pages} pages, délai 0 s, boucle locale) | {pages / first.seconds:.1f} pages/s "
          f"({first.seconds:.1f} s, {first.bytes_received / 1e6:.1f} Mo) | >= 20 pages/s |")
    print(f"| seconde synchronisation, site inchangé | {len(second.unchanged)} réponses 304 en {second.seconds:.1f} s, "
          f"{second.stored} page réécrite | 0 réécrite |")
    titles, overlaps, unreadable = 0, [], 0
    folder = options.corpus_dir / source.target_folder
    for url in first.new:
        path = url.removeprefix(site.base)
        relative = origin[path]
        stored = path.strip("/") + "/index.html"
        try:
            markdown = read_document((args.corpus / relative).read_bytes(), relative)
        except UnreadableDocument:
            unreadable += 1
            continue
        page = read_document((folder / stored).read_bytes(), stored)
        titles += page.title == markdown.title
        overlaps.append(word_overlap(markdown.text, page.text))
    overlaps.sort()
    print(f"| titres identiques (page lue / fichier lu) | {titles}/{len(overlaps)} ({unreadable} fichier(s) sans texte) | |")
    print(f"| mots communs (Jaccard), moyenne / 5e centile / minimum | {sum(overlaps) / len(overlaps):.3f} / "
          f"{overlaps[len(overlaps) // 20]:.3f} / {overlaps[0]:.3f} | |")
    if args.ndcg:
        compare_ndcg(args, options.corpus_dir, source.target_folder, origin)
    print("\nReproduire : .venv/bin/python benchmarks/web_sync.py" + (f" --limit {args.limit}" if args.limit else "")
          + (" --ndcg" if args.ndcg else ""))


def compare_ndcg(args, web_corpus: Path, folder: str, origin: dict[str, str]) -> None:
    """Dev nDCG@10 of the index built from the synced pages against the one built from the Markdown files."""
    from assistant.cli import eval_index_dir
    from assistant.evaluation import evaluate, load_questions
    from assistant.retrieval import Retriever
    from assistant.settings import Settings
    from index.builder import build_index
    from index.embedding import Embedder
    from index.snapshot import IndexSnapshot

    settings = Settings(_env_file=None)
    embedder = Embedder(settings.model_path, batch_size=settings.embedding_batch_size, engine=settings.encoder)
    back = {f"{folder}/{path.strip('/')}/index.html": relative for path, relative in origin.items()}
    questions = load_questions(args.questions)
    print("\n| index | mode | nDCG@10 | R@10 |\n|---|---|---|---|")
    for label, corpus, rename in (("fichiers Markdown", args.corpus, lambda i: i), ("pages synchronisées", web_corpus, back.get)):
        source = settings.corpus(corpus)
        index_dir = eval_index_dir(source, settings)
        build_index(source, index_dir, settings.index_config(), embedder=embedder)
        retriever = Retriever(IndexSnapshot.open(index_dir, embedder.fingerprint), embedder, settings.retrieval_config())
        for mode in ("dense", "lexical", "hybrid"):
            def search(question: str, mode=mode, retriever=retriever, rename=rename):
                outcome = retriever.search(question, k=10, mode=mode)
                return [rename(r.best.chunk.document_id) for r in outcome.results], outcome.took_ms
            result = evaluate(questions, search)
            print(f"| {label} | {mode} | {result['ndcg@10']:.4f} | {result['recall@10']:.3f} |")


if __name__ == "__main__":
    main()
