"""Anonymous timing rounds: how a KPI's baseline or measurement is taken so that a works council
can agree to it (§ 87 (1) no. 6 BetrVG: nothing fit to monitor a person's performance).

- One link per round, shared by everyone (a notice, a team chat): `/m/<round>.<hmac>`, signed
  (kernel/signing.py), so a forged or altered link is refused before any lookup.
- A time is stored under a random id with the day alone; it names no device and no person.
- Who took part is counted apart from the times: a device's key is the SHA-256 of the round and
  a random value only its cookie holds, and no time refers to it. The count serves the
  threshold and bounds how many times one device may send.
- A device is not a person: one person with several phones (or browsers) counts several times.
  Where that matters, a round has one-time participation codes instead: slips the works
  council hands out at random, one per person. Then a code counts, not a device (its key is
  the SHA-256 of the round and the code), whatever devices it is used on. The codes are made
  from the server's key and the round (no table of codes, nothing of who got which slip), so
  only the team that prints them and the people holding them know any.
- Nothing is shown of the times while the round is open, only how many there are. The figures
  are released, as the KPI's baseline or a measurement (n cases, mean, standard deviation — the
  spread only from SPREAD_FROM people on), only once at least `min_contributors` people took
  part; then, or when the round ends without enough of them, every time and every device key
  is deleted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Actor
from backend.domains.pilots.models import Kpi, KpiUnit, MeasurementCreate
from backend.domains.pilots.resources import measurement_service, refuse_baseline_after_measurements
from backend.domains.pilots.timing_models import (
    SECONDS_PER,
    TimingContributor,
    TimingPurpose,
    TimingRound,
    TimingSample,
    TimingStatus,
)
from backend.kernel.db import add_unless_taken, hold
from backend.kernel.errors import Conflict, DomainError, Gone, Invalid, NotFound
from backend.kernel.signing import sign, verify

TIMING = "timing-round"
# Below this many people a round releases its mean alone: with its spread too, each of three
# people could work out the other two times exactly from their own.
SPREAD_FROM = 5
# What one device may send to one round, and a round in all: a leaked link fills no database.
MOST_PER_DEVICE = 50
MOST_PER_ROUND = 5000
LONGEST_TASK_SECONDS = 12 * 3600


# ASCII digits only: `\d` would take any script's (full-width, mathematical) digits.
_TIME = re.compile(r"^(?:([0-9]{1,2}):)?([0-9]{1,3}):([0-5][0-9])$")
_MINUTES = re.compile(r"^[0-9]{1,3}(?:[.,][0-9]{1,2})?$")


def parse_times(text: str) -> list[int]:
    """Times as a phone sends them or a person types them, one per line (or separated by
    spaces or semicolons): `m:ss`, `h:mm:ss`, or minutes (`7`, `7,5`). In seconds."""
    found: list[int] = []
    for part in re.split(r"[\s;]+", text.strip()):
        if not part:
            continue
        if (clock := _TIME.match(part)) is not None:
            hours, minutes, seconds = (int(g) if g else 0 for g in clock.groups())
            found.append(hours * 3600 + minutes * 60 + seconds)
        elif _MINUTES.match(part):
            found.append(round(Decimal(part.replace(",", ".")) * 60))
        else:
            raise Invalid.field(
                "times", f"'{part[:20]}' is no time (m:ss or minutes)", key="timing_unreadable", part=part[:20]
            )
        if len(found) > MOST_PER_DEVICE:
            break
    return found


def round_path(secret: str, row: TimingRound) -> str:
    return f"/m/{sign(secret, TIMING, row.id)}"


async def open_round(session: AsyncSession, secret: str, token: str, today: date) -> TimingRound:
    """The round a link stands for, while it takes times; else a refusal that says why."""
    numbers = verify(secret, TIMING, token, 1)
    if numbers is None:
        raise NotFound("this timing link is not valid", key="timing_invalid")
    row = await session.get(TimingRound, numbers[0])
    if row is None:
        raise NotFound("this timing link is not valid", key="timing_invalid")
    if row.status != TimingStatus.open or row.closes_on < today:
        raise Gone("this timing round has ended", key="timing_ended")
    return row


async def task_of(session: AsyncSession, row: TimingRound) -> tuple[str, str, KpiUnit]:
    """What the stopwatch page names: the KPI, the task, and the KPI's unit."""
    kpi = await session.get(Kpi, row.kpi_id)
    assert kpi is not None  # the round goes with its KPI (ON DELETE CASCADE)
    return kpi.name, row.task, kpi.unit


