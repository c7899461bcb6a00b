"""The ASGI application for production servers: `uvicorn backend.asgi:app` (or `desk serve`)."""

from backend import logs
from backend.app import create_app
from backend.config import get_settings

_settings = get_settings()
logs.configure(_settings.log_level, _settings.log_format)
app = create_app(_settings)
