"""The reader, as a specification: the answer states what was asked, from one coherent place, or says it does not know.

Each test writes the small corpus it needs, so the failure pattern it pins down is visible in the test itself.
"""

from __future__ import annotations

import re

import pytest
from support import write_corpus

from assistant.reader import QuestionTerms, Unit, candidate_spans, same_word, split_units
from index.lexical import BM25Index, analyze

READER_CORPUS = {
    "guides/ouverture.md": """---
title: "L'ouverture des données"
type: guide
---
# L'ouverture des données

## Pourquoi ouvrir ?

Ouvrir les données publiques rend l'action de l'administration plus transparente et permet leur réutilisation.

## Comment publier ?

Pour ouvrir vos données publiques, déposez le fichier sur la plateforme nationale avec une licence ouverte,
puis décrivez le jeu de données et mettez-le à jour à chaque changement.
""",
    "guides/discussions.md": """---
title: "Animer la communauté d'une plateforme"
type: guide
---
# Animer la communauté d'une plateforme

## Les discussions

Tous les utilisateurs connectés peuvent ouvrir une discussion publique sur le site à propos d'un jeu de données.
Le producteur reçoit une notification et peut répondre ou clore la discussion.
""",
    "guides/declaration.md": """---
title: "Déclarer un jeu de données"
type: guide
---
# Déclarer un jeu de données

## Les informations obligatoires

Lors de la déclaration, il faut indiquer les informations suivantes :
- le titre du jeu de données ;
- la description de son contenu ;
- la licence de réutilisation ;
- la fréquence de mise à jour.

## Après la déclaration

Le jeu de données apparaît dans le catalogue sous quelques minutes.
""",
    "guides/mesure-audience.md": """---
title: "Mesurer l'audience d'un site public"
type: guide
---
# Mesurer l'audience d'un site public

## Les traceurs exemptés de consentement

Un site public mesure sa fréquentation pour savoir quelles pages sont lues, lesquelles sont abandonnées et où les
usagers se perdent. Ces mesures servent à améliorer les démarches en ligne, à repérer les formulaires trop longs et
à vérifier qu'une nouvelle version d'une page aide vraiment les usagers. Elles reposent le plus souvent sur des
traceurs déposés dans le navigateur, dont la plupart exigent le consentement préalable de l'usager. Certains outils
de mesure d'audience en sont dispensés, à condition de rester strictement nécessaires au fonctionnement du site.
Le délégué à la protection des données de l'administration vérifie cette condition avant la mise en ligne, et la
politique de confidentialité du site explique aux usagers ce qui est mesuré, pourquoi et pendant combien de temps.
Pour être dispensés de consentement, les traceurs de mesure d'audience doivent :
* servir uniquement à produire des statistiques anonymes ;
* ne pas permettre de suivre la navigation de la personne sur d'autres sites ;
* ne pas croiser les données avec d'autres traitements ;
* avoir une durée de vie limitée à treize mois.
Les données collectées ne sont pas gardées plus de vingt-cinq mois, puis elles sont effacées.
""",
    "guides/cloches.md": """---
title: "Inventaire du patrimoine campanaire"
type: guide
---
# Inventaire du patrimoine campanaire

Le recensement des cloches anciennes du département a commencé en 2019. Les paroisses ont ouvert leurs clochers aux
bénévoles. Chaque visite dure une matinée. Pour le recensement, un site collaboratif rassemble les fiches des
cloches anciennes.
""",
    "guides/ia-precautions.md": """---
title: "Intégrer l'intelligence artificielle dans un service public"
type: guide
---
# Intégrer l'intelligence artificielle dans un service public

## Les précautions

Avant tout projet, voici les précautions que nous recommandons à chaque équipe qui envisage un outil fondé sur l'IA.

1. **Partir des besoins des usagers**. Observer les usagers et leurs démarches réelles avant de choisir une solution, \
qu'elle repose sur un algorithme ou sur une simple amélioration du formulaire existant et de ses explications.
2. **Comparer avec des solutions sans IA**. Mettre en regard le coût, la fiabilité et l'empreinte écologique de chaque \
option envisageable, y compris celles qui ne demandent aucun développement informatique particulier.
3. **Respecter les droits des personnes**. Vérifier que l'outil ne crée aucune discrimination et ne laisse personne \
sans solution, en particulier les usagers éloignés du numérique ou en situation de handicap.
4. **Ne pas imiter une personne**. Un robot conversationnel se présente comme tel et ne prend ni prénom ni photo, afin \
que personne ne croie parler avec un agent alors qu'il échange avec un programme.
5. **Tester auprès des usagers**. Mesurer les effets produits, positifs et négatifs, directs et indirects, puis décider \
des ajustements nécessaires ou de l'abandon du projet si les effets ne sont pas au rendez-vous.
6. **Garder une décision humaine**. Un agent public vérifie et valide toute décision qui concerne un usager, car la \
délégation complète d'une décision administrative à un programme est le plus souvent contraire à la loi.
7. **Être transparent**. Les usagers savent quand et comment un programme intervient dans leur démarche, et ils \
peuvent demander les raisons d'une décision et la contester auprès de l'administration concernée.
8. **Proposer un guichet humain**. Toute personne qui ne veut pas ou ne peut pas passer par l'outil garde un moyen de \
faire sa démarche avec un agent, au téléphone ou au guichet, et d'être accompagnée jusqu'au bout.
""",
    "faq/faq-laboratoires.md": """---
title: "FAQ des laboratoires"
type: faq
---
# FAQ des laboratoires

## Quel budget prévoir pour un laboratoire d'innovation ?

Un laboratoire d'innovation démarre souvent avec un budget de fonctionnement modeste, de l'ordre de
quelques dizaines de milliers d'euros par an, en plus des salaires de son équipe.

## Combien de temps dure un défi ?

Un défi dure en général dix mois, de la sélection de l'équipe à la présentation des résultats.
""",
}