def device_key(round_id: int, device_secret: str) -> str:
    return hashlib.sha256(f"{round_id}:{device_secret}".encode()).hexdigest()


def participation_codes(secret: str, row: TimingRound) -> list[str]:
    """The round's one-time codes, `ABCD-EFGH` (40 bits each: not to be guessed), from the
    server's key and the round alone."""
    codes = []
    for number in range(row.codes):
        digest = hmac.new(secret.encode(), f"timing-code:{row.id}:{number}".encode(), hashlib.sha256).digest()
        text = base64.b32encode(digest[:5]).decode()
        codes.append(f"{text[:4]}-{text[4:]}")
    return codes


def normal_code(typed: str) -> str:
    """A code as typed: any case, spaces or dashes, and 0/1/8 read as the O/I/B they look like."""
    kept = re.sub(r"[^A-Za-z0-9]", "", typed[:40]).upper().translate(str.maketrans("018", "OIB"))
    return f"{kept[:4]}-{kept[4:]}" if len(kept) == 8 else kept


def code_key(secret: str, row: TimingRound, typed: str) -> str:
    """The contributor key of a valid code of the round; a code it does not have is refused."""
    code = normal_code(typed)
    if not code:
        raise Invalid.field("code", "type the participation code from your slip", key="timing_code_missing")
    if not any(hmac.compare_digest(code, known) for known in participation_codes(secret, row)):
        raise Invalid.field("code", "this is not a participation code of this round", key="timing_code_unknown")
    return hashlib.sha256(f"{row.id}:code:{code}".encode()).hexdigest()


def check_times(seconds: list[int]) -> None:
    """At least one time, each between a second and twelve hours."""
    if not seconds:
        raise Invalid.field("times", "time at least one task", key="timing_none")
    if any(not 1 <= s <= LONGEST_TASK_SECONDS for s in seconds):
        raise Invalid.field("times", "a time lies between one second and twelve hours", key="timing_range")


async def took_part(session: AsyncSession, key: str) -> bool:
    """Whether this contributor (device or code) sent times to the round before."""
    return await session.get(TimingContributor, key) is not None


async def add_times(session: AsyncSession, row: TimingRound, key: str, seconds: list[int], today: date) -> TimingRound:
    """Store one contributor's timed tasks in an open round (`key`: `device_key` or `code_key`);
    returns the round with its new counts."""
    check_times(seconds)
    # One writer per round at a time (row lock; SQLite: its write lock): the counts, the
    # per-device bound and a release at the same moment see each other.
    await hold(session, TimingRound, [row.id])
    await session.refresh(row)
    if row.status != TimingStatus.open or row.closes_on < today:
        raise Gone("this timing round has ended", key="timing_ended")
    if row.samples + len(seconds) > MOST_PER_ROUND:
        raise Conflict("this round has all the times it can take", key="timing_full")
    new = await add_unless_taken(session, TimingContributor(key=key, round_id=row.id, samples=len(seconds)))
    if new is None:
        taken = await session.exec(
            update(TimingContributor)
            .where(
                col(TimingContributor.key) == key,
                col(TimingContributor.samples) + len(seconds) <= MOST_PER_DEVICE,
            )
            .values(samples=TimingContributor.samples + len(seconds))
        )
        if taken.rowcount != 1:
            raise Conflict(
                f"one device sends at most {MOST_PER_DEVICE} times to a round",
                key="timing_device_full",
                n=MOST_PER_DEVICE,
            )
    elif len(seconds) > MOST_PER_DEVICE:
        raise Conflict(
            f"one device sends at most {MOST_PER_DEVICE} times to a round", key="timing_device_full", n=MOST_PER_DEVICE
        )
    for value in seconds:
        session.add(TimingSample(id=uuid.uuid4().hex, round_id=row.id, seconds=value, taken_on=today))
    # Counts only: neither the version nor the time of change moves, so the round keeps no trace
    # of when anyone sent (and the team's edit of its task is not refused for it).
    row.contributors += 1 if new is not None else 0
    row.samples += len(seconds)
    await session.flush()
    return row


