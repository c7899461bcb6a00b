"""The ASGI application for production servers: `uvicorn backend.server.asgi:app` (or `desk serve`)."""

import gc
from multiprocessing import parent_process

from backend.kernel import logs
from backend.kernel.config import get_settings
from backend.kernel.processes import die_with_parent
from backend.server.app import create_app

# A server process of `desk serve --workers N` ends with its supervisor, however that ends (a
# SIGKILL too): it must not go on serving the port, orphaned, where a new start cannot bind.
if (supervisor := parent_process()) is not None and supervisor.pid is not None:
    die_with_parent(supervisor.pid)

_settings = get_settings()
logs.configure(_settings.log_level, _settings.log_format)
app = create_app(_settings)
# Everything made so far (modules, schemas, routes) lives as long as the process: keep it out
# of the collector's way, so a full collection stays short and does not show up as a latency spike.
gc.collect()
gc.freeze()
