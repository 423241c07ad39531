"""The sources file contract (``corpus/sources.toml`` or ``ECLAIREUR_SOURCES_FILE``): one ``[[source]]`` per site.

Other tools write this file, so its keys are fixed and unknown keys are refused; every error names the source
and the key, in French.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..documents import DOCUMENT_TYPES
from ..urls import clean_url

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")


class SourcesFileError(ValueError):
    """The sources file cannot be used; the message says where and why, in French."""


class WebSource(BaseModel):
    """One site to keep in sync: where to start, what is in scope, where its files go in the corpus."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    start_url: str | None = None
    sitemap: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_pages: int = Field(2000, ge=1, le=1_000_000)
    max_depth: int = Field(5, ge=0, le=100)
    delay_seconds: float = Field(1.0, ge=0.0, le=3600.0)
    folder: str | None = None
    type: str | None = None
    tags: tuple[str, ...] = ()
    intranet: bool = False
    header_env: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("nom invalide : lettres minuscules, chiffres, « . », « _ » ou « - » (64 caractères au plus)")
        return value

    @field_validator("start_url", "sitemap")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and (clean_url(value) is None or not urlsplit(value).scheme):
            raise ValueError(f"adresse invalide « {value} » : une adresse http(s) absolue est attendue")
        return value

    @field_validator("include", "exclude")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            if not pattern.startswith("/"):
                raise ValueError(f"motif « {pattern} » : un chemin commençant par « / » est attendu (préfixe ou glob)")
        return value

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = PurePosixPath(value).parts
        if not parts or value.startswith("/") or "\\" in value or any(p in (".", "..") or p.startswith(".") for p in parts):
            raise ValueError(f"dossier « {value} » : un chemin relatif au corpus, sans « .. » ni dossier caché, est attendu")
        return "/".join(parts)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | None) -> str | None:
        if value is not None and value not in DOCUMENT_TYPES:
            raise ValueError(f"type « {value} » inconnu : {' ou '.join(DOCUMENT_TYPES)}")
        return value

    @field_validator("header_env")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for header, variable in value.items():
            if not HEADER_NAME.match(header) or not ENV_NAME.match(variable):
                raise ValueError(f"en-tête « {header} » : un nom d'en-tête et un nom de variable d'environnement "
                                 "(MAJUSCULES_ET_CHIFFRES) sont attendus, jamais la valeur elle-même")
        return value

    @model_validator(mode="after")
    def _somewhere_to_start(self) -> WebSource:
        if not (self.start_url or self.sitemap):
            raise ValueError("« start_url » ou « sitemap » est requis")
        return self

    @property
    def hosts(self) -> frozenset[str]:
        """The declared hosts: the crawl never leaves them, redirects included."""
        return frozenset(urlsplit(url).hostname for url in (self.start_url, self.sitemap) if url)

    @property
    def main_host(self) -> str:
        return urlsplit(self.start_url or self.sitemap).hostname

    @property
    def target_folder(self) -> str:
        return self.folder or f"web/{self.main_host}"

    def headers(self) -> dict[str, str]:
        """The intranet headers, their values read from the environment now (never from the file)."""
        missing = [variable for variable in self.header_env.values() if not os.environ.get(variable)]
        if missing:
            raise SourcesFileError(f"Source « {self.name} » : variable(s) d'environnement absente(s) ou vide(s) pour "
                                   f"les en-têtes : {', '.join(missing)}.")
        return {header: os.environ[variable] for header, variable in self.header_env.items()}


def load_sources(path: Path) -> list[WebSource]:
    """The sources declared in ``path``; a missing file declares none."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SourcesFileError(f"{path} : fichier TOML invalide ({error}).") from None
    unknown = set(data) - {"source"}
    if unknown:
        raise SourcesFileError(f"{path} : clé(s) inconnue(s) au premier niveau : {', '.join(sorted(unknown))} "
                               "(seules des entrées [[source]] sont attendues).")
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourcesFileError(f"{path} : « source » doit être une liste d'entrées [[source]].")
    sources = [_source(path, number, entry) for number, entry in enumerate(entries, start=1)]
    names = [source.name for source in sources]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise SourcesFileError(f"{path} : nom(s) de source en double : {', '.join(duplicated)}.")
    folders = [source.target_folder for source in sources]
    shared = sorted({folder for folder in folders if folders.count(folder) > 1})
    if shared:
        raise SourcesFileError(f"{path} : plusieurs sources écrivent dans le même dossier : {', '.join(shared)}.")
    return sources


def _source(path: Path, number: int, entry: object) -> WebSource:
    label = entry.get("name") if isinstance(entry, dict) and isinstance(entry.get("name"), str) else f"n° {number}"
    try:
        return WebSource.model_validate(entry)
    except ValidationError as error:
        problems = "; ".join(_problem(item) for item in error.errors())
        raise SourcesFileError(f"{path}, source « {label} » : {problems}.") from None


def _problem(item: dict) -> str:
    key = ".".join(str(part) for part in item["loc"]) or "entrée"
    kind, message = item["type"], item["msg"].removeprefix("Value error, ")
    french = {"missing": "clé requise absente", "extra_forbidden": "clé inconnue",
              "model_type": "une table de clés est attendue", "string_type": "du texte est attendu",
              "int_parsing": "un nombre entier est attendu", "int_type": "un nombre entier est attendu",
              "float_parsing": "un nombre est attendu", "float_type": "un nombre est attendu",
              "bool_parsing": "true ou false est attendu", "bool_type": "true ou false est attendu",
              "tuple_type": "une liste est attendue", "dict_type": "une table est attendue",
              "greater_than_equal": f"doit valoir au moins {item.get('ctx', {}).get('ge')}",
              "less_than_equal": f"doit valoir au plus {item.get('ctx', {}).get('le')}"}
    return f"{key} : {french.get(kind, message)}"
