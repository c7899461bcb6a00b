"""Words the data layer puts into documents: enum labels, standard terms, generated lines.

Fixed headings live with the templates (report_templates/common/i18n.typ); these are the
words that depend on data (a pilot's stage, a deliverable's status, a week number).
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "de": {
        "proposal": "Angebot", "result_report": "Ergebnisbericht", "status_report": "Statusbericht",
        "workshop": "Workshop", "pilot": "Pilot", "deliverable": "Ergebnis",
        "kickoff": "Kickoff", "use_case_discovery": "Use-Case-Workshop", "enablement": "Enablement",
        "guidelines": "Leitlinien", "review": "Review",
        "idea": "Idee", "prototype": "Prototyp", "production": "Im Betrieb", "stopped": "Gestoppt",
        "routine_automation": "Routineautomatisierung", "document_creation": "Dokumentenerstellung",
        "support": "Support", "other": "Sonstiges",
        "document": "Dokument", "automation_workflow": "Automatisierung",
        "training_material": "Schulungsmaterial", "guideline": "Leitlinie",
        "planned": "Geplant", "in_progress": "In Arbeit", "in_review": "In Prüfung",
        "delivered": "Geliefert", "accepted": "Abgenommen", "rejected": "Abgelehnt",
        "green": "Im Plan", "amber": "Unter Beobachtung", "red": "Kritisch",
        "lower_is_better": "niedriger ist besser", "higher_is_better": "höher ist besser",
        "priorities": "Klare Prioritäten", "responsibility": "Verantwortung (KI-Owner/Team)",
        "people_enabled": "Befähigte Mitarbeitende", "pilots_in_production": "Piloten im Betrieb",
        "kpi_practice": "KPI-Messpraxis",
        "week": "Woche {n}", "weeks": "Wochen {a}–{b}", "week_of": "Woche {n} von {m}",
        "months": "{n} Monate", "days": "{n} Tage",
        "fixed_line": "{title} ({weeks} Wochen, Festpreis)", "day_line": "Beratungstage: {title}",
        "term_payment": "Zahlbar innerhalb von {days} Tagen nach Rechnungsstellung ohne Abzug.",
        "term_vat": "Alle Preise verstehen sich zuzüglich der gesetzlichen Umsatzsteuer.",
        "term_confidential": "Vertrauliche Informationen und Daten verarbeiten wir ausschließlich zur Durchführung des Auftrags.",
        "baseline_note": "{method} · {n} Messungen · {date}",
        "no_figures": "Noch nicht genügend Daten für eine Berechnung.",
        "missing": "Es fehlen: {fields}",
        "no_fee": "Kein Honorar hinterlegt; ROI und Amortisation entfallen.",
        "no_payback": "Die Einsparung deckt die laufenden Kosten noch nicht.",
        "rec_production": "„{title}“ in den Regelbetrieb überführen ({net} netto pro Monat gemessen).",
        "rec_missing": "Für „{kpi}“ fehlen noch {fields}, damit die Einsparung berechnet werden kann.",
        "rec_measure": "Für „{kpi}“ regelmäßig messen, um die Wirkung nachzuweisen.",
        "done_workshop": "Workshop „{title}“ durchgeführt",
        "done_deliverable": "„{title}“ geliefert",
        "next_workshop": "Workshop „{title}“ am {when}",
        "next_deliverable": "„{title}“ fertigstellen (fällig in Woche {n})",
        "risk_overdue": "„{title}“ ist überfällig (fällig in Woche {n})",
    },
    "en": {
        "proposal": "Proposal", "result_report": "Results report", "status_report": "Status report",
        "workshop": "Workshop", "pilot": "Pilot", "deliverable": "Deliverable",
        "kickoff": "Kickoff", "use_case_discovery": "Use-case discovery", "enablement": "Enablement",
        "guidelines": "Guidelines", "review": "Review",
        "idea": "Idea", "prototype": "Prototype", "production": "In production", "stopped": "Stopped",
        "routine_automation": "Routine automation", "document_creation": "Document creation",
        "support": "Support", "other": "Other",
        "document": "Document", "automation_workflow": "Automation workflow",
        "training_material": "Training material", "guideline": "Guideline",
        "planned": "Planned", "in_progress": "In progress", "in_review": "In review",
        "delivered": "Delivered", "accepted": "Accepted", "rejected": "Rejected",
        "green": "On track", "amber": "At risk", "red": "Critical",
        "lower_is_better": "lower is better", "higher_is_better": "higher is better",
        "priorities": "Clear priorities", "responsibility": "Responsibility (AI owner/team)",
        "people_enabled": "People enabled", "pilots_in_production": "Pilots in production",
        "kpi_practice": "KPI measurement practice",
        "week": "Week {n}", "weeks": "Weeks {a}–{b}", "week_of": "Week {n} of {m}",
        "months": "{n} months", "days": "{n} days",
        "fixed_line": "{title} ({weeks} weeks, fixed price)", "day_line": "Consulting days: {title}",
        "term_payment": "Payable within {days} days of invoice without deduction.",
        "term_vat": "All prices are subject to statutory VAT.",
        "term_confidential": "We process confidential information and data solely to perform this engagement.",
        "baseline_note": "{method} · {n} samples · {date}",
        "no_figures": "Not enough data for a calculation yet.",
        "missing": "Missing: {fields}",
        "no_fee": "No fee recorded; ROI and payback do not apply.",
        "no_payback": "The savings do not yet cover the running costs.",
        "rec_production": "Move “{title}” into regular operation ({net} net per month measured).",
        "rec_missing": "“{kpi}” still lacks {fields} for its savings to be calculated.",
        "rec_measure": "Measure “{kpi}” regularly to prove its effect.",
        "done_workshop": "Held workshop “{title}”",
        "done_deliverable": "Delivered “{title}”",
        "next_workshop": "Workshop “{title}” on {when}",
        "next_deliverable": "Finish “{title}” (due in week {n})",
        "risk_overdue": "“{title}” is overdue (due in week {n})",
    },
}

FIELD_NAMES = {
    "de": {"baseline_value": "Ausgangswert", "monthly_volume": "Monatsvolumen", "hourly_cost": "Stundensatz"},
    "en": {"baseline_value": "baseline", "monthly_volume": "monthly volume", "hourly_cost": "hourly cost"},
}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["de"])


def say(lang: str, key: str, **values: object) -> str:
    return words(lang)[key].format(**values)


def field_list(lang: str, fields: tuple[str, ...] | list[str]) -> str:
    names = FIELD_NAMES.get(lang, FIELD_NAMES["de"])
    return ", ".join(names.get(f, f) for f in fields)
