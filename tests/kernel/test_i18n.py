"""The one word catalog: both languages complete and consistent, every word a page or template
asks for present, placeholders and plurals filled as the pages and documents expect."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest

from backend.kernel import i18n

ROOT = Path(__file__).resolve().parents[2]


def _entries(table: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested tables to dotted keys; plural tables stay one entry."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict) and set(value) != {"one", "other"}:
            out |= _entries(value, f"{prefix}{key}.")
        else:
            out[prefix + key] = value
    return out


def _placeholders(entry: Any) -> set[str]:
    texts = entry.values() if isinstance(entry, dict) else [entry]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("section", ["page", "mail", "document", "template"])
def test_both_languages_have_the_same_keys_and_placeholders(section: str) -> None:
    de, en = (_entries(i18n.catalog(lang)[section]) for lang in ("de", "en"))
    assert sorted(set(de) ^ set(en)) == []
    differing = {key for key in de if _placeholders(de[key]) != _placeholders(en[key])}
    assert sorted(differing) == []
    plurals = [key for key, entry in de.items() if isinstance(entry, dict)]
    assert all(set(de[key]) == set(en[key]) == {"one", "other"} for key in plurals)


def test_validation_words_are_german_and_english_pages_keep_pydantic_text() -> None:
    assert "validation" not in i18n.catalog("en")
    assert i18n.say("validation", "de", "greater_than_equal", ge=1) == "Muss mindestens 1 sein."


def _used(pattern: str, files: list[Path]) -> set[str]:
    return {key for path in files for key in re.findall(pattern, path.read_text(encoding="utf-8"))}


def test_every_word_a_page_asks_for_is_in_the_catalog() -> None:
    templates = list((ROOT / "backend/web/templates").rglob("*.html"))
    # `t('status_' ~ e.status)` builds a key from a prefix; those come from the enums.
    used = _used(r"""\bt\(\s*['"]([a-z0-9_]+)['"](?!\s*~)""", templates)
    assert len(used) > 200
    known = set(i18n.words("page", "de")) | set(i18n.words("document", "de"))
    assert sorted(used - known) == []


def test_every_word_a_document_template_asks_for_is_in_the_catalog() -> None:
    templates = list((ROOT / "report_templates").rglob("*.typ"))
    used = _used(r"""\bt(?:r\(lang,\s*|\()"([a-z0-9_-]+)\"""", templates)
    # `t("written-in-" + language)` builds a key from a prefix, for each language.
    built = {key for key in used if key.endswith("-")}
    used = (used - built) | {prefix + lang for prefix in built for lang in i18n.LANGUAGES}
    assert len(used) > 100
    assert sorted(used - set(i18n.words("template", "de"))) == []


def test_fill_chooses_the_plural_and_never_refills_a_value() -> None:
    assert i18n.say("document", "de", "days", n="1") == "1 Tag"
    assert i18n.say("document", "de", "days", n="2,5") == "2,5 Tage"
    assert i18n.say("document", "en", "months", n=1) == "1 month"
    assert i18n.say("page", "de", "in_minutes", n=1) == "in einer Minute"
    assert i18n.say("page", "en", "in_minutes", n=15) == "in 15 minutes"
    assert i18n.say("mail", "de", "greeting", name="{name} & Co.") == "Guten Tag {name} & Co.,"


def test_an_unknown_language_is_german_and_an_unknown_key_shows_itself() -> None:
    assert i18n.norm_lang(" EN ") == "en"
    assert i18n.norm_lang("fr") == i18n.norm_lang(None) == "de"
    assert i18n.say("page", "fr", "save") == "Speichern"
    assert i18n.say("page", "en", "no_such_word") == "no_such_word"


def test_every_enum_value_a_page_shows_has_a_label_in_both_languages() -> None:
    from backend.domains.clients.models import AssessmentPhase
    from backend.domains.deliverables.models import DeliverableKind, DeliverableStatus
    from backend.domains.engagements.models import EngagementStatus, PricingModel, Rag
    from backend.domains.pilots.models import KpiUnit, PilotStage, ProcessArea
    from backend.domains.pilots.results import ResultStatus
    from backend.domains.workshops.models import WorkshopKind
    from backend.flows.digests.models import DeliveryStatus
    from backend.flows.documents.models import DocumentKind, DocumentStatus

    # Pages build these keys as `t(prefix ~ value)`; documents and pages look plain values up.
    prefixed = {
        "status_": EngagementStatus,
        "pricing_": PricingModel,
        "delivery_": DeliveryStatus,
        "doc_": DocumentStatus,
        "unit_": KpiUnit,
        "result_": ResultStatus,
        "phase_": AssessmentPhase,
        "make_": DocumentKind,
    }
    plain = [DeliverableKind, DeliverableStatus, Rag, PilotStage, ProcessArea, WorkshopKind, DocumentKind]
    for lang in i18n.LANGUAGES:
        page, document = i18n.words("page", lang), i18n.words("document", lang)
        missing = [p + v for p, enum in prefixed.items() for v in enum if p + v not in page]
        missing += [str(v) for enum in plain for v in enum if v not in document]
        assert missing == [], lang