@dataclass(frozen=True)
class Figures:
    """A released round's figures in the KPI's unit."""

    cases: int
    mean: Decimal
    std_dev: Decimal


# What a stopwatch can tell: tenths of a minute (6 seconds), hundredths of an hour (36 seconds).
PLACES = {KpiUnit.minutes: Decimal("0.1"), KpiUnit.hours: Decimal("0.01")}


def figures(seconds: list[int], unit: KpiUnit) -> Figures:
    """n, the mean and the sample standard deviation (n - 1), converted from seconds."""
    n = len(seconds)
    mean = sum(seconds) / n
    spread = math.sqrt(sum((s - mean) ** 2 for s in seconds) / (n - 1)) if n > 1 else 0.0
    per, places = SECONDS_PER[unit], PLACES[unit]
    return Figures(
        n,
        (Decimal(repr(mean)) / per).quantize(places, ROUND_HALF_UP),
        (Decimal(repr(spread)) / per).quantize(places, ROUND_HALF_UP),
    )


async def release(session: AsyncSession, actor: Actor, row: TimingRound, now: datetime) -> TimingRound:
    """Turn an open round with enough people into its KPI's baseline or a measurement, and
    delete its times and device keys. Refused below the threshold."""
    await _hold_open(session, row)
    if row.contributors < row.min_contributors:
        raise Conflict(
            f"{row.contributors} of the {row.min_contributors} people needed took part: "
            "the figures stay closed until enough have",
            key="timing_too_few",
            n=row.contributors,
            k=row.min_contributors,
        )
    kpi = await session.get(Kpi, row.kpi_id)
    assert kpi is not None
    if kpi.unit not in SECONDS_PER:  # the KPI's unit was changed since the round began
        raise Conflict(
            f"this KPI now counts {kpi.unit}: a stopwatch's times cannot become its figures; cancel the round",
            key="timing_unit_changed",
            unit=kpi.unit,
        )
    if row.purpose == TimingPurpose.baseline:
        await refuse_baseline_after_measurements(session, kpi.id)
    stored = (await session.exec(select(TimingSample.seconds).where(TimingSample.round_id == row.id))).all()
    result = figures(list(stored), kpi.unit)
    spread = result.std_dev if row.contributors >= SPREAD_FROM else None
    method = (
        f"Anonyme Stoppuhr-Messung (Runde {row.id}): {result.cases} Zeiten von {row.contributors} Personen, "
        f"bis {now.date():%d.%m.%Y}"
    )
    before = snapshot(row)
    if row.purpose == TimingPurpose.baseline:
        await _set_baseline(session, actor, kpi, result, spread, method, now)
    else:
        measurement = await measurement_service.create(
            session,
            actor,
            MeasurementCreate(
                kpi_id=kpi.id,
                measured_on=now.date(),
                value=result.mean,
                sample_size=result.cases,
                std_dev=spread,
                note=method,
            ),
        )
        row.measurement_id = measurement.id
    await _end(session, actor, row, TimingStatus.released, before, now)
    return row


async def cancel(session: AsyncSession, actor: Actor, row: TimingRound, now: datetime) -> TimingRound:
    """End an open round without releasing anything; its times are deleted."""
    await _hold_open(session, row)
    await _end(session, actor, row, TimingStatus.cancelled, snapshot(row), now)
    return row


