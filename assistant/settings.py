"""One ``Settings`` object for the whole service, read from ``ECLAIREUR_*`` environment variables or ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.builder import IndexConfig
from index.chunking import ChunkingConfig

from .retrieval import RetrievalConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SearchMode = Literal["dense", "lexical", "hybrid"]
FusionMethod = Literal["rrf", "weighted"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECLAIREUR_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Dossier des documents à indexer")
    index_dir: Path = Field(PROJECT_ROOT / "var" / "index", description="Dossier de l'index (builds + lien current)")
    model_path: Path = Field(PROJECT_ROOT / "models" / "multilingual-e5-small", description="Dossier sentence-transformers")
    cache_dir: Path = Field(PROJECT_ROOT / "var" / "cache", description="Index construits pour l'évaluation")

    max_chunk_tokens: int = Field(256, ge=32, le=512)
    chunk_overlap_tokens: int = Field(32, ge=0, le=128)
    exact_search_max: int = Field(200_000, ge=1, description="Au-delà, index HNSW approché")
    hnsw_ef_search: int = Field(128, ge=16)
    embedding_batch_size: int = Field(32, ge=1, le=512)

    default_mode: SearchMode = "hybrid"
    fusion: FusionMethod = "rrf"
    rrf_k: int = Field(60, ge=1)
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="Poids du dense dans la fusion pondérée")
    candidates: int = Field(100, ge=10, le=1000, description="Passages pris dans chaque liste avant fusion")

    cors_origins: list[str] = Field(default_factory=list, description="Origines autorisées (widget intranet)")

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"

    @property
    def chunking(self) -> ChunkingConfig:
        return ChunkingConfig(max_tokens=self.max_chunk_tokens, overlap_tokens=self.chunk_overlap_tokens)

    def retrieval_config(self) -> RetrievalConfig:
        return RetrievalConfig(fusion=self.fusion, rrf_k=self.rrf_k, dense_weight=self.dense_weight, candidates=self.candidates)

    def index_config(self) -> IndexConfig:
        return IndexConfig(model_path=self.model_path, chunking=self.chunking,
                           exact_search_max=self.exact_search_max, batch_size=self.embedding_batch_size)


@lru_cache
def get_settings() -> Settings:
    return Settings()
