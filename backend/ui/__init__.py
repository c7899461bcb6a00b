"""Server-rendered admin UI (Jinja + HTMX) for the consultancy team."""

from backend.portal import words as portal_words
from backend.portal.pages import PortalPages, SharePages
from backend.ui import i18n, ui_words
from backend.ui.clients import ClientPages
from backend.ui.engagements import EngagementPages
from backend.ui.pages import PageController
from backend.ui.pilots import PilotPages
from backend.ui.sending import SendingPages

i18n.extend(ui_words.WORDS)
i18n.extend(portal_words.WORDS)

UI_CONTROLLERS = [PageController, ClientPages, EngagementPages, PilotPages, SendingPages, PortalPages, SharePages]
