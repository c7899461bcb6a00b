"""Server-rendered admin UI (Jinja + HTMX) for the consultancy team."""

from backend.flows.portal import words as portal_words
from backend.web.admin import i18n, ui_words
from backend.web.admin.clients import ClientPages
from backend.web.admin.engagements import EngagementPages
from backend.web.admin.pages import PageController
from backend.web.admin.pilots import PilotPages
from backend.web.admin.sending import SendingPages
from backend.web.portal.pages import PortalPages, SharePages

i18n.extend(ui_words.WORDS)
i18n.extend(portal_words.WORDS)

UI_CONTROLLERS = [PageController, ClientPages, EngagementPages, PilotPages, SendingPages, PortalPages, SharePages]
