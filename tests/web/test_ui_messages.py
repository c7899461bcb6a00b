"""Field messages on German admin pages."""

from decimal import Decimal

import pytest
from pydantic import BaseModel, EmailStr, Field, ValidationError

from backend.web.forms import field_message


class Sample(BaseModel):
    title: str = Field(min_length=3, max_length=5)
    weeks: int = Field(ge=1, le=104)
    fee: Decimal = Field(decimal_places=2)
    email: EmailStr


def messages(values: dict, lang: str = "de") -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(values)
    return {str(e["loc"][0]): field_message(e, lang) for e in caught.value.errors(include_url=False)}


def test_constraints_are_worded_in_german_with_their_limits() -> None:
    found = messages({"title": "ab", "weeks": 105, "fee": "1.234", "email": "nein"})
    assert found == {
        "title": "Mindestens 3 Zeichen.",
        "weeks": "Darf höchstens 104 sein.",
        "fee": "Höchstens 2 Nachkommastellen.",
        "email": "Bitte eine gültige E-Mail-Adresse eingeben.",
    }
    assert messages({"title": "abcdef", "weeks": 0, "fee": "x", "email": "a@b.de"}) == {
        "title": "Höchstens 5 Zeichen.",
        "weeks": "Muss mindestens 1 sein.",
        "fee": "Bitte eine Zahl eingeben (z. B. 1.234,50).",
    }


def test_english_pages_keep_pydantics_words() -> None:
    assert messages({"weeks": 0, "fee": "1", "email": "a@b.de", "title": "abc"}, "en") == {
        "weeks": "Input should be greater than or equal to 1",
    }


def test_days_and_months_ahead_are_refused_in_german() -> None:
    from datetime import timedelta

    from backend.domains.pilots.aftercare_models import RunCostCreate
    from backend.domains.pilots.models import MeasurementCreate
    from backend.kernel.time import today

    ahead = (today() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as caught:
        MeasurementCreate.model_validate({"kpi_id": 1, "measured_on": ahead, "value": "4"})
    (error,) = caught.value.errors(include_url=False)
    assert field_message(error, "de") == "Der Tag darf nicht in der Zukunft liegen."
    assert "still to come" in field_message(error, "en")
    with pytest.raises(ValidationError) as caught:
        RunCostCreate.model_validate({"pilot_id": 1, "month": "2099-01", "amount": "1"})
    (error,) = caught.value.errors(include_url=False)
    assert field_message(error, "de").startswith("Höchstens der laufende Monat")