async def end_due(session: AsyncSession, today: date, now: datetime) -> dict[str, int]:
    """Rounds past their last day: released if enough people took part, else lapsed with their
    times deleted. Run nightly; a round already ended is left alone, so a rerun does nothing."""
    due = select(TimingRound.id).where(TimingRound.status == TimingStatus.open, col(TimingRound.closes_on) < today)
    done = {"released": 0, "lapsed": 0}
    for round_id in (await session.exec(due.order_by(col(TimingRound.id)))).all():
        row = await session.get(TimingRound, round_id)
        assert row is not None
        await hold(session, TimingRound, [row.id])
        await session.refresh(row)
        if row.status != TimingStatus.open:
            continue
        released = False
        if row.contributors >= row.min_contributors:
            try:
                async with session.begin_nested():
                    await release(session, None, row, now)
                released = True
            except (DomainError, SQLAlchemyError):
                # It cannot become figures (see release), or its figures could not be stored:
                # its times go all the same, and the other rounds still end tonight.
                await session.refresh(row)
        if released:
            done["released"] += 1
        else:
            await _end(session, None, row, TimingStatus.lapsed, snapshot(row), now)
            done["lapsed"] += 1
    return done


async def _hold_open(session: AsyncSession, row: TimingRound) -> None:
    """Hold the round (one ending at a time, and none while times are added) and refuse it ended."""
    await hold(session, TimingRound, [row.id])
    await session.refresh(row)
    if row.status != TimingStatus.open:
        raise Conflict(f"this timing round has ended ({row.status})", key="timing_round_ended")


# The audit action of each way a round ends.
_ENDED_BY = {TimingStatus.released: "release", TimingStatus.cancelled: "cancel", TimingStatus.lapsed: "lapse"}


async def _end(
    session: AsyncSession, actor: Actor, row: TimingRound, status: TimingStatus, before: Any, now: datetime
) -> None:
    """Delete the round's times and device keys, mark it ended, and record how (`before`: the
    round as it was before the ending changed it)."""
    await session.exec(delete(TimingSample).where(col(TimingSample.round_id) == row.id))
    await session.exec(delete(TimingContributor).where(col(TimingContributor.round_id) == row.id))
    row.status = status
    row.ended_at = now
    row.version += 1
    row.updated_at = now
    await session.flush()
    await record(
        session,
        actor=actor,
        action=_ENDED_BY[status],
        entity_type="timing_round",
        entity_id=row.id,
        before=before,
        after=snapshot(row),
    )


async def _set_baseline(
    session: AsyncSession, actor: Actor, kpi: Kpi, result: Figures, spread: Decimal | None, method: str, now: datetime
) -> None:
    before = snapshot(kpi)
    kpi.baseline_value = result.mean
    kpi.baseline_sample_size = result.cases
    kpi.baseline_std_dev = spread
    kpi.baseline_method = method
    kpi.baseline_date = now.date()
    kpi.version += 1
    kpi.updated_at = now
    await session.flush()
    await record(
        session, actor=actor, action="update", entity_type="kpi", entity_id=kpi.id, before=before, after=snapshot(kpi)
    )


async def rounds_of(session: AsyncSession, kpi_ids: list[int], *, ended: int = 3) -> dict[int, list[TimingRound]]:
    """Per KPI its open rounds and the last few ended ones, newest first (the pilot page)."""
    stmt = select(TimingRound).where(col(TimingRound.kpi_id).in_(kpi_ids)).order_by(col(TimingRound.id).desc())
    found: dict[int, list[TimingRound]] = {k: [] for k in kpi_ids}
    shown_ended: dict[int, int] = {}
    for row in (await session.exec(stmt)).all():
        if row.status != TimingStatus.open:
            shown_ended[row.kpi_id] = shown_ended.get(row.kpi_id, 0) + 1
            if shown_ended[row.kpi_id] > ended:
                continue
        found[row.kpi_id].append(row)
    return found
