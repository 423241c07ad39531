"""Readers: every supported format becomes a Document of titled sections, and bad files are refused in French."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from fpdf import FPDF

from index.documents import Document, UnreadableDocument
from index.readers import READERS, read_document


def read(text: str, document_id: str = "guides/guide.md") -> Document:
    return read_document(text.encode("utf-8"), document_id)


def section_under(document: Document, heading: str):
    """The section whose heading path ends with ``heading``."""
    matches = [s for s in document.sections if s.heading_path[-1] == heading]
    assert len(matches) == 1, f"une seule section attendue sous {heading!r}, obtenu {document.sections}"
    return matches[0]


# --------------------------------------------------------------------------- Markdown

GUIDE_MD = """---
id: experimentation
title: "Guide de l'expérimentation locale"
type: guide
tags: [Expérimentation, Collectivités]
audience: agents territoriaux
updated: 2026-03-02
source: https://www.modernisation.gouv.fr/guides/experimentation
---
{% include bandeau.html %}
# Guide de l'expérimentation locale

Ce guide accompagne les collectivités qui veulent [tester une politique publique]({{ site.baseurl }}/tester).
![Logo de la DITP](/images/logo-ditp.png)

## Préparer le projet

Définir&nbsp;un objectif&#x20;mesurable avant de commencer.

<div class="fr-callout"><p>Un encadré à retenir absolument.</p></div>
Première ligne<br>seconde ligne

::: tip Exemple
La commune de Besançon a testé la gratuité des transports.
:::

<script>alert("ne doit pas apparaître");</script>

### Cadre juridique

L'article 72 de la Constitution autorise les expérimentations locales.

## Évaluer les résultats