@pytest.fixture(scope="module")
def reader_service(tmp_path_factory, model_path, embedder):
    from assistant.service import Eclaireur
    from assistant.settings import Settings

    work = tmp_path_factory.mktemp("reader")
    settings = Settings(corpus_dir=write_corpus(work / "corpus", READER_CORPUS), index_dir=work / "index",
                        records_path=work / "records.sqlite", model_path=model_path, query_cache_size=0, _env_file=None)
    service = Eclaireur(settings, embedder=embedder)
    service.ensure_index()
    return service


def test_a_passage_is_read_as_sentences_and_list_items():
    units = split_units("Il faut indiquer :\n• le titre ;\n• la licence.\nC'est tout. Vraiment tout.")
    assert [(u.text, u.is_item) for u in units] == [("Il faut indiquer :", False), ("le titre ;", True),
                                                   ("la licence.", True), ("C'est tout.", False), ("Vraiment tout.", False)]


def test_a_lead_in_sentence_keeps_its_list_items_together():
    units = [Unit("Il faut indiquer :", False, 3)] + [Unit(f"l'élément numéro {n} ;", True, 3) for n in range(6)]
    spans = candidate_spans(chunk=None, units=units, rank=0, config=_config())
    assert [len(s.units) for s in spans if s.start == 0] == [7]  # the whole list, beyond the three-sentence limit
    assert max(len(s.units) for s in spans if s.start == 1) == 3  # items alone are ordinary sentences



def test_a_list_that_opens_its_passage_is_introduced_by_its_heading_and_read_whole():
    units = split_units("• des post-it ;\n• des feutres ;\n• des gommettes ;\n• un minuteur.\nRédigez ensuite un déroulé.")
    spans = candidate_spans(chunk=None, units=units, rank=0, config=_config())
    assert "des post-it ; des feutres ; des gommettes ; un minuteur." in [s.text for s in spans]
    assert max(len(s.units) for s in spans if s.start == 1) == 3  # its items alone are still ordinary sentences


def test_questions_are_never_an_answer_nor_a_list_of_them():
    units = split_units("Elle répond aux questions suivantes :\n• Quels produits sont concernés ?\n• Quelles sont les "
                        "sanctions ?\n• Elle recense aussi les textes.\nFaut-il un audit ? Quand le publier ?")
    texts = [s.text for s in candidate_spans(chunk=None, units=units, rank=0, config=_config())]
    assert not any("Quels produits" in text and "Quelles sont les sanctions" in text for text in texts)  # the contents
    assert "Faut-il un audit ? Quand le publier ?" not in texts and "Quand le publier ?" not in texts
    assert "Elle recense aussi les textes." in texts


def test_no_span_stops_on_a_promise_nor_cuts_a_list_from_its_lead_in():
    units = split_units("Le service est ouvert à tous. Pour candidater, il faut :\n• un projet ;\n• une équipe.\n"
                        "Les dossiers sont lus en juin :\nla commission se réunit ensuite.")
    spans = candidate_spans(chunk=None, units=units, rank=0, config=_config())
    assert not any(s.units[-1].text.endswith(":") for s in spans)  # « … il faut : » alone promises what it does not give
    lead_in = [s for s in spans if any(u.text == "Pour candidater, il faut :" for u in s.units)]
    assert [[u.text for u in s.units] for s in lead_in] == [["Pour candidater, il faut :", "un projet ;", "une équipe."]]


