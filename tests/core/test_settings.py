"""Settings travel to the uvicorn child as JSON: the round trip, and defaults for
what the JSON leaves out."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings


def test_round_trip() -> None:
    settings = Settings(wsgi_threads=3, static_children={"x": Path("/tmp")})
    assert Settings.from_json(settings.to_json()) == settings


def test_fields_left_out_keep_their_defaults() -> None:
    assert Settings.from_json("{}") == Settings()
    assert Settings.from_json('{"busy_max": 2}') == Settings(busy_max=2)


def test_round_trip_of_the_hosting_fields() -> None:
    settings = Settings(
        resource_apps=("/r=m:r",),
        reload_dirs=("src",),
        reload_includes=("*.html",),
        reload_excludes=("*.tmp",),
        dashboard=None,
        admin_port=9000,
        root_path="/api",
    )
    assert Settings.from_json(settings.to_json()) == settings
