"""What a race asks for (feature, requests, seconds), checked against the caps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.busy import parse_seconds
from core.contract import FEATURES, FEATURES_BY_NAME, Feature
from core.errors import ClientError
from core.settings import Settings

# Every feature a plain GET answers (a WebSocket wants an upgrade, not a GET to time);
# the busy ones first, they are what races are for.
_GETTABLE = [
    f for f in FEATURES if (not f.methods or "GET" in f.methods) and f.name != "ws"
]
RACE_FEATURES: tuple[Feature, ...] = tuple(
    sorted(_GETTABLE, key=lambda f: not f.path.startswith("/busy"))
)
DEFAULT_FEATURE = "busy"
DEFAULT_REQUESTS = 12
DEFAULT_SECONDS = 1.0


def takes_seconds(feature: Feature) -> bool:
    return feature.path.startswith("/busy")


@dataclass(frozen=True)
class RaceSpec:
    feature: Feature
    requests: int
    seconds: float

    @property
    def path(self) -> str:
        """What every mount is sent, under its prefix."""
        if takes_seconds(self.feature):
            return f"{self.feature.path}?seconds={self.seconds:g}"
        return self.feature.example

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature.name,
            "requests": self.requests,
            "seconds": self.seconds if takes_seconds(self.feature) else None,
            "path": self.path,
        }


def parse_spec(fields: dict[str, str], settings: Settings) -> RaceSpec:
    """The race a form asks for; 400 (a ClientError) for anything off the menu."""
    name = fields.get("feature", DEFAULT_FEATURE)
    feature = FEATURES_BY_NAME.get(name)
    if feature is None or feature not in RACE_FEATURES:
        raise ClientError(400, f"no feature {name!r} to race")
    limit = settings.race_max_requests
    raw = fields.get("requests", str(DEFAULT_REQUESTS))
    if not raw.isdigit() or not 1 <= int(raw) <= limit:
        raise ClientError(400, f"requests must be a whole number from 1 to {limit}")
    seconds = parse_seconds(
        fields.get("seconds"),
        default=min(DEFAULT_SECONDS, settings.race_max_seconds),
        limit=min(settings.race_max_seconds, settings.busy_max),
    )
    return RaceSpec(feature, int(raw), seconds)