Une évaluation indépendante est menée au bout de trois ans.
"""


def test_markdown_front_matter_gives_title_type_and_tags():
    document = read(GUIDE_MD)
    assert document.id == "guides/guide.md"
    assert document.title == "Guide de l'expérimentation locale"
    assert document.type == "guide"
    assert document.tags == ["expérimentation", "collectivités"]


def test_markdown_front_matter_keeps_updated_as_iso_string_and_source_in_metadata():
    document = read(GUIDE_MD)
    assert document.metadata["updated"] == "2026-03-02"
    assert isinstance(document.metadata["updated"], str)
    assert document.metadata["source"] == "https://www.modernisation.gouv.fr/guides/experimentation"
    assert document.metadata["audience"] == "agents territoriaux"
    assert document.url is None  # ``source`` is the origin, not the document's own address


def test_markdown_headings_give_nested_heading_paths():
    document = read(GUIDE_MD)
    title = "Guide de l'expérimentation locale"
    assert [s.heading_path for s in document.sections] == [
        (title,),
        (title, "Préparer le projet"),
        (title, "Préparer le projet", "Cadre juridique"),
        (title, "Évaluer les résultats"),
    ]
    assert "article 72 de la Constitution" in section_under(document, "Cadre juridique").text


def test_markdown_heading_paths_follow_title_section_subsection():
    document = read("# Titre\n\nIntro.\n\n## Section\n\nCorps.\n\n"
                    "### Sous-section\n\nDétail.\n\n## Autre section\n\nFin.\n")
    assert [s.heading_path for s in document.sections] == [
        ("Titre",), ("Titre", "Section"), ("Titre", "Section", "Sous-section"), ("Titre", "Autre section")]
    assert [s.text for s in document.sections] == ["Intro.", "Corps.", "Détail.", "Fin."]


def test_a_question_alone_in_bold_heads_the_answer_that_follows():
    document = read("# Tuiles\n\nIntro.\n\n## Service\n\n**Qui utilise ce service ?**\n\nLes produits d'Etalab.\n\n"
                    "**Attention**, ce paragraphe **en gras ?** n'est pas une question posée.\n\n"
                    "- **Une liste en gras ?**\n\n## Limites\n\nAucune.\n")
    assert [s.heading_path for s in document.sections] == [
        ("Tuiles",), ("Tuiles", "Service", "Qui utilise ce service ?"), ("Tuiles", "Limites")]
    answer = section_under(document, "Qui utilise ce service ?")
    assert answer.text.startswith("Les produits d'Etalab.") and "n'est pas une question posée" in answer.text
    assert "Une liste en gras ?" in answer.text


@pytest.mark.parametrize("flag", ["published: false", "draft: true"])
def test_an_unpublished_draft_is_not_indexed_and_the_report_says_why(flag):
    # a draft's answers are placeholders (« Réponse à la question »): an agent must never be served them
    with pytest.raises(UnreadableDocument, match="brouillon non publié"):
        read(f"---\ntitle: Entretien à venir\n{flag}\n---\nRéponse à la question\n")
    assert read("---\ntitle: Entretien\npublished: true\n---\nNotre démarche.\n").text == "Notre démarche."


def test_markdown_heading_written_in_html_on_its_own_line_is_a_heading():
    # DSFR sites write the questions of their interviews this way: each answer belongs under its question
    document = read("---\ntitle: Entretien\n---\nChapeau.\n\n"
                    '<h2 class="fr-h6">Comment mesurez-vous l&rsquo;impact du <em>design</em>&nbsp;?</h2>\n\n'
                    "Nous mesurons la satisfaction des usagers.\n\n"
                    "Le mot <h3>titre</h3> dans une phrase reste du texte.\n")
    assert [s.heading_path for s in document.sections] == [
        ("Entretien",), ("Entretien", "Comment mesurez-vous l’impact du design ?")]
    answer = section_under(document, "Comment mesurez-vous l’impact du design ?")
    assert answer.text.startswith("Nous mesurons la satisfaction des usagers.")
    assert "Le mot titre" in answer.text  # a heading tag inside a sentence is no heading


def test_markdown_liquid_tags_are_stripped():
    text = read(GUIDE_MD).text
    assert "{%" not in text and "%}" not in text
    assert "{{" not in text and "site.baseurl" not in text
    assert "bandeau.html" not in text


def test_vuepress_container_keeps_inner_text_without_markers():
    section = section_under(read(GUIDE_MD), "Préparer le projet")
    assert "La commune de Besançon a testé la gratuité des transports." in section.text
    assert ":::" not in section.text


def test_inline_html_is_stripped_but_its_text_kept():
    section = section_under(read(GUIDE_MD), "Préparer le projet")
    assert "Un encadré à retenir absolument." in section.text
    assert "<" not in section.text and ">" not in section.text
    assert "fr-callout" not in section.text
    # <br> is a line break: both lines survive, separated
    assert "Première ligne\nseconde ligne" in section.text


def test_html_entities_are_decoded():
    section = section_under(read(GUIDE_MD), "Préparer le projet")
    assert "Définir un objectif mesurable avant de commencer." in section.text
    assert "&nbsp;" not in section.text and "&#x20;" not in section.text and "\u00a0" not in section.text


def test_links_keep_their_label_and_images_are_dropped():
    introduction = read(GUIDE_MD).sections[0]
    assert "qui veulent tester une politique publique." in introduction.text
    assert "/tester" not in introduction.text
    assert "Logo de la DITP" not in introduction.text and "logo-ditp.png" not in introduction.text


def test_script_blocks_inside_markdown_are_dropped():
    text = read(GUIDE_MD).text
    assert "alert" not in text and "ne doit pas apparaître" not in text


def test_markdown_code_fences_keep_their_content_and_tables_become_rows():
    document = read("# Mémo\n\n```\nmake index\n```\n\n| Étape | Durée |\n|---|---|\n| Cadrage | 2 mois |\n")
    assert "make index" in document.text and "```" not in document.text
    assert "Étape ; Durée\nCadrage ; 2 mois" in document.text
    assert "---" not in document.text


FAQ_MD = """---
title: FAQ des laboratoires d'innovation
type: faq
tags: droit, laboratoires
---
# FAQ des laboratoires d'innovation

## Qu'est-ce qu'un laboratoire d'innovation publique ?

Une équipe qui aide les services publics à concevoir avec les usagers.

## Qui peut saisir un laboratoire ?

Tout service de l'État ou d'une collectivité.

## Combien coûte un accompagnement ?

L'accompagnement est gratuit pour les administrations.
"""


def test_faq_file_gives_one_question_section_per_heading():
    document = read(FAQ_MD, "faq/laboratoires.md")
    assert document.type == "faq"
    assert [s.heading_path[-1] for s in document.sections] == [
        "Qu'est-ce qu'un laboratoire d'innovation publique ?",
        "Qui peut saisir un laboratoire ?",
        "Combien coûte un accompagnement ?",
    ]
    assert all(s.is_question for s in document.sections)
    assert section_under(document, "Combien coûte un accompagnement ?").text == \
        "L'accompagnement est gratuit pour les administrations."


def test_markdown_tags_given_as_comma_separated_string_are_split():
    assert read(FAQ_MD, "faq/laboratoires.md").tags == ["droit", "laboratoires"]


def test_guide_without_type_whose_headings_are_mostly_questions_is_detected_as_faq():
    document = read("""# Questions sur le télétravail

