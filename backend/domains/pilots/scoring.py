"""Ranking of use-case ideas from workshops."""

from typing import Any

from backend.domains.pilots.models import UseCaseIdea


def idea_score(*, impact: int, effort: int, data_readiness: int) -> int:
    """Priority 0–100 from the three 1–5 workshop scores.

    score = 100 × (0.5·(impact − 1) + 0.3·(data_readiness − 1) + 0.2·(5 − effort)) / 4

    Impact weighs most because a pilot must prove savings quickly; data readiness next because
    without data there is no pilot within weeks; low effort last. Integer arithmetic with the
    half rounded up keeps it exact: (50·(i−1) + 30·(d−1) + 20·(5−e) + 2) // 4.
    """
    points = 50 * (impact - 1) + 30 * (data_readiness - 1) + 20 * (5 - effort)
    return (points + 2) // 4


def scored_idea(*, impact: int, effort: int, data_readiness: int, **values: Any) -> UseCaseIdea:
    """An idea row with its score worked out (for rows made without the API, as the demo's)."""
    score = idea_score(impact=impact, effort=effort, data_readiness=data_readiness)
    return UseCaseIdea(impact=impact, effort=effort, data_readiness=data_readiness, score=score, **values)
