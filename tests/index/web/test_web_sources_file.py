"""The sources file is a contract other tools write: its keys, defaults and French errors."""

from __future__ import annotations

import pytest

from index.web.config import SourcesFileError, WebSource, load_sources

CONTRACT = '''
[[source]]
name = "etalab-guides"
start_url = "https://guides.etalab.gouv.fr/"
sitemap = "https://guides.etalab.gouv.fr/sitemap.xml"
include = ["/algorithmes/", "/juridique/"]
exclude = ["/en/"]
max_pages = 2000
max_depth = 5
delay_seconds = 1.0
folder = "web/guides.etalab.gouv.fr"
type = "guide"
tags = ["données"]
intranet = false
header_env = { Authorization = "ECLAIREUR_INTRANET_TOKEN" }

[[source]]
name = "design"
sitemap = "https://design.numerique.gouv.fr/sitemap.xml"
'''


def write(tmp_path, text):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_example_is_read_with_its_defaults(tmp_path):
    full, minimal = load_sources(write(tmp_path, CONTRACT))

    assert full.include == ("/algorithmes/", "/juridique/") and full.exclude == ("/en/",)
    assert full.hosts == {"guides.etalab.gouv.fr"} and full.target_folder == "web/guides.etalab.gouv.fr"
    assert full.header_env == {"Authorization": "ECLAIREUR_INTRANET_TOKEN"}
    assert minimal.start_url is None and minimal.target_folder == "web/design.numerique.gouv.fr"
    assert (minimal.max_pages, minimal.max_depth, minimal.delay_seconds, minimal.intranet) == (2000, 5, 1.0, False)


def test_a_missing_file_declares_no_source(tmp_path):
    assert load_sources(tmp_path / "absent.toml") == []


@pytest.mark.parametrize(("entry", "message"), [
    ('name = "a"', "source « a » : entrée : « start_url » ou « sitemap » est requis"),
    ('name = "a"\nstart_url = "https://x.fr/"\nmax_page = 3', "max_page : clé inconnue"),
    ('start_url = "https://x.fr/"', "source « n° 1 » : name : clé requise absente"),
    ('name = "a"\nstart_url = "ftp://x.fr/"', "start_url : adresse invalide « ftp://x.fr/ »"),
    ('name = "a"\nstart_url = "/relatif"', "adresse http(s) absolue est attendue"),
    ('name = "a"\nstart_url = "https://x.fr/"\nfolder = "../../etc"', "sans « .. » ni dossier caché"),
    ('name = "a"\nstart_url = "https://x.fr/"\nfolder = ".git"', "sans « .. » ni dossier caché"),
    ('name = "a"\nstart_url = "https://x.fr/"\ninclude = ["guides"]', "un chemin commençant par « / »"),
    ('name = "a"\nstart_url = "https://x.fr/"\ntype = "blog"', "type « blog » inconnu"),
    ('name = "a"\nstart_url = "https://x.fr/"\nmax_pages = 0', "max_pages : doit valoir au moins 1"),
    ('name = "a"\nstart_url = "https://x.fr/"\ndelay_seconds = "vite"', "delay_seconds : un nombre est attendu"),
    ('name = "a"\nstart_url = "https://x.fr/"\nheader_env = { Authorization = "Bearer abc123" }',
     "jamais la valeur elle-même"),
    ('name = "Mon Site"\nstart_url = "https://x.fr/"', "nom invalide"),
])
def test_a_wrong_entry_is_refused_with_a_french_reason_naming_source_and_key(tmp_path, entry, message):
    with pytest.raises(SourcesFileError) as refused:
        load_sources(write(tmp_path, f"[[source]]\n{entry}\n"))
    assert message in str(refused.value)


def test_duplicate_names_and_shared_folders_are_refused(tmp_path):
    twice = '[[source]]\nname = "a"\nstart_url = "https://x.fr/"\n'
    with pytest.raises(SourcesFileError, match="nom\\(s\\) de source en double : a"):
        load_sources(write(tmp_path, twice * 2))
    with pytest.raises(SourcesFileError, match="même dossier : web/x.fr"):
        load_sources(write(tmp_path, twice + twice.replace('"a"', '"b"')))


def test_invalid_toml_and_unknown_top_level_keys_are_refused(tmp_path):
    with pytest.raises(SourcesFileError, match="fichier TOML invalide"):
        load_sources(write(tmp_path, "[[source]\nname ="))
    with pytest.raises(SourcesFileError, match="clé\\(s\\) inconnue\\(s\\) au premier niveau : sources"):
        load_sources(write(tmp_path, '[[sources]]\nname = "a"\n'))


def test_header_values_come_from_the_environment_only(monkeypatch):
    source = WebSource(name="intra", start_url="https://intra.example/", header_env={"Authorization": "ECLAIREUR_TOKEN_X"})
    monkeypatch.delenv("ECLAIREUR_TOKEN_X", raising=False)
    with pytest.raises(SourcesFileError, match="ECLAIREUR_TOKEN_X"):
        source.headers()
    monkeypatch.setenv("ECLAIREUR_TOKEN_X", "Bearer secret")
    assert source.headers() == {"Authorization": "Bearer secret"}


def test_the_sources_file_at_the_corpus_root_is_configuration_not_a_document(tmp_path):
    from index.sources import CorpusFolder

    write(tmp_path, CONTRACT)
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "sources.toml").write_text("x = 1\n", encoding="utf-8")

    assert [entry.id for entry in CorpusFolder(tmp_path).scan()] == ["guides/sources.toml"]