## Combien de jours de télétravail par semaine ?

Jusqu'à trois jours par semaine.

## Faut-il un accord du chef de service ?

Oui, l'autorisation est écrite.

## Références

Décret du 11 février 2016.
""", "guides/teletravail.md")
    assert document.type == "faq"
    assert [s.is_question for s in document.sections] == [True, True, False]


def test_guide_without_type_with_a_single_question_stays_a_guide():
    document = read("""# Conduire un projet

## Cadrage

Poser le problème avec les usagers.

## Pourquoi tester ?

Pour apprendre vite.

## Déploiement

Généraliser ce qui marche.
""")
    assert document.type == "guide"


def test_markdown_without_front_matter_takes_title_from_first_h1():
    document = read("Un paragraphe d'introduction.\n\n"
                    "# Le Mois de l'innovation publique\n\nChaque année en novembre.\n")
    assert document.title == "Le Mois de l'innovation publique"
    assert document.type == "guide" and document.tags == [] and document.metadata == {}
    assert "Chaque année en novembre." in document.text


def test_markdown_without_any_title_takes_it_from_the_file_name():
    document = read("Quelques conseils pour animer un atelier.\n", "guides/03_animer-un_atelier.md")
    assert document.title == "Animer un atelier"
    assert document.sections[0].heading_path == ("Animer un atelier",)
    assert document.sections[0].text == "Quelques conseils pour animer un atelier."


def test_markdown_with_a_utf8_byte_order_mark_still_reads_its_front_matter():
    document = read_document(b"\xef\xbb\xbf" + b"---\ntitle: Avec BOM\n---\nTexte du guide.\n", "a.md")
    assert document.title == "Avec BOM"
    assert document.text == "Texte du guide."


def test_markdown_front_matter_with_windows_line_endings_is_read():
    """A file saved on Windows (CRLF) must give the same document as its LF twin."""
    unix = FAQ_MD
    windows = unix.replace("\n", "\r\n")
    document = read(windows, "faq/laboratoires.md")
    assert document.title == "FAQ des laboratoires d'innovation"
    assert document.type == "faq"
    assert document.tags == ["droit", "laboratoires"]
    assert "title:" not in document.text
    assert [s.heading_path for s in document.sections] == \
        [s.heading_path for s in read(unix, "faq/laboratoires.md").sections]


def test_read_document_chooses_the_reader_from_the_extension_whatever_its_case():
    assert set(READERS) == {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"}
    document = read_document(b"# Note\n\nTexte en majuscules d'extension.", "guides/NOTE.MARKDOWN")
    assert document.title == "Note"


# --------------------------------------------------------------------------- HTML

FAQ_HTML = """<!doctype html>
<html lang="fr">
<head>
  <title>Expérimenter | modernisation.gouv.fr</title>
  <meta name="eclaireur:type" content="faq">
  <meta name="eclaireur:tags" content="Droit, Expérimentation ">
  <meta name="description" content="Questions sur l'expérimentation locale">
  <style>.fr-header { color: blue; }</style>
  <script>var suivi = "statistiques";</script>
</head>
<body>
  <header><p>Bandeau République française</p></header>
  <nav><ul><li>Accueil</li><li>Plan du site</li></ul></nav>
  <main>
    <h1>Questions sur l'expérimentation</h1>
    <p>Cette page répond aux questions des élus.</p>
    <h2>Qui peut expérimenter ?</h2>
    <p>Les collectivités territoriales&nbsp;volontaires.</p>
    <h3>Sous quelles conditions ?</h3>
    <p>Pour un objet et une durée limités.</p>
    <h2>Combien de temps dure une expérimentation ?</h2>
    <p>Cinq ans au plus.</p>
    <script>document.write("texte injecté");</script>
  </main>
  <footer><p>Mentions légales</p></footer>