def test_a_paragraph_just_before_a_list_introduces_it_without_losing_its_own_sentence():
    units = split_units("…on passe en mode urgence\n• On prévient la direction.\n• On fait un diagnostic rapide.\n"
                        "• On corrige les points bloquants.")
    spans = candidate_spans(chunk=None, units=units, rank=0, config=_config())
    assert "…on passe en mode urgence : On prévient la direction. On fait un diagnostic rapide. " \
           "On corrige les points bloquants." in [s.text for s in spans]
    assert "…on passe en mode urgence" in [s.text for s in spans]  # it still stands on its own


def test_a_list_of_long_items_is_answered_by_the_first_sentence_of_each():
    items = "\n".join(f"{n}. Étape numéro {n}. Elle se déroule ainsi, avec bien des détails qui prennent de la place "
                      "dans le texte." for n in range(1, 7))
    units = split_units(f"Voici les étapes à suivre.\n{items}")
    spans = candidate_spans(chunk=None, units=units, rank=0, config=_config())
    listed = [s for s in spans if s.start == 0 and len(s.units) > 3]
    assert [s.text for s in listed] == ["Voici les étapes à suivre. " + " ".join(f"Étape numéro {n}." for n in range(1, 7))]


def test_a_list_longer_than_a_passage_is_answered_by_all_its_points(reader_service):
    answer = reader_service.ask("Quelles précautions recommandez-vous pour un outil fondé sur l'IA ?").answer
    assert len(reader_service.retriever.snapshot.chunks.chunks_of("guides/ia-precautions.md", 10)) >= 2  # cut
    assert answer.status == "answered"
    for point in ("Partir des besoins des usagers", "Ne pas imiter une personne", "Proposer un guichet humain"):
        assert point in answer.text
    assert "au téléphone ou au guichet" not in answer.text  # the points, not every detail


def test_a_word_asked_in_one_form_is_met_in_another_of_the_same_word():
    assert same_word("financ", "financi") and same_word("accessibl", "accessibilit")  # financé / financier, …
    assert not same_word("format", "formul") and not same_word("port", "porte")  # other words, or too short to tell
    texts = ["Le projet est financé par le fonds.", "Un soutien financier du fonds.", "Le format du fichier."]
    terms = QuestionTerms.of("Qui a financé le projet ?", BM25Index.build(range(3), texts), distinctive_idf=0.6)
    assert terms.met_by(set(analyze("Un soutien financier du FIPHFP"))) == set(analyze("financé"))
    assert terms.met_by(set(analyze("Le format du fichier"))) == set()


def test_an_acronym_the_question_names_is_distinctive_however_often_the_corpus_names_it():
    texts = [f"La DITP anime le réseau des laboratoires, rapport {n}." for n in range(5)] + ["Le budget d'un lab."]
    terms = QuestionTerms.of("Quel est le budget de la DITP ?", BM25Index.build(range(6), texts), distinctive_idf=0.6)
    assert "ditp" in terms.distinctive and terms.weights["ditp"] < terms.weights["budget"]


def test_a_faq_answer_states_as_its_subject_only_what_its_question_names():
    from assistant.reader import Reading, Span
    from index.chunkstore import StoredChunk

    text = "Le budget d'un laboratoire dépend de son ambition. Renseignez-vous auprès de la DITP."
    heading = ("FAQ — Les laboratoires", "Quel budget prévoir pour un laboratoire ?")
    faq = StoredChunk(1, "faq#0", "faq.md", 0, heading, text, "faq", None, "FAQ — Les laboratoires", "faq", (), None)
    guide = StoredChunk(2, "guide#0", "guide.md", 0, ("Les laboratoires",), text, "section", None, "Les laboratoires",
                        "guide", (), None)
    terms = QuestionTerms({"budget": 1.0, "ditp": 1.0}, frozenset({"ditp"}))
    reading = Reading([], [], terms)
    units = split_units(text)
    assert reading.distinctive_terms_met([Span(faq, units, 0, 0)]) == set()  # the DITP is where to ask, not the subject
    assert reading.distinctive_terms_met([Span(guide, units, 0, 0)]) == {"ditp"}


