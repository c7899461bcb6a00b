"""The providers an engagement's pilots send data to, as documents print them (the result
report's privacy section; the data processing agreement names the same)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.pilots.models import Pilot, SubProcessor, SubProcessorRead
from backend.kernel.formatting import Formatter
from backend.kernel.i18n import say, words


async def processors_of(session: AsyncSession, engagement_id: int) -> list[tuple[Pilot, SubProcessor]]:
    stmt = (
        select(Pilot, SubProcessor)
        .join(SubProcessor, col(SubProcessor.pilot_id) == col(Pilot.id))
        .where(Pilot.engagement_id == engagement_id)
        .order_by(col(Pilot.id), col(SubProcessor.id))
    )
    return [(pilot, row) for pilot, row in (await session.exec(stmt)).all()]


def processor_rows(pairs: list[tuple[Pilot, SubProcessor]], lang: str, fmt: Formatter) -> list[dict[str, Any]]:
    w = words("document", lang)
    rows = []
    for pilot, row in pairs:
        read = SubProcessorRead.model_validate(row)
        if not read.personal_data:
            dpa = w["dpa_not_needed"]
        elif read.dpa_signed_on is not None:
            dpa = say("document", lang, "dpa_since", date=fmt.date(read.dpa_signed_on))
        else:
            dpa = w["dpa_missing"]
        rows.append(
            {
                "pilot": pilot.title,
                "provider": " · ".join(filter(None, (read.provider, read.service, read.model))),
                "region": f"{read.hosting_region} ({read.hosting_country})",
                "categories": ", ".join(read.data_categories),
                "personal_data": w["yes"] if read.personal_data else w["no"],
                "dpa": dpa,
                "dpa_missing": read.dpa_missing,
                "transfer": _transfer(w, read),
                "outside_eea": read.outside_eea,
                # The same in any language: what an AVV's version is compared by (flows/portal/dpa.py).
                "terms": [
                    read.provider,
                    read.service,
                    read.model,
                    read.hosting_region,
                    read.hosting_country,
                    read.data_categories,
                    read.personal_data,
                    read.transfer_mechanism,
                ],
            }
        )
    return rows


def _transfer(w: Any, read: SubProcessorRead) -> str:
    if not read.outside_eea:
        return w["transfer_eea"]
    if read.transfer_mechanism is None:  # outside the EEA, but no personal data goes there
        return w["transfer_not_needed"]
    return w[f"transfer_{read.transfer_mechanism}"]