</body>
</html>
"""


def test_html_excludes_navigation_header_footer_script_and_style():
    text = read(FAQ_HTML, "pages/experimenter.html").text
    for excluded in ("Bandeau République", "Accueil", "Plan du site", "Mentions légales",
                     "statistiques", "texte injecté", "color: blue"):
        assert excluded not in text


def test_html_keeps_main_content_and_gives_heading_paths():
    document = read(FAQ_HTML, "pages/experimenter.html")
    title = "Questions sur l'expérimentation"
    assert [s.heading_path for s in document.sections] == [
        (title,),
        (title, "Qui peut expérimenter ?"),
        (title, "Qui peut expérimenter ?", "Sous quelles conditions ?"),
        (title, "Combien de temps dure une expérimentation ?"),
    ]
    assert section_under(document, "Qui peut expérimenter ?").text == "Les collectivités territoriales volontaires."
    assert section_under(document, "Sous quelles conditions ?").text == "Pour un objet et une durée limités."


def test_html_meta_tags_give_type_and_tags():
    document = read(FAQ_HTML, "pages/experimenter.html")
    assert document.type == "faq"
    assert document.tags == ["droit", "expérimentation"]
    assert document.metadata["description"] == "Questions sur l'expérimentation locale"


def test_html_title_comes_from_h1_before_the_title_element():
    assert read(FAQ_HTML, "pages/experimenter.html").title == "Questions sur l'expérimentation"


def test_html_without_h1_takes_the_title_element_and_reads_the_article():
    document = read("""<html><head><title>Le budget participatif</title></head>
<body><header>Haut de page</header>
<article><h2>Principe</h2><p>Les habitants proposent et votent des projets.</p></article>
<footer>Pied de page</footer></body></html>""", "pages/budget.htm")
    assert document.title == "Le budget participatif"
    assert document.type == "guide"
    assert [s.heading_path for s in document.sections] == [("Le budget participatif", "Principe")]
    assert document.sections[0].text == "Les habitants proposent et votent des projets."
    assert "Haut de page" not in document.text and "Pied de page" not in document.text


def test_html_paragraph_with_inline_markup_stays_one_line():
    """<strong>, <a> or <em> inside a <p> must not cut the paragraph into fragments."""
    document = read("""<html><body><main><h1>Innovation</h1>
