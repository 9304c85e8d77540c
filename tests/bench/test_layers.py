"""bench.layers: a py-spy sample is charged to the layer of its deepest frame that a
layer owns, so that our send() called from inside the app counts as the server's."""

from __future__ import annotations

from pathlib import Path

from bench.layers import APP, LOOP, OTHER, SERVER, layer, read_raw

APP_CALL = "Route.handle (starlette/routing.py:276)"
SEND = "DirectRequest.start (twisted_host/http/direct.py:201)"
RUN = "AsyncioSelectorReactor.run (twisted/internet/asyncioreactor.py:257)"


def test_the_deepest_owned_frame_decides() -> None:
    assert layer([RUN, APP_CALL]) == APP
    assert layer([RUN, APP_CALL, SEND]) == SERVER
    assert layer(["Runner.run (asyncio/runners.py:118)"]) == LOOP
    assert layer([RUN, "Hello.render_GET (twisted_host/native/pages.py:40)"]) == APP
    assert layer([RUN, "Hello.render_GET (bench/anchors.py:92)"]) == APP
    # A name that merely contains a layer's folder is not in it.
    assert layer(["f (mytwisted_hosts/x.py:1)"]) == OTHER


def test_raw_output_sums_per_layer(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(f"{RUN};{APP_CALL} 3\n{RUN};{APP_CALL};{SEND} 2\n{RUN} 5\n")
    assert read_raw(raw) == {APP: 3, SERVER: 7}
