"""Pydantic's validation errors in German, for the fields of the admin pages.

The API answers in English (its `errors[].message`); a German page shows what a German user
needs next to the field. Errors without an entry here (the schemas' own rules) keep their text.
"""

from __future__ import annotations

from typing import Any

_DE: dict[str, str] = {
    "missing": "Pflichtfeld.",
    "string_too_long": "Höchstens {max_length} Zeichen.",
    "string_pattern_mismatch": "Das Format stimmt nicht.",
    "greater_than_equal": "Muss mindestens {ge} sein.",
    "greater_than": "Muss größer als {gt} sein.",
    "less_than_equal": "Darf höchstens {le} sein.",
    "less_than": "Muss kleiner als {lt} sein.",
    "int_parsing": "Bitte eine ganze Zahl eingeben.",
    "int_type": "Bitte eine ganze Zahl eingeben.",
    "int_from_float": "Bitte eine ganze Zahl eingeben.",
    "decimal_parsing": "Bitte eine Zahl eingeben (z. B. 1.234,50).",
    "decimal_type": "Bitte eine Zahl eingeben (z. B. 1.234,50).",
    "float_parsing": "Bitte eine Zahl eingeben (z. B. 1.234,50).",
    "decimal_max_places": "Höchstens {decimal_places} Nachkommastellen.",
    "decimal_max_digits": "Die Zahl ist zu groß.",
    "decimal_whole_digits": "Die Zahl ist zu groß.",
    "date_parsing": "Bitte ein gültiges Datum eingeben.",
    "date_from_datetime_parsing": "Bitte ein gültiges Datum eingeben.",
    "date_type": "Bitte ein gültiges Datum eingeben.",
    "datetime_parsing": "Bitte Datum und Uhrzeit eingeben.",
    "datetime_from_date_parsing": "Bitte Datum und Uhrzeit eingeben.",
    "datetime_type": "Bitte Datum und Uhrzeit eingeben.",
    "enum": "Bitte einen der angebotenen Werte wählen.",
    "literal_error": "Bitte einen der angebotenen Werte wählen.",
    "bool_parsing": "Bitte ja oder nein wählen.",
    "extra_forbidden": "Unbekanntes Feld.",
}


def field_message(error: dict[str, Any], lang: str) -> str:
    """One pydantic error as the page's language says it."""
    text = str(error["msg"]).removeprefix("Value error, ")
    if lang != "de":
        return text
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_too_short":
        return "Darf nicht leer sein." if ctx.get("min_length") == 1 else f"Mindestens {ctx.get('min_length')} Zeichen."
    if kind == "value_error" and text.startswith("value is not a valid email address"):
        return "Bitte eine gültige E-Mail-Adresse eingeben."
    template = _DE.get(kind)
    return template.format(**{k: str(v) for k, v in ctx.items()}) if template else text
