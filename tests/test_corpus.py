"""The bundled corpus meets its brief: enough guides and FAQ pairs, complete front matter, all indexable."""

from __future__ import annotations

import re

import pytest
import yaml
from support import PROJECT_ROOT

from index.readers import read_document

CORPUS = PROJECT_ROOT / "corpus"
REQUIRED = {"id", "title", "type", "tags", "audience", "updated"}
MARKDOWN = sorted(CORPUS.rglob("*.md"))


def front_matter(path):
    match = re.match(r"\A---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.S)
    assert match, f"{path.name} n'a pas d'en-tête YAML"
    return yaml.safe_load(match.group(1))


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: p.name)
def test_every_markdown_file_has_complete_front_matter(path):
    meta = front_matter(path)
    assert REQUIRED <= set(meta), REQUIRED - set(meta)
    assert meta["id"] == path.stem and meta["type"] in {"guide", "faq"} and meta["tags"]


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: p.name)
def test_texts_written_for_eclaireur_say_so_and_claim_no_official_source(path):
    """The bundled texts were written for Éclaireur: an official site is only further reading, never their source."""
    meta = front_matter(path)
    assert meta["written_for_eclaireur"] is True
    assert "source" not in meta
    assert str(meta.get("further_reading", "https://")).startswith("https://")


def test_at_least_twelve_guides_of_six_hundred_words_in_sections():
    guides = [read_document(p.read_bytes(), p.relative_to(CORPUS).as_posix()) for p in sorted(CORPUS.rglob("*")) if p.is_file()]
    long_guides = [d for d in guides if d.type == "guide" and len(d.text.split()) >= 600 and len(d.sections) >= 4]
    assert len(long_guides) >= 12


def test_at_least_eighty_faq_pairs():
    pairs = 0
    for path in MARKDOWN:
        document = read_document(path.read_bytes(), path.name)
        if document.type == "faq":
            pairs += sum(1 for s in document.sections if s.is_question)
    assert pairs >= 80


def test_key_facts_are_stated_as_the_brief_gives_them():
    text = " ".join(p.read_text(encoding="utf-8") for p in CORPUS.rglob("*.md"))
    assert "4 au 30 novembre 2024" in text or "4 au 30 novembre" in text
    assert "plus de 400 événements étaient prévus" in text and "plus de 350 événements" in text
    assert "10e édition" in text or "dixième édition" in text
    assert "INSP" in text and "2022" in text and "ESSOC" in text and "PACTE" in text and "OPSI" in text


def test_the_corpus_states_no_uncertain_theme_and_sends_to_the_platform_for_current_dates():
    """Dated autumn 2026, the corpus must not pass 2024 off as the coming edition nor assert an unsourced theme."""
    texts = {p.name: read_document(p.read_bytes(), p.name) for p in MARKDOWN}
    everything = " ".join(d.text for d in texts.values()).lower()
    assert "innovation ouverte" not in everything
    when = next(s.text for s in texts["faq-mois-de-l-innovation-publique.md"].sections
                if s.heading_path[-1] == "Quand a lieu le Mois de l'innovation publique ?")
    first_two = " ".join(when.split(". ")[:2])
    assert "novembre" in first_two and "édition en cours" in first_two and "plateforme officielle" in first_two
    assert "2024" not in first_two


def test_the_html_guide_describes_no_fictitious_site_around_its_text():
    page = (CORPUS / "guides" / "guide-de-l-atelier-de-co-conception.html").read_text(encoding="utf-8")
    assert "Portail de l'innovation publique" not in page and "partiellement conforme" not in page
    assert '<meta name="eclaireur:written_for_eclaireur" content="true">' in page
