"""Clean text: readers give the index and the reader plain text, whatever markup the source file uses.

One test per syntax, on Markdown written here; the words stay, the markup goes, headings and list items stay.
"""

from __future__ import annotations

import docx
import pytest

from index.documents import Document
from index.readers import read_document


def read(body: str, document_id: str = "guides/guide.md") -> Document:
    return read_document(f"# Guide\n\n{body}\n".encode(), document_id)


def text_of(body: str) -> str:
    return read(body).text


# --------------------------------------------------------------------------- kramdown attribute lists


def test_an_attribute_list_after_a_link_goes_with_the_link_syntax():
    text = text_of('En 2020, nous avons lancé le [Commando UX](https://design.numerique.gouv.fr/commando-ux/)'
                   '{title="Commando UX - nouvelle fenêtre"} : 15 designers.')
    assert text == "En 2020, nous avons lancé le Commando UX : 15 designers."


def test_a_malformed_attribute_list_is_removed_too():
    assert text_of('Voir les [Liens](https://exemple.fr/liens){title=Liens - nouvelle fenêtre"}.') == "Voir les Liens."


def test_block_attribute_lists_on_their_own_line_leave_no_trace():
    text = text_of("Un encadré à retenir.\n{: .fr-callout}\n\n| Étape | Durée |\n|---|---|\n| Cadrage | 2 mois |\n{: .table }")
    assert text == "Un encadré à retenir.\n\nÉtape ; Durée\nCadrage ; 2 mois"


def test_a_kramdown_table_of_contents_and_its_placeholder_item_go():
    document = read("## Sommaire\n{:.no_toc}\n\n- TOC\n{:toc}\n\n## Publier\n\nDéposez le fichier.")
    assert "TOC" not in document.text and "{" not in document.text
    assert document.sections[-1].heading_path == ("Guide", "Publier")


def test_a_heading_attribute_list_is_not_part_of_the_heading_path():
    document = read("## Publier les données {#publier .important}\n\nDéposez le fichier.")
    assert document.sections[0].heading_path == ("Guide", "Publier les données")


def test_placeholders_in_braces_that_are_not_attribute_lists_are_kept():
    assert text_of("Nommez le fichier {siret}_{année}.json.") == "Nommez le fichier {siret}_{année}.json."


# --------------------------------------------------------------------------- emphasis


@pytest.mark.parametrize(("source", "plain"), [
    pytest.param("Une démarche _open data_ assumée.", "Une démarche open data assumée.", id="underscore"),
    pytest.param("Une démarche *open data* assumée.", "Une démarche open data assumée.", id="asterisk"),
    pytest.param("Un **appel à commentaires** public.", "Un appel à commentaires public.", id="strong"),
    pytest.param("Un __appel à commentaires__ public.", "Un appel à commentaires public.", id="strong-underscore"),
    pytest.param("C'est ***vraiment*** utile et **_très_ simple**.", "C'est vraiment utile et très simple.", id="nested"),
    pytest.param("Une ~~ancienne~~ règle.", "Une ancienne règle.", id="strikethrough"),
    pytest.param("Avant le **6 mai 2022 **&nbsp;!", "Avant le 6 mai 2022 !", id="badly-spaced-strong"),
    pytest.param("Des **degrés\nd'appropriabilité** peu connus.", "Des degrés d'appropriabilité peu connus.",
                 id="across-a-line-wrap"),
])
def test_emphasis_markers_are_removed_and_their_words_kept(source, plain):
    assert text_of(source) == plain


def test_a_whole_paragraph_in_italics_loses_its_markers_however_long():
    thanks = " ".join(["Nous remercions les intervenants de la semaine d'accueil de la promotion."] * 30)
    assert text_of(f"_{thanks}_ Références.") == f"{thanks} Références."


def test_underscores_inside_words_are_not_emphasis():
    source = "Renseignez dataset_id et mon_fichier_v2 ; les variables _interne et window.__suivi=1 restent."
    assert text_of(source) == source


