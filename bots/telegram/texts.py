"""Every message the bot sends, in French, apart from the logic (Telegram HTML where marked)."""

WELCOME = (
    "Bonjour 👋 Je suis <b>Éclaireur</b>, l'assistant documentaire de l'innovation publique.\n\n"
    "Posez-moi une question en langage courant sur les laboratoires d'innovation, le Mois de l'innovation "
    "publique, le design des services publics, l'expérimentation, la formation… Je réponds à partir des "
    "guides et des FAQ, avec leurs sources.\n\n"
    "⚠️ N'envoyez pas de données personnelles (noms, numéros de dossier, santé…).\n\n"
    "Quelques exemples :"
)
EXAMPLES = (
    "Quand a lieu le Mois de l'innovation publique ?",
    "Comment créer un laboratoire d'innovation ?",
    "Qu'est-ce que le droit à l'erreur ?",
)
HELP = (
    "<b>Ce que je fais</b> : je réponds à vos questions sur l'innovation publique à partir de la documentation, "
    "avec des renvois numérotés vers les sources. Si la documentation ne contient pas la réponse, je le dis.\n\n"
    "<b>Commandes</b>\n"
    "/recherche <i>mots</i> — la liste des documents correspondants\n"
    "/nouveau — oublier la conversation en cours (nouvelle question sans contexte)\n"
    "/aide — ce message\n\n"
    "Une question de suivi (« et pour une collectivité ? ») garde le contexte de la précédente.\n"
    "Dans un groupe, mentionnez-moi ou répondez à l'un de mes messages.\n"
    "Sous chaque réponse : 👍 / 👎 pour donner votre avis, « Sources » pour les passages cités, "
    "« Plus de résultats » pour d'autres documents."
)
COMMANDS = (
    ("recherche", "Chercher des documents par mots-clés"),
    ("nouveau", "Nouvelle conversation (oublier le contexte)"),
    ("aide", "Ce que fait le bot et ses commandes"),
)
NEW_CONVERSATION = "C'est noté : nouvelle conversation. Posez votre question."
SEARCH_USAGE = "Indiquez les mots à chercher, par exemple : /recherche laboratoire d'innovation"
NO_RESULTS = "Aucun document ne correspond à « {query} »."
SEARCH_HEADER = "<b>Documents pour « {query} »</b>"
MORE_HEADER = "<b>Autres documents utiles</b>"
NO_MORE = "Pas d'autre document pertinent."
SOURCES_HEADER = "<b>Sources citées</b>"
NO_SOURCES = "Cette réponse ne cite aucun passage."
CLOSEST = "<b>Ressources les plus proches :</b>"
FEEDBACK_THANKS = "Merci pour votre avis 🙏"
FEEDBACK_REASON = "Merci. En une ligne, qu'est-ce qui n'allait pas ? (facultatif : vous pouvez ignorer ce message)"
FEEDBACK_REASON_THANKS = "Merci, votre remarque est transmise à l'équipe éditoriale."
EXPIRED_BUTTON = "Ce bouton a expiré : posez à nouveau la question."
INVALID_BUTTON = "Ce bouton n'est pas reconnu : utilisez ceux du dernier message du bot."
NOT_ALLOWED = ("Désolé, ce bot est réservé aux agents autorisés. Si vous pensez devoir y avoir accès, "
               "contactez l'équipe qui l'administre.")
RATE_LIMITED = "Vous posez beaucoup de questions à la suite 🙂 Patientez {seconds} s avant la suivante."
INLINE_RATE_LIMITED = "Trop de recherches à la suite : patientez {seconds} s"
API_DOWN = ("Le service Éclaireur est momentanément indisponible. Réessayez dans quelques minutes ; "
            "votre question n'a pas pu être traitée.")
API_BUSY = "Le service Éclaireur est très sollicité. Réessayez dans {seconds} s."
API_REFUSED = "Le bot n'est pas autorisé à interroger le service Éclaireur (clé d'API). Prévenez l'administrateur."
QUESTION_INVALID = "Je n'ai pas pu traiter cette question : {detail}"
UNSUPPORTED = ("Je ne sais lire que le texte 🙂 Écrivez votre question en toutes lettres "
               "(les photos, fichiers, messages vocaux et autocollants ne sont pas analysés).")
ERROR = "Une erreur inattendue s'est produite. Réessayez ; si elle persiste, l'équipe est prévenue."
ADMIN_ERROR = "⚠️ Erreur du bot Éclaireur : {error}\nMise à jour : {update}"
BUTTON_USEFUL, BUTTON_NOT_USEFUL = "👍", "👎"
BUTTON_SOURCES, BUTTON_MORE = "Sources", "Plus de résultats"
INLINE_NO_RESULT = "Aucun document trouvé"
