"""The admin UI's words in German (default) and English, and per-request formatting."""

from __future__ import annotations

from typing import Any

from backend.flows.documents.wording import words
from backend.kernel.errors import TooManyRequests
from backend.kernel.formatting import Formatter
from backend.web import portal_words, ui_words
from backend.web.handlers import AppRequest

LANG_COOKIE = "desk_lang"

UI: dict[str, dict[str, str]] = {
    "de": {
        "app": "Engagement Desk",
        "dashboard": "Übersicht",
        "clients": "Kunden",
        "engagements": "Engagements",
        "login": "Anmelden",
        "logout": "Abmelden",
        "email": "E-Mail",
        "password": "Passwort",
        "login_failed": "E-Mail oder Passwort ist falsch.",
        "switch_lang": "English",
        "login_wait": "Zu viele Fehlversuche. Bitte versuchen Sie es {when} erneut.",
        "in_a_minute": "in einer Minute",
        "in_minutes": "in {n} Minuten",
        "active_engagements": "Aktive Engagements",
        "workshops_this_week": "Workshops diese Woche",
        "deliverables_due": "Fällige und überfällige Ergebnisse",
        "pilots_by_stage": "Piloten nach Phase",
        "digests_this_week": "Digests diese Woche",
        "sent": "gesendet",
        "failed": "fehlgeschlagen",
        "week_n_of_m": "Woche {n} von {m}",
        "none": "Keine.",
        "save": "Speichern",
        "create": "Anlegen",
        "search": "Suchen",
        "name": "Name",
        "city": "Ort",
        "industry": "Branche",
        "employees": "Mitarbeitende",
        "new_client": "Neuer Kunde",
        "contacts": "Kontakte",
        "overdue": "überfällig",
        "due_week": "fällig Woche",
        "conflict": "Jemand anderes hat diesen Datensatz inzwischen geändert. Ihre Eingaben sind unten erhalten; "
        "bitte prüfen und erneut speichern.",
        "clash": "Das passt nicht zu vorhandenen Daten: einen Eintrag mit diesem Wert gibt es schon, oder etwas, "
        "worauf er verweist, ist nicht mehr da. Ihre Eingaben sind unten erhalten.",
        "status": "Status",
        "client": "Kunde",
        "title": "Titel",
        "start": "Start",
        "weeks": "Wochen",
        "stage": "Phase",
        "pilot": "Pilot",
        "kpi": "Kennzahl",
        "add_contact": "Kontakt hinzufügen",
        "save_contact": "Kontakt speichern",
        "position": "Funktion",
        "receives_digest": "erhält den Wochen-Digest",
        "ai_owner": "KI-Verantwortliche(r)",
        "portal_access": "Portalzugang",
        "client_data": "Stammdaten",
        "street": "Straße",
        "postal_code": "PLZ",
        "vat_id": "USt-IdNr.",
        "notes": "Notizen",
        "readiness": "KI-Reifegrad",
        "phase_start": "Start",
        "phase_end": "Ende",
        "phase": "Zeitpunkt",
        "assessed_on": "Erhoben am",
        "total": "Gesamt",
        "add_assessment": "Einschätzung erfassen",
        "save_assessment": "Einschätzung speichern",
    },
    "en": {
        "app": "Engagement Desk",
        "dashboard": "Dashboard",
        "clients": "Clients",
        "engagements": "Engagements",
        "login": "Sign in",
        "logout": "Sign out",
        "email": "Email",
        "password": "Password",
        "login_failed": "Email or password is wrong.",
        "switch_lang": "Deutsch",
        "login_wait": "Too many failed attempts. Please try again {when}.",
        "in_a_minute": "in a minute",
        "in_minutes": "in {n} minutes",
        "active_engagements": "Active engagements",
        "workshops_this_week": "Workshops this week",
        "deliverables_due": "Deliverables due or overdue",
        "pilots_by_stage": "Pilots by stage",
        "digests_this_week": "Digests this week",
        "sent": "sent",
        "failed": "failed",
        "week_n_of_m": "Week {n} of {m}",
        "none": "None.",
        "save": "Save",
        "create": "Create",
        "search": "Search",
        "name": "Name",
        "city": "City",
        "industry": "Industry",
        "employees": "Employees",
        "new_client": "New client",
        "contacts": "Contacts",
        "overdue": "overdue",
        "due_week": "due week",
        "conflict": "Someone else changed this record in the meantime. What you typed is kept below; "
        "please check it and save again.",
        "clash": "This clashes with existing data: an entry with this value exists already, or something it "
        "refers to is gone. What you typed is kept below.",
        "status": "Status",
        "client": "Client",
        "title": "Title",
        "start": "Start",
        "weeks": "Weeks",
        "stage": "Stage",
        "pilot": "Pilot",
        "kpi": "KPI",
        "add_contact": "Add contact",
        "save_contact": "Save contact",
        "position": "Position",
        "receives_digest": "receives the weekly digest",
        "ai_owner": "AI owner",
        "portal_access": "Portal access",
        "client_data": "Client details",
        "street": "Street",
        "postal_code": "Postcode",
        "vat_id": "VAT ID",
        "notes": "Notes",
        "readiness": "AI readiness",
        "phase_start": "Start",
        "phase_end": "End",
        "phase": "Point in time",
        "assessed_on": "Assessed on",
        "total": "Total",
        "add_assessment": "Record assessment",
        "save_assessment": "Save assessment",
    },
}


def extend(words_by_language: dict[str, dict[str, str]]) -> None:
    """Page modules bring their own words; a key may not be defined twice."""
    for lang, more in words_by_language.items():
        clash = set(more) & set(UI[lang])
        if clash:
            raise ValueError(f"UI words defined twice: {sorted(clash)}")
        UI[lang].update(more)


def language_of(request: AppRequest) -> str:
    lang = request.cookies.get(LANG_COOKIE, "de")
    return lang if lang in UI else "de"


def try_again(t: Any, refusal: TooManyRequests) -> str:
    """When to try again after a 429, in words ("in einer Minute", "in 15 Minuten")."""
    minutes = max(1, -(-int((refusal.headers or {}).get("Retry-After", "60")) // 60))
    return t("in_a_minute") if minutes == 1 else t("in_minutes", n=minutes)


def page_context(request: AppRequest, **values: Any) -> dict[str, Any]:
    """What every page template gets: the language, its words, a formatter, the user."""
    lang = language_of(request)
    ui, data_words = UI[lang], words(lang)

    def t(key: str, **args: Any) -> str:
        text = ui.get(key) or data_words.get(key) or key
        return text.format(**args) if args else text

    # Sign-in pages run without authentication, where the scope has no user at all.
    return {"lang": lang, "t": t, "fmt": Formatter(lang), "user": request.scope.get("user"), **values}


# The pages' own words, one dictionary with the shared ones above.
extend(ui_words.WORDS)
extend(portal_words.WORDS)
