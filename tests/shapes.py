"""Request bodies the test worlds share (tests/factories.py, tests/fuzz_world.py); no imports
of the test machinery, so the fuzzing benchmark can use them too."""

from __future__ import annotations

from typing import Any


def start_assessment(client_id: int, engagement_id: int, **more: Any) -> dict[str, Any]:
    """An AI-readiness assessment at the start of an engagement (a low one: 5 of 20)."""
    return {
        "client_id": client_id,
        "engagement_id": engagement_id,
        "phase": "start",
        "assessed_on": "2026-11-02",
        "priorities": 1,
        "responsibility": 2,
        "people_enabled": 1,
        "pilots_in_production": 0,
        "kpi_practice": 1,
        **more,
    }
