"""Finding and replacing a person's name and address in text and JSON (kernel/redaction.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.kernel.mail import OutboxMailer, PermanentMailError
from backend.kernel.redaction import ERASED_NAME, Redactor, erased_email, is_erased_email
from tests.kernel.test_mail import simple_message

PLACEHOLDER = erased_email("contact", 7)


def redactor() -> Redactor:
    return Redactor(["Anna Schmidt", "Özlem Yıldız", "Li"], ["anna.schmidt@kunde.de"], PLACEHOLDER)


def test_the_whole_name_in_any_case_and_spacing_is_replaced() -> None:
    r = redactor()
    assert r.text("Rückruf mit ANNA  SCHMIDT am Montag") == f"Rückruf mit {ERASED_NAME} am Montag"
    assert r.text("anna schmidt, Özlem Yıldız.") == f"{ERASED_NAME}, {ERASED_NAME}."
    assert r.text("Mail an Anna.Schmidt@Kunde.de bitte") == f"Mail an {PLACEHOLDER} bitte"


def test_other_people_and_parts_of_words_stay() -> None:
    r = redactor()
    for text in ("Johanna Schmidtke", "Anna Schmidt-Weber", "Anna", "Schmidt", "hanna.schmidt@kunde.de", "Li Wang"):
        assert r.text(text) == text
    # A name of one word is too often an ordinary word: not searched for in text.
    assert r.text("Li") == "Li"
    role = Redactor(["Support"], [], PLACEHOLDER)
    assert role.text("support") == "support" and role.empty


def test_the_ways_a_name_is_written_are_found() -> None:
    r = Redactor(["Jürgen Weiß"], ["j.weiss@kunde.de"], PLACEHOLDER, phones=["+49 7361 55860-10"])
    decomposed = "Ju\u0308rgen Weiß"
    for written in (
        "JÜRGEN WEIß",
        decomposed,
        "Jürgen Wei\u00adß",
        "Juergen Weiss",
        "Weiß, Jürgen",
        "Herr Weiß",
        "Hr. Weiss",
    ):
        assert ERASED_NAME in r.text(f"Rückruf: {written}."), written
    assert r.text("Tel. +49 7361 55860-10") == f"Tel. {ERASED_NAME}"
    # A record that named the person loses its other details of them too.
    assert r.value({"name": "Jürgen Weiß", "position": "Einkauf", "city": "Aalen"}) == {
        "name": ERASED_NAME,
        "position": None,
        "city": "Aalen",
    }
    assert "rgen" in r.needles()  # finds JÜRGEN in SQLite, whose lower() leaves Ü as it is


def test_json_values_are_walked_and_keys_kept() -> None:
    r = redactor()
    value = {
        "contact": {"name": "Anna Schmidt", "email": "anna.schmidt@kunde.de"},
        "list": ["x", "Anna Schmidt"],
        "n": 3,
    }
    assert r.value(value) == {
        "contact": {"name": ERASED_NAME, "email": PLACEHOLDER},
        "list": ["x", ERASED_NAME],
        "n": 3,
    }
    assert r.names_in(value) and not r.names_in({"name": "Jana Vogt"})


def test_needles_cover_json_escapes_and_a_plain_word() -> None:
    needles = redactor().needles()
    assert "anna.schmidt@kunde.de" in needles
    assert "schmidt" in needles  # the longest plain-ASCII run of the name
    assert "zlem" in needles  # of Özlem Yıldız: SQLite's lower() folds only ASCII


def test_erased_addresses_are_recognised() -> None:
    assert is_erased_email(PLACEHOLDER)
    assert not is_erased_email("anna@erased.example.de") and not is_erased_email(None)


async def test_no_mail_goes_to_an_erased_address(tmp_path: Path) -> None:
    message = simple_message(to=PLACEHOLDER)
    with pytest.raises(PermanentMailError, match="erased"):
        await OutboxMailer(tmp_path).send(message)
    assert not list(tmp_path.iterdir())
