"""One ``Settings`` object for the whole service, read from ``ECLAIREUR_*`` environment variables or ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.builder import IndexConfig
from index.chunking import ChunkingConfig
from index.encoders import DEFAULT_ENGINE, Engine
from index.sources import CorpusFolder
from index.vectors import IndexChoice, VectorIndexConfig
from index.web.fetch import Limits
from index.web.sync import SyncOptions, user_agent

from .answers import AnswerConfig
from .encoding import BatchingConfig
from .fusion import FusionConfig, FusionMethod
from .generation import LLMConfig
from .rerank import RerankConfig
from .retrieval import RetrievalConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SearchMode = Literal["dense", "lexical", "hybrid"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECLAIREUR_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Dossier des documents à indexer")
    index_dir: Path = Field(PROJECT_ROOT / "var" / "index", description="Dossier de l'index (builds + lien current)")
    model_path: Path = Field(PROJECT_ROOT / "models" / "multilingual-e5-small", description="Dossier sentence-transformers")
    cache_dir: Path = Field(PROJECT_ROOT / "var" / "cache", description="Index construits pour l'évaluation")
    corpus_allow_hidden: list[str] = Field(default_factory=list, description="Motifs glob de fichiers ou dossiers "
                                           "cachés (« .well-known ») à indexer quand même ; les autres sont refusés")
    sources_file: Path | None = Field(None, description="Fichier des sources web (vide : sources.toml à la racine du corpus)")
    sources_state_dir: Path = Field(PROJECT_ROOT / "var" / "sources", description="État des synchronisations web (ETag, "
                                    "pages disparues) et leur verrou : partagé entre répliques, une seule synchronise")
    sources_contact: str | None = Field(None, description="Contact ajouté au User-Agent des synchronisations "
                                        "(« mailto:… » ou adresse d'une page), pour les webmestres des sites")
    sources_sync_hours: float | None = Field(None, gt=0, description="Synchroniser les sources web toutes les N heures "
                                             "dans le service, puis mettre l'index à jour (vide : jamais)")
    sources_max_page_bytes: int = Field(10_000_000, ge=1024, description="Taille maximale d'une page ou d'un fichier récupéré")
    sources_max_total_bytes: int = Field(500_000_000, ge=1024, description="Octets reçus au plus par source et par synchronisation")
    sources_timeout_seconds: float = Field(20.0, gt=0, le=300, description="Durée maximale d'une requête (page lente : ignorée)")

    max_chunk_tokens: int = Field(256, ge=32, le=512)
    chunk_overlap_tokens: int = Field(32, ge=0, le=128)
    vector_index: IndexChoice = Field("auto", description="Index vectoriel au-delà de exact_search_max passages : auto "
                                      "(ivf_sq8), flat (toujours exact), hnsw, hnsw_sq8, ivf_sq8")
    exact_search_max: int = Field(20_000, ge=1, description="Jusqu'à ce nombre de passages, recherche exacte")
    hnsw_ef_search: int = Field(128, ge=16, description="Largeur de la recherche HNSW (rappel contre vitesse)")
    ivf_nprobe: int = Field(64, ge=1, description="Listes IVF parcourues par requête (rappel contre vitesse)")
    verify_index_hashes: bool = Field(True, description="Vérifier au chargement l'empreinte SHA-256 de chaque fichier de "
                                                        "l'index (false : seulement leur taille, pour un index énorme)")
    encoder: Engine = Field(DEFAULT_ENGINE, description="Moteur d'encodage : onnx (ONNX Runtime, fp32), onnx-int8 (poids "
                            "int8, plus rapide) ou torch (PyTorch) ; en changer demande de reconstruire l'index")
    embedding_batch_size: int | None = Field(None, ge=1, le=512, description="Textes par passage du modèle à "
                                             "l'indexation (vide : 32 avec torch, 8 avec ONNX)")
    query_cache_size: int = Field(4096, ge=0, description="Vecteurs de requêtes gardés en mémoire (0 : aucun)")
    batching: bool | None = Field(None, description="Encoder ensemble les requêtes simultanées (un seul passage du "
                                  "modèle) ; vide : oui avec torch, non avec ONNX, plus rapide sans (benchmarks/throughput.py)")
    batch_max_size: int = Field(32, ge=1, le=256, description="Textes au plus par lot d'encodage")
    batch_max_wait_ms: float = Field(2.0, ge=0.0, le=50.0, description="Attente maximale pour compléter un lot")

    default_mode: SearchMode = "hybrid"
    fusion: FusionMethod = Field("zscore", description="zscore (scores réduits par leur écart-type, défaut), "
                                 "rank_score (rangs et scores min-max), rrf, weighted (scores min-max) ; calibré dans "
                                 "benchmarks/fusion.py")
    rrf_k: int = Field(60, ge=1)
    dense_weight: float | None = Field(None, ge=0.0, le=1.0, description="Poids du dense dans la fusion ; vide : celui "
                                       "avec lequel la méthode est calibrée (0,6 pour zscore, 0,5 pour les autres)")
    rank_share: float = Field(0.5, ge=0.0, le=1.0, description="rank_score : part du rang face au score normalisé")
    candidates: int = Field(100, ge=10, le=1000, description="Passages pris dans chaque liste avant fusion")
    document_weight: float = Field(0.1, ge=0.0, le=1.0, description="Part du sens du document entier dans le score dense "
                                   "d'un passage (0 : le passage seul) ; calibrée dans benchmarks/fusion.py")

    records_path: Path = Field(PROJECT_ROOT / "var" / "eclaireur.sqlite", description="Conversations, questions, avis")
    database_url: SecretStr | None = Field(None, description="Base PostgreSQL partagée par plusieurs répliques "
                                           "(« postgresql://utilisateur:mot-de-passe@hôte/base ») ; vide : le fichier "
                                           "SQLite records_path")
    conversation_ttl_hours: float = Field(24.0, gt=0, description="Durée de vie d'une conversation inactive")
    conversation_max_turns: int = Field(20, ge=1, le=1000, description="Tours gardés par conversation (les plus anciens "
                                        "sont effacés)")
    record_question_text: bool = Field(True, description="Garder le texte des questions (false : seulement les chiffres)")
    question_retention_days: int = Field(365, ge=1, le=3650, description="Questions, réponses et avis plus anciens "
                                         "effacés chaque jour")
    records_busy_timeout_seconds: float = Field(2.0, gt=0, le=60, description="Attente maximale d'une base de suivi verrouillée")
    reindex_lease_seconds: float = Field(60.0, ge=1, le=3600, description="Bail d'une reconstruction de l'index, renouvelé "
                                         "chaque seconde : une réplique arrêtée en pleine reconstruction le libère à son terme")
    build_poll_seconds: float = Field(1.0, gt=0, le=60, description="Chaque réplique vérifie à ce rythme si une nouvelle "
                                      "construction de l'index a été annoncée, et la charge")
    min_confidence: float = Field(0.4, ge=0.0, le=1.0, description="En dessous, réponse « no_answer » (la confiance "
                                  "estime la chance que la réponse énonce ce qui est demandé ; voir benchmarks/calibrate_ask.py)")

    llm_base_url: str | None = Field(None, description="Point d'accès compatible OpenAI (Albert, vLLM, Ollama…)")
    llm_model: str | None = Field(None, description="Nom du modèle de langue")
    llm_api_key: str | None = Field(None, description="Clé du service de modèle de langue")
    llm_timeout_seconds: float = Field(20.0, gt=0)

    rerank_base_url: str | None = Field(None, description="Reclasseur compatible /v1/rerank (Albert, vLLM, Infinity)")
    rerank_model: str | None = Field(None, description="Nom du modèle de reclassement")
    rerank_api_key: str | None = Field(None, description="Clé du service de reclassement")
    rerank_timeout_seconds: float = Field(3.0, gt=0, le=60, description="Au-delà, l'ordre local est gardé")
    rerank_top_n: int = Field(20, ge=1, le=100, description="Documents soumis au reclasseur")

    api_keys: list[str] = Field(default_factory=list, description="Clés de portée « search » (recherche, questions, avis)")
    widget_api_keys: list[str] = Field(default_factory=list, description="Clés « widget » : « search », visibles dans les "
                                       "pages, budget partagé et limité aussi par adresse IP")
    admin_api_keys: list[str] = Field(default_factory=list, description="Clés de portée « admin » (et « search »)")
    api_keys_file: Path | None = Field(None, description="Fichier de clés hachées : une ligne « portée:sha256:nom »")
    rate_limit_per_minute: int = Field(600, ge=1, description="Jetons par minute et par clé (/ask en coûte ask_cost)")
    ip_rate_limit_per_minute: int = Field(120, ge=1, description="Jetons par minute et par adresse IP (appels sans clé)")
    widget_client_rate_limit_per_minute: int = Field(60, ge=1, description="Jetons par minute et par adresse IP dans une "
                                                     "clé « widget »")
    ask_cost: int = Field(5, ge=1, le=1000, description="Jetons dépensés par /ask (1 pour toute autre requête, erreurs comprises)")
    rate_limit_reserve_share: float = Field(0.05, ge=0.0, le=0.2, description="Avec une base partagée : part du budget "
                                            "par minute qu'une réplique réserve d'un coup (0 : chaque requête passe par la base)")
    auth_failures_per_minute: int = Field(10, ge=1, description="Clés erronées tolérées par minute et par adresse IP")
    model_work_per_caller: int = Field(2, ge=1, description="Recherches et questions traitées à la fois par clé (ou adresse)")
    model_queue_per_caller: int = Field(64, ge=1, description="Recherches et questions en cours ou en attente par clé")
    model_queue_limit: int = Field(128, ge=1, description="Au-delà, le serveur saturé répond 503 avec Retry-After")
    metrics_listen: str | None = Field(None, pattern=r"^\[?[0-9A-Za-z.:-]+\]?:[0-9]{1,5}$",
                                       description="« hôte:port » où /metrics est servi sans clé, pour Prometheus")
    trusted_proxies: list[str] = Field(default_factory=list, description="Adresses des mandataires inverses dont "
                                       "X-Forwarded-For est cru (vide : aucun)")
    link_signing_secret: SecretStr | None = Field(None, description="Secret des liens de documents signés (sinon : "
                                                  "un secret aléatoire gardé dans link_signing_secret_file)")
    link_signing_secret_file: Path = Field(PROJECT_ROOT / "var" / "link-signing-secret",
                                           description="Secret créé au premier besoin quand link_signing_secret est vide")
    link_ttl_days: float = Field(90.0, gt=0, le=3650, description="Durée de validité d'un lien de document signé")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Taille maximale d'un corps de requête")

    cors_origins: list[str] = Field(default_factory=list, description="Origines autorisées (widget intranet)")

    api_url: str = Field("http://127.0.0.1:8000", description="Adresse de l'API qu'interroge « eclaireur mcp » (stdio)")
    mcp_api_key: SecretStr | None = Field(None, description="Clé d'API (portée search) qu'envoie « eclaireur mcp »")

    host: str = "127.0.0.1"
    port: int = 8000
    request_read_timeout_seconds: float = Field(10.0, gt=0, le=300, description="Délai pour recevoir une requête "
                                                "complète (en-têtes et corps) ; au-delà, la connexion est fermée")
    max_connections: int = Field(256, ge=1, description="Connexions et requêtes simultanées ; au-delà, réponse 503")
    keep_alive_seconds: int = Field(5, ge=1, le=3600, description="Connexion inactive fermée après ce délai ; derrière un "
                                    "mandataire qui garde ses connexions, le prendre plus long que son délai d'inactivité")
    log_level: str = "INFO"

    @property
    def chunking(self) -> ChunkingConfig:
        return ChunkingConfig(max_tokens=self.max_chunk_tokens, overlap_tokens=self.chunk_overlap_tokens)

    def retrieval_config(self) -> RetrievalConfig:
        fusion = FusionConfig(method=self.fusion, rrf_k=self.rrf_k, dense_weight=self.dense_weight, rank_share=self.rank_share)
        return RetrievalConfig(fusion=fusion, candidates=self.candidates, document_weight=self.document_weight)

    def rerank_config(self) -> RerankConfig | None:
        if not (self.rerank_base_url and self.rerank_model):
            return None
        return RerankConfig(self.rerank_base_url, self.rerank_model, self.rerank_api_key, self.rerank_timeout_seconds,
                            self.rerank_top_n)

    def batching_config(self) -> BatchingConfig:
        enabled = self.encoder == "torch" if self.batching is None else self.batching
        return BatchingConfig(enabled=enabled, max_batch=self.batch_max_size, max_wait_ms=self.batch_max_wait_ms)

    def answer_config(self) -> AnswerConfig:
        return AnswerConfig(min_confidence=self.min_confidence)

    def llm_config(self) -> LLMConfig | None:
        if not (self.llm_base_url and self.llm_model):
            return None
        return LLMConfig(self.llm_base_url, self.llm_model, self.llm_api_key, self.llm_timeout_seconds)

    def database_location(self) -> str | Path:
        """Where the records live: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.database_url.get_secret_value() if self.database_url else self.records_path

    def corpus(self, root: Path | None = None) -> CorpusFolder:
        """The corpus folder (``root`` or ``corpus_dir``), with the hidden paths this service allows."""
        return CorpusFolder(root or self.corpus_dir, self.corpus_allow_hidden)

    @property
    def sources_path(self) -> Path:
        return self.sources_file or self.corpus_dir / "sources.toml"

    def sync_options(self) -> SyncOptions:
        """How web sources are fetched into this corpus (``eclaireur sources sync``, ``POST /admin/sources/sync``)."""
        return SyncOptions(corpus_dir=self.corpus_dir, state_dir=self.sources_state_dir,
                           user_agent=user_agent(self.sources_contact),
                           limits=Limits(self.sources_max_page_bytes, self.sources_max_total_bytes, self.sources_timeout_seconds))

    def index_config(self) -> IndexConfig:
        return IndexConfig(model_path=self.model_path, chunking=self.chunking,
                           vectors=self.vector_index_config(), batch_size=self.embedding_batch_size, engine=self.encoder)

    def vector_index_config(self) -> VectorIndexConfig:
        return VectorIndexConfig(kind=self.vector_index, exact_max=self.exact_search_max, ef_search=self.hnsw_ef_search,
                                 nprobe=self.ivf_nprobe)


@lru_cache
def get_settings() -> Settings:
    return Settings()