<p>La démarche associe <strong>les usagers</strong> dès le départ, voir <a href="/guide">le guide</a>.</p>
</main></body></html>""", "pages/innovation.html")
    text = document.sections[0].text
    assert "\n" not in text
    assert "La démarche associe les usagers dès le départ" in text


# --------------------------------------------------------------------------- PDF


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


PDF_PAGES = [
    "Rapport d'évaluation\nLa première page présente le contexte de l'expérimentation.",
    "La seconde page détaille les résultats obtenus à Besançon et à Nîmes.",
]


def test_pdf_gives_one_section_per_page_with_its_text():
    document = read_document(make_pdf(PDF_PAGES), "rapports/evaluation.pdf")
    assert [s.page for s in document.sections] == [1, 2]
    assert "La première page présente le contexte de l'expérimentation." in document.sections[0].text
    assert "résultats" not in document.sections[0].text
    assert "La seconde page détaille les résultats obtenus à Besançon et à Nîmes." in document.sections[1].text
    assert "contexte" not in document.sections[1].text


def test_pdf_title_is_its_first_line_or_its_metadata_title():
    assert read_document(make_pdf(PDF_PAGES), "rapports/evaluation.pdf").title == "Rapport d'évaluation"
    titled = read_document(make_pdf(PDF_PAGES, title="Évaluation 2025"), "rapports/evaluation.pdf")
    assert titled.title == "Évaluation 2025"
    assert all(s.heading_path == ("Évaluation 2025",) for s in titled.sections)


# --------------------------------------------------------------------------- DOCX


def make_docx(title: str | None = None, keywords: str | None = None) -> bytes:
    word = docx.Document()
    if title:
        word.core_properties.title = title
    if keywords:
        word.core_properties.keywords = keywords
    word.add_heading("Guide des achats innovants", level=1)
    word.add_paragraph("Ce guide présente les achats innovants des acheteurs publics.")
    word.add_heading("Procédure", level=2)
    word.add_paragraph("Le partenariat d'innovation associe recherche et achat.")
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Seuil", "Montant"
    table.cell(1, 0).text, table.cell(1, 1).text = "Achat innovant", "100 000 € HT"
    word.add_heading("Calendrier", level=2)
    word.add_paragraph("Les offres sont examinées en juin.")
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def test_docx_headings_become_heading_paths():
    document = read_document(make_docx(), "guides/achats.docx")
    title = "Guide des achats innovants"
    assert document.title == title
    assert [s.heading_path for s in document.sections] == [(title,), (title, "Procédure"), (title, "Calendrier")]
    assert document.sections[0].text == "Ce guide présente les achats innovants des acheteurs publics."
    assert "Le partenariat d'innovation associe recherche et achat." in section_under(document, "Procédure").text


def test_docx_table_text_is_kept():
    text = read_document(make_docx(), "guides/achats.docx").text
    assert "Seuil ; Montant" in text
    assert "Achat innovant ; 100 000 € HT" in text


def test_docx_table_stays_under_the_heading_it_follows():
    document = read_document(make_docx(), "guides/achats.docx")
    assert "Achat innovant ; 100 000 € HT" in section_under(document, "Procédure").text
    assert "Achat innovant" not in section_under(document, "Calendrier").text


def test_docx_core_properties_give_title_and_tags():
    document = read_document(make_docx(title="Achats innovants : le guide", keywords="achat, Innovation"),
                             "guides/achats.docx")
    assert document.title == "Achats innovants : le guide"
    assert document.tags == ["achat", "innovation"]
    assert document.sections[0].heading_path[0] == "Achats innovants : le guide"


# --------------------------------------------------------------------------- plain text


def test_plain_text_takes_its_first_line_as_title():
    document = read("Note de service\n\nLe télétravail est ouvert à tous les agents.\nDeux jours par semaine.\n",
                    "notes/note.txt")
    assert document.title == "Note de service"
    assert document.type == "guide"
    assert len(document.sections) == 1
    assert document.sections[0].heading_path == ("Note de service",)
    assert document.sections[0].text == "Le télétravail est ouvert à tous les agents.\nDeux jours par semaine."


def test_plain_text_of_one_line_takes_its_title_from_the_file_name():
    document = read("Une seule ligne sur le budget vert.", "notes/2024-01_budget-vert.txt")
    assert document.title == "Budget vert"
    assert document.sections[0].text == "Une seule ligne sur le budget vert."


# --------------------------------------------------------------------------- refused files


def not_a_zip_docx() -> bytes:
    return b"Ceci n'est pas un document Word."


def zip_without_word_parts() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "un simple zip")
    return buffer.getvalue()


REFUSED = [
    pytest.param(b"", "guides/vide.md", "vide", id="fichier-vide"),
    pytest.param(b"  \n\t \r\n  ", "guides/blancs.md", "vide", id="espaces-seulement"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "guides/image.md", "binaire", id="binaire-nul"),
    pytest.param(b"caf\xe9 cr\xe8me", "guides/latin1.md", "utf-8", id="latin-1"),
    pytest.param(b"caf\xe9 cr\xe8me", "notes/latin1.txt", "utf-8", id="latin-1-txt"),
    pytest.param("---\ntitle: [non fermé\ntags: : :\n---\nTexte.\n".encode(), "guides/yaml.md", "yaml",
                 id="yaml-invalide"),
    pytest.param(b"---\n- une liste\n- pas un dictionnaire\n---\nTexte.\n", "guides/liste.md", "yaml",
                 id="yaml-non-dictionnaire"),
    pytest.param(b"---\ntitle: Sans corps\n---\n\n", "guides/entete.md", "aucun texte",
                 id="entete-sans-texte"),
    pytest.param(b"<html><body><nav>Menu</nav></body></html>", "pages/vide.html", "aucun texte", id="html-sans-texte"),
    pytest.param(b"Ceci n'est pas un PDF.", "rapports/faux.pdf", "pdf", id="pdf-faux"),
    pytest.param(make_pdf(PDF_PAGES)[:600], "rapports/tronque.pdf", "pdf", id="pdf-tronque"),
    pytest.param(not_a_zip_docx(), "guides/faux.docx", "docx", id="docx-pas-zip"),
    pytest.param(zip_without_word_parts(), "guides/zip.docx", "docx", id="docx-zip-quelconque"),
    pytest.param(b"\x89PNG\r\n", "images/image.png", "non pris en charge", id="extension-png"),
    pytest.param(b"Bonjour", "guides/sans_extension", "non pris en charge", id="sans-extension"),
]


@pytest.mark.parametrize(("data", "document_id", "reason"), REFUSED)
def test_unreadable_files_are_refused_with_a_french_reason(data, document_id, reason):
    with pytest.raises(UnreadableDocument) as refused:
        read_document(data, document_id)
    assert reason in str(refused.value).lower()