def test_a_question_is_encoded_once_to_be_searched_read_and_recorded(reader_service, monkeypatch):
    encoded = []
    encode_query = reader_service.encoder.encode_query
    monkeypatch.setattr(reader_service.encoder, "encode_query", lambda text: encoded.append(text) or encode_query(text))
    question = "Quelle est la recette de la tarte tatin ?"  # no answer: its wording is kept with its vector
    assert reader_service.ask(question).answer.status == "no_answer"
    assert encoded == [question]  # no query cache here (query_cache_size=0): any second encoding would show


def test_words_in_another_sense_do_not_make_an_answer(reader_service):
    answer = reader_service.ask("Comment ouvrir des données publiques ?").answer
    assert answer.status == "answered"
    assert {c.chunk.document_id for c in answer.citations} == {"guides/ouverture.md"}
    assert "discussion" not in answer.text


def test_a_list_question_is_answered_by_the_items_of_the_list(reader_service):
    answer = reader_service.ask("Quelles informations doit-on indiquer quand on déclare un jeu de données ?").answer
    assert answer.status == "answered"
    for item in ("titre", "description", "licence", "fréquence"):
        assert item in answer.text


def test_a_list_in_a_long_section_cut_into_passages_is_answered_by_its_items(reader_service):
    answer = reader_service.ask("Quelles conditions doivent remplir les traceurs de mesure d'audience pour être "
                                "dispensés de consentement ?").answer
    assert answer.status == "answered"
    assert len(reader_service.retriever.snapshot.chunks.chunks_of("guides/mesure-audience.md", 10)) >= 2  # cut
    for item in ("statistiques anonymes", "d'autres sites", "d'autres traitements", "treize mois"):
        assert item in answer.text


def test_an_answer_comes_from_one_place_and_stays_short(reader_service):
    answer = reader_service.ask("Combien de temps dure un défi ?").answer
    assert answer.status == "answered" and "dix mois" in answer.text
    assert len(answer.citations) == 1
    assert len(re.sub(r"\[\d+\]", "", answer.text).split()) <= 70


def test_a_question_that_asks_two_things_gets_both_answers_from_the_same_guide(reader_service):
    answer = reader_service.ask("Combien de temps peuvent vivre les traceurs de mesure d'audience dispensés de "
                                "consentement, et combien de temps peut-on garder les données qu'ils collectent ?").answer
    assert answer.status == "answered"
    assert "treize mois" in answer.text and "vingt-cinq mois" in answer.text
    assert {c.chunk.document_id for c in answer.citations} == {"guides/mesure-audience.md"}
    assert answer.signals["parts"] == 2
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} == {c.number for c in answer.citations}
    assert len({c.chunk.vector_id for c in answer.citations}) == len(answer.citations)  # one citation per passage
    assert len(re.sub(r"\[\d+\]", "", answer.text).split()) <= 130


def test_a_follow_up_in_two_parts_is_read_whole_with_the_question_before(reader_service):
    first = reader_service.ask("Combien de temps peuvent vivre les traceurs de mesure d'audience ?")
    follow_up = reader_service.ask("Et les données collectées ? Combien de temps les garder ?", first.conversation_id)
    assert follow_up.retrieval_query != "Et les données collectées ? Combien de temps les garder ?"  # read in context
    assert follow_up.answer.signals["parts"] == 1.0


def test_spans_the_reader_cannot_tell_apart_are_shown_together_without_what_lies_between(reader_service):
    # both sentences meet the same terms of the question, in the same passage: picking one would be a coin toss
    answer = reader_service.ask("Où en est le recensement des cloches anciennes ?").answer
    assert answer.status == "answered"
    assert "a commencé en 2019" in answer.text and "un site collaboratif rassemble les fiches" in answer.text
    assert "matinée" not in answer.text and " … " in answer.text
    assert [c.chunk.document_id for c in answer.citations] == ["guides/cloches.md"]


def test_the_distinctive_terms_are_looked_for_in_everything_the_answer_shows():
    from assistant.answers import AnswerComposer
    from assistant.reader import Reading, Span
    from index.chunkstore import StoredChunk

    text = ("Le recensement des cloches a commencé en 2019. Chaque visite dure une matinée. "
            "Un site collaboratif rassemble les fiches.")
    chunk = StoredChunk(1, "cloches#0", "cloches.md", 0, ("Inventaire des cloches",), text, "section", None,
                        "Inventaire des cloches", "guide", (), None)
    units = split_units(text)
    began, gathers = Span(chunk, units[:1], 0, 0), Span(chunk, units[2:], 0, 2)
    others = [f"Le guide numéro {n} des achats publics." for n in range(9)]  # the question's words are rare here
    corpus = BM25Index.build(range(10), [text, *others])
    reading = Reading([], [], QuestionTerms.of("Quand a commencé le recensement, et qui rassemble les fiches ?",
                                               corpus, distinctive_idf=0.6))
    composer = AnswerComposer(encoder=None)

    def grounded(spans: list[Span]) -> bool:  # with a passage too far in meaning to vouch for missing terms
        met = reading.terms_met(spans)
        return composer.grounded(reading.terms.coverage(met), reading.terms.distinctive_coverage(met), similarity=0.5)

    assert not grounded([gathers])  # « commencé » is asked, and this sentence alone does not say it
    assert grounded([began, gathers])  # the answer of a question in two parts shows both sentences


