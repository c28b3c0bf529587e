"""The dashboard's words in Dutch and French, and how a request's language is chosen.

French texts carry French typography (a narrow no-break space, U+202F,
before ``: ; ? !``), as the course's French texts do.

A small message catalogue instead of gettext files: the dashboard has a few
dozen strings in two languages, kept side by side here so a translator sees
both and a missing one is a test failure (``tests/lrs/test_dashboard.py``),
not an empty label. Report titles and explanations come with the reports
(:mod:`lrs.reports`), not from here.
"""

from __future__ import annotations

from typing import Final

from flask import request, session

#: Languages of the dashboard; the first is the default.
LANGUAGES: Final = ("nl", "fr")

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "app_title": {"nl": "GSOG-evaluatie", "fr": "Évaluation GSOG"},
    "skip": {"nl": "Naar de inhoud", "fr": "Aller au contenu"},
    "login_title": {"nl": "Aanmelden", "fr": "Connexion"},
    "username": {"nl": "Gebruikersnaam", "fr": "Nom d'utilisateur"},
    "password": {"nl": "Wachtwoord", "fr": "Mot de passe"},
    "login": {"nl": "Aanmelden", "fr": "Se connecter"},
    "logout": {"nl": "Afmelden", "fr": "Se déconnecter"},
    "login_failed": {
        "nl": "Gebruikersnaam of wachtwoord klopt niet.",
        "fr": "Nom d'utilisateur ou mot de passe incorrect.",
    },
    "login_throttled": {
        "nl": "Te veel mislukte pogingen voor deze naam. Probeer opnieuw over {minutes} minuten.",
        "fr": "Trop de tentatives échouées pour ce nom. Réessayez dans {minutes} minutes.",
    },
    "csrf_failed": {
        "nl": "Het formulier is verlopen of niet van deze site. Laad de pagina opnieuw en probeer nog eens.",
        "fr": "Le formulaire a expiré ou ne vient pas de ce site. Rechargez la page et réessayez.",
    },
    "session_ended": {
        "nl": "Uw sessie is verlopen. Meld u opnieuw aan.",
        "fr": "Votre session a expiré. Veuillez vous reconnecter.",
    },
    "logged_out": {"nl": "U bent afgemeld.", "fr": "Vous êtes déconnecté."},
    "forbidden": {
        "nl": "Dit account heeft geen toegang tot het dashboard.",
        "fr": "Ce compte n'a pas accès au tableau de bord.",
    },
    "reports": {"nl": "Rapporten", "fr": "Rapports"},
    "language": {"nl": "Taal", "fr": "Langue"},
    "signed_in_as": {"nl": "Aangemeld als {name}", "fr": "Connecté en tant que {name}"},
    "filters": {"nl": "Filters", "fr": "Filtres"},
    "period": {"nl": "Periode", "fr": "Période"},
    "from": {"nl": "Van", "fr": "Du"},
    "to": {"nl": "Tot en met", "fr": "Au"},
    "compare_period": {
        "nl": "Vergelijken met een tweede periode (cyclusvergelijking)",
        "fr": "Comparer avec une seconde période (comparaison de cycles)",
    },
    "sector": {"nl": "Sector", "fr": "Secteur"},
    "organisation": {"nl": "Organisatie", "fr": "Organisation"},
    "region": {"nl": "Regio", "fr": "Région"},
    "lang_filter": {"nl": "Taal van het pakket", "fr": "Langue du paquet"},
    "level": {"nl": "Niveau", "fr": "Niveau"},
    "module": {"nl": "Module", "fr": "Module"},
    "package_version": {"nl": "Pakketversie", "fr": "Version du paquet"},
    "any": {"nl": "alle", "fr": "tous"},
    "apply": {"nl": "Toepassen", "fr": "Appliquer"},
    "chart_caption": {"nl": "Grafiek: {title}", "fr": "Graphique\u202f: {title}"},
    "table_caption": {"nl": "Tabel: {title}", "fr": "Tableau\u202f: {title}"},
    "chart_alt": {
        "nl": "Grafiek: {title}. Dezelfde cijfers staan in de tabel eronder.",
        "fr": "Graphique\u202f: {title}. Les mêmes chiffres figurent dans le tableau ci-dessous.",
    },
    "no_rows": {"nl": "Geen gegevens voor deze selectie.", "fr": "Aucune donnée pour cette sélection."},
    "suppressed_note": {
        "nl": "{marker} = verborgen: minder dan {k} lerenden in deze cel (bescherming van persoonsgegevens).",
        "fr": "{marker} = masqué\u202f: moins de {k} apprenants dans cette cellule "
        "(protection des données personnelles).",
    },
    "download": {"nl": "Downloaden", "fr": "Télécharger"},
    "download_csv": {"nl": "CSV downloaden", "fr": "Télécharger en CSV"},
    "download_xlsx": {"nl": "Excel (XLSX) downloaden", "fr": "Télécharger en Excel (XLSX)"},
    "pdf_title": {"nl": "Afdrukbaar rapport (PDF)", "fr": "Rapport imprimable (PDF)"},
    "pdf_intro": {
        "nl": "Alle rapporten voor de gekozen periode en filters, met grafiek, tabel en uitleg.",
        "fr": "Tous les rapports pour la période et les filtres choisis, avec graphique, tableau et explication.",
    },
    "download_pdf": {"nl": "PDF maken", "fr": "Générer le PDF"},
    "bad_filter": {"nl": "Ongeldige filter {field}: {problem}", "fr": "Filtre invalide {field}\u202f: {problem}"},
    "bad_date": {
        "nl": "{value} is geen datum; gebruik JJJJ-MM-DD (YYYY-MM-DD), bv. 2026-03-31",
        "fr": "{value} n'est pas une date\u202f; utilisez AAAA-MM-JJ (YYYY-MM-DD), p. ex. 2026-03-31",
    },
    "bad_period": {
        "nl": "de periode eindigt ({end}) voor ze begint ({start})",
        "fr": "la période se termine ({end}) avant de commencer ({start})",
    },
    "bad_code": {
        "nl": "{value} is geen code (letters, cijfers, '.', '_', ':', '-')",
        "fr": "{value} n'est pas un code (lettres, chiffres, '.', '_', ':', '-')",
    },
    "not_found": {"nl": "Dit rapport bestaat niet.", "fr": "Ce rapport n'existe pas."},
    "whole_period": {"nl": "hele periode", "fr": "toute la période"},
    "generated": {"nl": "Gemaakt op {date}", "fr": "Généré le {date}"},
    "filters_used": {"nl": "Filters: {filters}", "fr": "Filtres\u202f: {filters}"},
    "none": {"nl": "geen", "fr": "aucun"},
    "page_not_found": {"nl": "Deze pagina bestaat niet.", "fr": "Cette page n'existe pas."},
    "error_generic": {
        "nl": "Er ging iets mis; probeer het later opnieuw.",
        "fr": "Une erreur s'est produite\u202f; réessayez plus tard.",
    },
    "admins_only": {
        "nl": "Alleen een beheerder (rol admin) kan cursussen beheren.",
        "fr": "Seul·e un·e administrateur·rice (rôle admin) peut gérer les formations.",
    },
    "courses": {"nl": "Cursussen van het portaal", "fr": "Formations du portail"},
    "courses_intro": {
        "nl": "Een cmi5-pakket (zip) wordt eerst gecontroleerd en daarna in zijn geheel opgeslagen, "
        "of geweigerd met de regel die het overtreedt. Grotere pakketten dan {mib} MiB: lrs course import.",
        "fr": "Un paquet cmi5 (zip) est d'abord vérifié, puis enregistré en entier, ou refusé avec la règle "
        "qu'il enfreint. Paquets de plus de {mib} Mio\u202f: lrs course import.",
    },
    "package_file": {"nl": "cmi5-pakket (zip)", "fr": "Paquet cmi5 (zip)"},
    "import": {"nl": "Importeren", "fr": "Importer"},
    "choose_package": {"nl": "Kies een zip-bestand.", "fr": "Choisissez un fichier zip."},
    "refused": {"nl": "Geweigerd, er is niets opgeslagen:", "fr": "Refusé, rien n'a été enregistré :"},
    "course_imported": {"nl": "Het pakket is geïmporteerd.", "fr": "Le paquet est importé."},
    "course_removed": {"nl": "De pakketversie is verwijderd.", "fr": "La version du paquet est supprimée."},
    "remove": {"nl": "Verwijderen", "fr": "Supprimer"},
    "stored": {"nl": "Opgeslagen pakketten", "fr": "Paquets enregistrés"},
    "col_course": {"nl": "Cursus", "fr": "Formation"},
    "col_version": {"nl": "Versie", "fr": "Version"},
    "col_variant": {"nl": "Taal, sector", "fr": "Langue, secteur"},
    "col_modules": {"nl": "Modules", "fr": "Modules"},
    "col_imported": {"nl": "Geïmporteerd", "fr": "Importé"},
    "col_current": {"nl": "Aangeboden", "fr": "Proposé"},
    "no_packages": {"nl": "Nog geen pakketten.", "fr": "Pas encore de paquets."},
    "yes": {"nl": "ja", "fr": "oui"},
    "no": {"nl": "nee", "fr": "non"},
}


def pick_language() -> str:
    """The request's language: ``?lang=``, else the user's earlier choice, else Accept-Language, else Dutch.

    A ``?lang=`` choice is remembered in the session, so every later page
    keeps it.
    """
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def translate(lang: str, key: str, **values: object) -> str:
    """Message ``key`` in ``lang`` with ``values`` filled in (KeyError for an unknown key: a bug)."""
    text = MESSAGES[key][lang]
    return text.format(**values) if values else text
