"""Anonymous feedback on a workshop: one answer per participant who attended, with no row that
ties an answer to a person.

An attendance issues one ballot: the SHA-256 of a secret derived from the workshop and the
participant with the server's key (so the link can be shown on the check-in page or mailed
later without being stored). The ballot row names only the workshop. Answering deletes the
ballot and stores the answer, in one transaction, under a random id with the day alone; the
answer names no ballot. The attendance keeps only that its ballot was issued. The workshop's
score is the mean of the answers once there are three (with fewer it would be one person's).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.literacy.models import Attendance, FeedbackAnswer, FeedbackBallot
from backend.domains.workshops.models import Workshop
from backend.kernel.db import add_unless_taken
from backend.kernel.errors import Conflict, Gone, NotFound
from backend.kernel.schema import Strict
from backend.kernel.signing import mac

BALLOT = "feedback-ballot"
# Answers open when the workshop starts and close this long after it ended.
OPEN_FOR = timedelta(days=30)
# Below this many answers the figures and comments are withheld: with two, each answerer could
# tell the other's answer.
SHOWN_FROM = 3
QUESTIONS = ("relevance", "clarity", "applicability", "overall")


def ballot_secret(secret_key: str, workshop_id: int, participant_id: int) -> str:
    return mac(secret_key, BALLOT, f"{workshop_id}.{participant_id}")


def ballot_token(secret_key: str, workshop_id: int, participant_id: int) -> str:
    """What the feedback link carries: the workshop and the ballot's secret."""
    return f"{workshop_id}.{ballot_secret(secret_key, workshop_id, participant_id)}"


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue_ballot(session: AsyncSession, row: Attendance, secret_key: str) -> None:
    """Give an attendance its one ballot, if it has none yet (a compare-and-set on the flag)."""
    if row.ballot_issued:
        return
    taken = await session.exec(
        update(Attendance)
        .where(col(Attendance.id) == row.id, col(Attendance.ballot_issued).is_(False))
        .values(ballot_issued=True)
    )
    row.ballot_issued = True
    if taken.rowcount != 1:
        return
    secret = ballot_secret(secret_key, row.workshop_id, row.participant_id)
    await add_unless_taken(session, FeedbackBallot(key=_key(secret), workshop_id=row.workshop_id))


async def withdraw_ballot(session: AsyncSession, row: Attendance, secret_key: str) -> None:
    """Take back an attendance's ballot while it is unused (the person was not there after all);
    the flag stays, so the ballot is not issued a second time."""
    if not row.ballot_issued:
        return
    secret = ballot_secret(secret_key, row.workshop_id, row.participant_id)
    await session.exec(delete(FeedbackBallot).where(col(FeedbackBallot.key) == _key(secret)))


class FeedbackForm(Strict):
    relevance: int = Field(ge=1, le=5, description="Relevant to my work (1–5)")
    clarity: int = Field(ge=1, le=5, description="Clearly explained (1–5)")
    applicability: int = Field(ge=1, le=5, description="I can apply it tomorrow (1–5)")
    overall: int = Field(ge=1, le=5, description="Overall (1–5)")
    comment: str | None = Field(default=None, max_length=2000)

    @field_validator("comment")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


def _parse(token: str) -> tuple[int, str] | None:
    head, _, secret = token.partition(".")
    if not head.isascii() or not head.isdigit() or len(head) > 18 or not 20 <= len(secret) <= 64:
        return None
    return int(head), secret


async def open_ballot(session: AsyncSession, token: str, now: datetime) -> Workshop:
    """The workshop an unused ballot is for, while answers are open; else why not."""
    parsed = _parse(token)
    if parsed is None:
        raise NotFound("this feedback link is not valid", key="feedback_invalid")
    workshop_id, secret = parsed
    found = (
        await session.exec(
            select(FeedbackBallot.workshop_id).where(
                FeedbackBallot.key == _key(secret), FeedbackBallot.workshop_id == workshop_id
            )
        )
    ).first()
    if found is None:
        raise Gone("this feedback link was used already or is not valid", key="feedback_used")
    workshop = await session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound("this feedback link is not valid", key="feedback_invalid")
    if now < workshop.starts_at:
        raise Conflict("feedback opens when the workshop starts", key="feedback_not_yet")
    if now > workshop.ends_at + OPEN_FOR:
        raise Gone("feedback on this workshop has closed", key="feedback_closed")
    return workshop


async def answer(session: AsyncSession, token: str, form: FeedbackForm, now: datetime, on: date) -> None:
    workshop = await open_ballot(session, token, now)
    _, secret = _parse(token) or (0, "")
    used = await session.exec(
        delete(FeedbackBallot).where(
            col(FeedbackBallot.key) == _key(secret), col(FeedbackBallot.workshop_id) == workshop.id
        )
    )
    if used.rowcount != 1:  # the same ballot answered a moment ago
        raise Gone("this feedback link was used already", key="feedback_used")
    session.add(FeedbackAnswer(id=uuid.uuid4().hex, workshop_id=workshop.id, submitted_on=on, **form.model_dump()))
    await session.flush()
    answers = select(func.count(), func.avg(FeedbackAnswer.overall)).where(FeedbackAnswer.workshop_id == workshop.id)
    count, mean = (await session.exec(answers)).one()
    if count >= SHOWN_FROM:  # below, the score would be one person's answer (a typed score stays)
        score = Decimal(str(mean)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        await session.exec(update(Workshop).where(col(Workshop.id) == workshop.id).values(feedback_score=score))


@dataclass(frozen=True)
class FeedbackSummary:
    workshop_id: int
    answers: int
    ballots_open: int
    shown: bool  # False below SHOWN_FROM answers: figures and comments withheld
    means: dict[str, Decimal] | None
    overall_counts: dict[int, int] | None
    comments: list[str] | None


def _mean(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


async def summary(session: AsyncSession, workshop_id: int) -> FeedbackSummary:
    columns = [func.avg(getattr(FeedbackAnswer, q)) for q in QUESTIONS]
    row: Any = (
        await session.exec(select(func.count(), *columns).where(FeedbackAnswer.workshop_id == workshop_id))
    ).one()
    n = row[0]
    ballots = (
        await session.exec(
            select(func.count()).select_from(FeedbackBallot).where(FeedbackBallot.workshop_id == workshop_id)
        )
    ).one()
    if n < SHOWN_FROM:
        return FeedbackSummary(workshop_id, n, ballots, False, None, None, None)
    counts = dict(
        (
            await session.exec(
                select(FeedbackAnswer.overall, func.count())
                .where(FeedbackAnswer.workshop_id == workshop_id)
                .group_by(col(FeedbackAnswer.overall))
            )
        ).all()
    )
    # In the order of their text, so the order says nothing about who wrote when.
    comments = (
        await session.exec(
            select(FeedbackAnswer.comment)
            .where(FeedbackAnswer.workshop_id == workshop_id, col(FeedbackAnswer.comment).is_not(None))
            .order_by(FeedbackAnswer.comment)
        )
    ).all()
    return FeedbackSummary(
        workshop_id,
        n,
        ballots,
        True,
        {q: _mean(v) for q, v in zip(QUESTIONS, row[1:], strict=True)},
        {score: counts.get(score, 0) for score in range(1, 6)},
        [c for c in comments if c],
    )