def test_the_belief_in_an_answer_counts_every_span_that_shares_a_sentence_with_it():
    from assistant.reader import Reading, Span
    from index.chunkstore import StoredChunk

    text = "Le défi dure dix mois. Il commence en septembre. Les équipes sont de trois personnes. Le jury se réunit en juin."
    chunk = StoredChunk(1, "defi#0", "defi.md", 0, ("Le défi",), text, "section", None, "Le défi", "guide", (), None)
    other = StoredChunk(2, "jury#0", "jury.md", 0, ("Le jury",), text, "section", None, "Le jury", "guide", (), None)
    units = split_units(text)
    shown = Span(chunk, units[0:2], 0, 0, score=2.0)
    wider = Span(chunk, units[1:3], 0, 1, score=2.0)  # shares « Il commence en septembre » with what is shown
    apart = Span(chunk, units[3:], 0, 3, score=2.0)  # another sentence of the same passage
    elsewhere = Span(other, units[0:2], 1, 0, score=2.0)  # the same words, in another passage
    reading = Reading([shown, wider, apart, elsewhere], [chunk, other], QuestionTerms({}, frozenset()))

    assert reading.share_near([(chunk, shown.start, shown.stop)]) == pytest.approx(0.5)
    assert reading.share_near([(chunk, 0, None)]) == pytest.approx(0.75)  # the whole passage
    assert reading.share_near([(chunk, 0, None), (other, 0, 2)]) == pytest.approx(1.0)  # each span counted once


def test_the_faq_answer_is_refused_when_the_question_names_another_entity(reader_service):
    answer = reader_service.ask("Quel est le budget de la DITP ?").answer
    assert answer.method != "faq"
    assert answer.status == "no_answer" or "DITP" in answer.text


def test_the_faq_answer_is_given_whole_when_its_question_is_asked(reader_service):
    answer = reader_service.ask("Quel budget faut-il prévoir pour un laboratoire d'innovation ?").answer
    assert answer.status == "answered" and answer.method == "faq"
    assert "quelques dizaines de milliers d'euros" in answer.text


def test_confidence_is_a_probability_and_higher_for_a_stated_answer_than_for_an_unrelated_question(reader_service):
    stated = reader_service.ask("Combien de temps dure un défi ?").answer
    unrelated = reader_service.ask("Quelle est la recette de la tarte tatin ?").answer
    assert 0.0 <= unrelated.confidence < stated.confidence <= 1.0
    assert unrelated.status == "no_answer"


def _config():
    from assistant.reader import ReaderConfig

    return ReaderConfig()


def test_a_title_names_the_subject_of_an_answer_that_does_not_state_it_but_a_headline_does_not():
    from assistant.answers import AnswerConfig, subject_of

    limit = AnswerConfig().title_words
    assert subject_of("MonitorFish", "L'outil aide les agents à surveiller les pêches.", limit) == "MonitorFish"
    assert subject_of("MonitorFish", "MonitorFish aide les agents à surveiller les pêches.", limit) is None
    assert subject_of("Framadate, notre première contribution au logiciel libre",
                      "L'équipe apporte son expertise en design.", limit) == "Framadate"
    assert subject_of("Retour sur l'atelier Wikipédia organisé au Mobilier national",
                      "C'est ainsi que naît l'idée d'une journée portes ouvertes.", limit) is None
    assert subject_of("FAQ — Le cadre juridique de l'innovation publique",
                      "La Constitution prévoit ce fondement.", limit) == "Le cadre juridique de l'innovation publique"


def test_a_number_of_something_else_does_not_answer_how_many(reader_service):
    # the FAQ's « dix mois » is how long a challenge lasts, not a number of days off
    answer = reader_service.ask("Combien de jours de congés a-t-on pendant un défi ?").answer
    assert answer.status == "no_answer", answer.text
