"""The ASGI application for production servers: `uvicorn backend.server.asgi:app` (or `desk serve`)."""

import gc

from backend.kernel import logs
from backend.kernel.config import get_settings
from backend.server.app import create_app

_settings = get_settings()
logs.configure(_settings.log_level, _settings.log_format)
app = create_app(_settings)
# Everything made so far (modules, schemas, routes) lives as long as the process: keep it out
# of the collector's way, so a full collection stays short and does not show up as a latency spike.
gc.collect()
gc.freeze()
