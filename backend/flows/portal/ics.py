"""Workshops as iCalendar (RFC 5545) files, so clients put them into Outlook with one click."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.domains.workshops.models import Workshop


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + (75 if not parts else 74), len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode())
        start = end
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def workshop_calendar(workshop: Workshop, *, domain: str, organizer: str, brand: str, url: str | None = None) -> str:
    description = "\n\n".join(part for part in (workshop.agenda, workshop.video_url) if part)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{_escape(brand)}//Engagement Desk//DE",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:workshop-{workshop.id}@{domain}",
        f"DTSTAMP:{_stamp(workshop.updated_at)}",
        # The row's version makes calendars replace an older copy of a moved workshop.
        f"SEQUENCE:{workshop.version - 1}",
        f"DTSTART:{_stamp(workshop.starts_at)}",
        f"DTEND:{_stamp(workshop.ends_at)}",
        f"SUMMARY:{_escape(workshop.title)}",
        # A parameter value is quoted, not backslash-escaped; it may not contain a quote.
        f'ORGANIZER;CN="{brand.replace(chr(34), "")}":mailto:{organizer}',
    ]
    if workshop.location:
        lines.append(f"LOCATION:{_escape(workshop.location)}")
    if description:
        lines.append(f"DESCRIPTION:{_escape(description)}")
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
