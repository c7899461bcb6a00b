"""The serving supervisor: starts the server processes and watches them, and holds nothing of
the app. `desk serve` checks the settings with the full configuration, then replaces itself
with this module (`os.execv`), so the one process that lives as long as the service keeps only
Python and uvicorn in memory (about 27 MiB instead of about 95 with the backend imported).

    python -m backend.server.supervise HOST PORT WORKERS FORWARDED_ALLOW_IPS
"""

from __future__ import annotations

import sys

import uvicorn


def main(host: str, port: str, workers: str, forwarded_allow_ips: str) -> None:
    uvicorn.run(
        # Each server process imports the app itself (backend.server.asgi sets up its logging).
        "backend.server.asgi:app",
        host=host,
        port=int(port),
        workers=int(workers),
        loop="uvloop",
        http="httptools",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        # The access log is ours (backend.kernel.logs), with masked paths.
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
