"""What every page gets: its language (a cookie, German by default), its words from the catalog,
a formatter, the badge colour of each state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.datastructures import Cookie

from backend.kernel import i18n
from backend.kernel.errors import TooManyRequests
from backend.kernel.formatting import Formatter
from backend.kernel.time import today
from backend.web.handlers import AppRequest

LANG_COOKIE = "desk_lang"

# Badge colour of every state shown on a page (app.css: green, amber, red, accent).
TONE = {
    "draft": "",
    "proposed": "accent",
    "active": "green",
    "completed": "accent",
    "cancelled": "red",
    "planned": "",
    "in_progress": "accent",
    "in_review": "amber",
    "delivered": "accent",
    "accepted": "green",
    "rejected": "red",
    "idea": "",
    "prototype": "accent",
    "pilot": "amber",
    "production": "green",
    "stopped": "red",
    "queued": "amber",
    "rendering": "amber",
    "ready": "green",
    "failed": "red",
    "awaiting_approval": "amber",
    "pending": "amber",
    "sending": "amber",
    "sent": "green",
    "bounced": "red",
    "green": "green",
    "amber": "amber",
    "red": "red",
    "invoice_draft": "",
    "invoice_issued": "accent",
    "invoice_sent": "amber",
    "invoice_paid": "green",
    "invoice_cancelled": "red",
}


def language_of(request: AppRequest) -> str:
    """The language the reader chose (cookie), else the one a link brought (`?lang=`, as in the
    portal's sign-in mail), else German."""
    return i18n.norm_lang(request.cookies.get(LANG_COOKIE) or request.query_params.get("lang"))


def language_cookie(lang: str) -> Cookie:
    return Cookie(key=LANG_COOKIE, value=lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)


def try_again(t: Any, refusal: TooManyRequests) -> str:
    """When to try again after a 429, in words ("in einer Minute", "in 15 Minuten")."""
    minutes = max(1, -(-int((refusal.headers or {}).get("Retry-After", "60")) // 60))
    return t("in_minutes", n=minutes)


def page_context(request: AppRequest, **values: Any) -> dict[str, Any]:
    """What every page template gets: the language, its words, a formatter, the user."""
    lang = language_of(request)
    ui, data_words = i18n.words("page", lang), i18n.words("document", lang)

    def t(key: str, **args: Any) -> str:
        """A page word, else the documents' label of an enum value, else the key itself."""
        entry = ui.get(key, data_words.get(key))
        return key if entry is None else i18n.fill(entry, args)

    fmt = Formatter(lang)

    def progress(engagement: Any) -> str:
        """Where an engagement stands today: "Woche 3 von 8", or when it starts or ended."""
        week = engagement.week_number(today())
        if week < 1:
            return t("starts_on", date=fmt.date(engagement.start_date))
        if week > engagement.duration_weeks:
            last = engagement.start_date + timedelta(weeks=engagement.duration_weeks, days=-1)
            return t("ended_on", date=fmt.date(last))
        return t("week_n_of_m", n=week, m=engagement.duration_weeks)

    # Sign-in pages run without authentication, where the scope has no user at all.
    user = request.scope.get("user")
    return {"lang": lang, "t": t, "fmt": fmt, "progress": progress, "tone": TONE, "user": user, **values}
