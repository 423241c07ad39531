"""What people see is clean text: search snippets, heading paths, answers and their quotes carry none of the
source files' markup (kramdown attribute lists, emphasis markers, link syntax, entities, tags, templates)."""

from __future__ import annotations

import html
import re

import pytest
from support import SMALL_CORPUS, write_corpus

# Kramdown / Markdown / HTML / Liquid syntax that must never reach a reader of Éclaireur.
MARKUP = re.compile(r"\{:|\{\s*[.#][A-Za-z]|\{\s*\w+=|(?<!\w)_\w[^_\n]*\w_(?!\w)|\*\*|(?<![\w*])\*\w[^*\n]*\w\*|\]\(|\]\[|"
                    r"&[a-zA-Z]+;|&#\d+;|</?(?:span|div|br|p|strong|em|a)\b[^>]*>|\{%|\{\{|\[\^\d+\]|`")

COMMANDO = """---
title: "Le Commando UX"
type: guide
tags: [design]
---
# Le Commando UX
{:.no_toc}

- TOC
{:toc}

## Une promotion de designers {#promotion}

En septembre 2020, nous avons lancé le [Commando UX](https://design.numerique.gouv.fr/commando-ux/){title="Commando UX"} :
quinze _designers_, développeuses et développeurs ont travaillé **dix mois** dans des
administrations[^1], avec l'appui de la [DINUM][dinum] et&nbsp;de <span class="fr-badge">DesignGouv</span>.
{: .fr-callout}

## Les défis relevés

Les défis relevés par le Commando UX&nbsp;:

* simplifier le *dépôt de plainte* en ligne ;
* rendre __accessible__ la demande d'aide au logement ;
* refondre le formulaire de `demande_de_titre`.

{% include bandeau.html %}
Le bilan est publié sur <https://design.numerique.gouv.fr/bilan/> et dans le {{ site.title }}.

[dinum]: https://www.numerique.gouv.fr
[^1]: Ministères de l'Intérieur et de la Transition écologique.
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory, model_path, embedder):
    from assistant.service import Eclaireur
    from assistant.settings import Settings

    work = tmp_path_factory.mktemp("clean-text")
    corpus = write_corpus(work / "corpus", {**SMALL_CORPUS, "guides/commando-ux.md": COMMANDO})
    settings = Settings(corpus_dir=corpus, index_dir=work / "index", records_path=work / "records.sqlite",
                        model_path=model_path, _env_file=None)
    built = Eclaireur(settings, embedder=embedder)
    built.ensure_index()
    return built


@pytest.mark.parametrize("query", ["Commando UX designers", "défis relevés dépôt de plainte", "bilan du Commando UX"])
def test_search_snippets_and_heading_paths_carry_no_markup(service, query):
    results = service.search(query, k=5).results
    commando = next(r for r in results if r.best.chunk.document_id == "guides/commando-ux.md")
    assert "<mark>" in commando.best.snippet
    for hit in commando.chunk_hits:
        shown = html.unescape(hit.snippet.replace("<mark>", "").replace("</mark>", ""))  # as a client displays it
        assert shown and not MARKUP.search(shown), shown
        assert not MARKUP.search(" > ".join(hit.chunk.heading_path)), hit.chunk.heading_path


def test_the_indexed_passages_keep_words_headings_and_list_items(service):
    document = service.document("guides/commando-ux.md")
    assert not MARKUP.search(document.text), document.text
    assert "nous avons lancé le Commando UX : quinze designers, développeuses et développeurs ont travaillé dix mois" \
        in document.text
    assert "• simplifier le dépôt de plainte en ligne ;\n• rendre accessible la demande d'aide au logement ;\n" \
           "• refondre le formulaire de demande_de_titre." in document.text
    assert "https://design.numerique.gouv.fr/bilan/" in document.text and "TOC" not in document.text


@pytest.mark.parametrize("question", ["Qu'est-ce que le Commando UX ?", "Quels défis le Commando UX a-t-il relevés ?"])
def test_answers_and_their_quotes_carry_no_markup(service, question):
    answer = service.ask(question).answer
    assert answer.status == "answered", answer.text
    assert not MARKUP.search(answer.text), answer.text
    for citation in answer.citations:
        assert not MARKUP.search(citation.quote), citation.quote