def test_list_bullets_stay_one_item_per_line_with_a_bullet():
    text = text_of("Trois formats :\n\n* un *webinaire* ;\n* un atelier,\n  sur inscription ;\n- une visite.\n1. Dernier point.")
    assert text == "Trois formats :\n\n• un webinaire ;\n• un atelier, sur inscription ;\n• une visite.\n• Dernier point."


def test_asterisks_against_french_quote_marks_are_emphasis_even_badly_spaced():
    text = text_of("La circulaire demande «* de recourir à des formules neutres *»… et « *le candidat* ».")
    assert text == "La circulaire demande « de recourir à des formules neutres »… et « le candidat »."


def test_a_product_of_numbers_with_spaced_asterisks_is_kept():
    assert text_of("La surface vaut 2 * 3 * 4 mètres.") == "La surface vaut 2 * 3 * 4 mètres."


# --------------------------------------------------------------------------- links and images


@pytest.mark.parametrize(("source", "plain"), [
    pytest.param("Lire [le guide](https://exemple.fr/guide).", "Lire le guide.", id="inline"),
    pytest.param('Lire [le guide](https://exemple.fr/guide "Le guide").', "Lire le guide.", id="with-title"),
    pytest.param("Voir [l'article](https://fr.wikipedia.org/wiki/Loi_(droit)).", "Voir l'article.", id="parentheses-in-url"),
    pytest.param("Lire [la politique\nde contribution](https://exemple.fr/p).", "Lire la politique de contribution.",
                 id="across-a-line-wrap"),
    pytest.param("Lire [*la documentation* design](https://exemple.fr/d).", "Lire la documentation design.",
                 id="emphasis-in-label"),
    pytest.param("Les [données ouvertes][do] et la [BAN][].\n\n[do]: https://exemple.fr/do\n[ban]: https://exemple.fr/ban",
                 "Les données ouvertes et la BAN.", id="reference"),
    pytest.param("Consultez la [BAN].\n\n[BAN]: https://adresse.data.gouv.fr", "Consultez la BAN.", id="shortcut-reference"),
    pytest.param("Le texte original [sic] est cité.", "Le texte original [sic] est cité.", id="brackets-not-a-link"),
])
def test_links_become_their_label(source, plain):
    assert text_of(source) == plain


def test_autolinks_become_their_address():
    text = text_of("Écrivez à <contact@exemple.fr> ou lisez <https://exemple.fr/a_b_c?x=1&y=2>.")
    assert text == "Écrivez à contact@exemple.fr ou lisez https://exemple.fr/a_b_c?x=1&y=2."


def test_bare_addresses_with_underscores_are_kept_whole():
    source = "Le jeu est sur https://www.data.gouv.fr/fr/datasets/base_adresse_nationale_/ depuis 2016."
    assert text_of(source) == source


def test_images_leave_nothing_even_inside_a_link():
    text = text_of("![Logo](/logo.png) Un texte. [![Badge](/badge.svg)](https://exemple.fr) ![Schéma][schema]\n\n"
                   "[schema]: /schema.png")
    assert text == "Un texte."


def test_an_image_credit_line_goes_with_its_image_and_the_text_around_stays():
    text = text_of('Une journée portes ouvertes.\n\n<p><a href="https://commons.wikimedia.org/f"><img src="p.png" '
                   'alt="Pesée"></a><br>By Isabelle Bideau - Own work, <a href="https://creativecommons.org/">CC BY-SA '
                   '4.0</a>, <a href="https://commons.wikimedia.org/c">Link</a></p>\n\n_Par Jules WMFr [CC BY-SA 4.0], '
                   'depuis Wikimedia Commons_\n\n(Photos : CC-BY-SA Etalab)\n\n'
                   '_La catégorie de la journée sur Commons - © Bastien Guerry, CC BY-SA 4.0_')
    assert text.split() == "Une journée portes ouvertes. La catégorie de la journée sur Commons".split()


@pytest.mark.parametrize("sentence", [
    "Par défaut, la licence CC BY 4.0 s'applique aux données publiées.",
    "Par Etalab, sous licence CC BY 4.0 : le guide explique comment publier des données !",
    "Le Creative Commons est une famille de licences.",
])
def test_a_sentence_about_a_licence_is_not_a_credit_line(sentence):
    assert text_of(sentence) == sentence


# --------------------------------------------------------------------------- HTML and templates


def test_html_entities_are_decoded():
    assert text_of("Mis à jour&nbsp;: l&eacute;gislation &amp; r&#233;glementation &laquo;&#x20;ESSOC&#x20;&raquo;") == \
        "Mis à jour : législation & réglementation « ESSOC »"


def test_inline_html_tags_are_removed_and_a_line_break_is_kept():
    text = text_of('Un <span class="fr-badge">nouveau</span> guide.<br>Une <strong>seconde</strong> ligne.\n\n'
                   '<div class="fr-callout"><p>Un encadré.</p></div>')
    assert text == "Un nouveau guide.\nUne seconde ligne.\n\nUn encadré."


def test_a_line_break_inside_a_table_cell_keeps_the_row_whole():
    text = text_of("| Information | Précisions |\n|---|---|\n| Finalité | _À quoi sert-il ?_ <br> Exemple : la taxe. |")
    assert text.splitlines()[-1] == "Finalité ; À quoi sert-il ? Exemple : la taxe."


def test_liquid_tags_and_outputs_are_removed():
    text = text_of("{% include bandeau.html %}\nVoir la [référence]({% link _api/reference.md %}) et {{ site.title }}.")
    assert text == "Voir la référence et ."


def test_footnote_markers_go_and_the_note_text_stays():
    text = text_of("Le décret[^1] s'applique.\n\n[^1]: Décret du 11 février 2016.")
    assert text == "Le décret s'applique.\n\nDécret du 11 février 2016."


def test_escaped_characters_are_written_without_their_backslash():
    assert text_of(r"Un astérisque \*seul\* et un \_souligné\_.") == "Un astérisque *seul* et un _souligné_."


# --------------------------------------------------------------------------- code


def test_code_spans_lose_their_backticks_and_keep_their_text_as_written():
    text = text_of("Copiez `content/**/*.md`, la balise `<input>` et le champ `dataset_id_`.")
    assert text == "Copiez content/**/*.md, la balise <input> et le champ dataset_id_."


def test_fenced_code_is_kept_line_by_line_as_written():
    text = text_of("Exemple :\n\n```html\n<div data-udata-dataset=\"ID\"></div>\n```")
    assert text == 'Exemple :\n\n<div data-udata-dataset="ID"></div>'


# --------------------------------------------------------------------------- structure


def test_soft_line_wraps_join_into_one_paragraph_line_and_headings_keep_their_path():
    document = read("## La **gouvernance** _ouverte_\n\nCe n'est pas un guide pour\nla gouvernance des projets.\n\n"
                    "### Prioriser\n\nCes notions aident\nà prioriser.")
    assert [s.heading_path for s in document.sections] == [
        ("Guide", "La gouvernance ouverte"), ("Guide", "La gouvernance ouverte", "Prioriser")]
    assert [s.text for s in document.sections] == [
        "Ce n'est pas un guide pour la gouvernance des projets.", "Ces notions aident à prioriser."]


def test_html_paragraphs_wrapped_in_the_source_read_as_one_line_and_br_breaks_it():
    document = read_document("""<html><body><main><h1>Atelier</h1>
<p>Un atelier réunit
   des <em>usagers</em>,
   des agents&nbsp;&amp; des partenaires.<br>Il dure deux heures.</p>
<ul><li>Des <strong>post-it</strong> ;</li><li>des feutres.</li></ul>
</main></body></html>""".encode(), "pages/atelier.html")
    assert document.text == "Un atelier réunit des usagers, des agents & des partenaires.\nIl dure deux heures.\n" \
                            "• Des post-it ;\n• des feutres."


def test_docx_paragraphs_and_list_items_are_plain_text():
    import io

    word = docx.Document()
    word.add_heading("Guide des achats", level=1)
    word.add_paragraph("Le partenariat d'innovation associe recherche & achat.")
    word.add_paragraph("Premier critère", style="List Bullet")
    buffer = io.BytesIO()
    word.save(buffer)
    document = read_document(buffer.getvalue(), "guides/achats.docx")
    assert document.text == "Le partenariat d'innovation associe recherche & achat.\n• Premier critère"
