"""A race: the same burst at every target, one target after another, and the one
place that says whether a race is running (one at a time)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure

from core.errors import ClientError
from twisted_host.dashboard.race.feed import Feed
from twisted_host.dashboard.race.leg import Leg, LegRecord, Target
from twisted_host.dashboard.race.spec import RaceSpec
from twisted_host.dashboard.race.summary import figures, sentences
from twisted_host.dashboard.stats import Stats

KEPT = 10  # finished races kept for their permalinks


class Race:
    """Targets run one after another, not at once: they share one reactor, and a
    `busy/blocking` burst on /native would stall /asgi's and /wsgi's too."""

    def __init__(
        self,
        number: int,
        spec: RaceSpec,
        targets: Sequence[Target],
        threads: int,
    ) -> None:
        self.number = number
        self.spec = spec
        self.targets = list(targets)
        self.threads = threads
        self.feed = Feed()
        self.legs: list[dict[str, Any]] = []

    @property
    def running(self) -> bool:
        return not self.feed.over

    def run(self, reactor: IReactorTime, stats: Stats) -> Deferred[None]:
        self.feed.publish(
            "race",
            number=self.number,
            spec=self.spec.to_dict(),
            targets=[
                {"name": t.name, "url": t.url, "label": t.label} for t in self.targets
            ],
            threads=self.threads,
        )
        # The client's own bound: every request can finish even if they run in turn.
        timeout = self.spec.requests * self.spec.seconds + 10
        done: Deferred[None] = Deferred()

        def next_leg(_: object = None) -> None:
            if len(self.legs) == len(self.targets):
                self.feed.publish("done", legs=self.legs)
                self.feed.close()
                done.callback(None)
                return
            target = self.targets[len(self.legs)]
            self.feed.publish("leg", mount=target.name, url=target.url)
            leg = Leg(reactor, self.feed, stats, target, self.spec.requests, timeout)
            leg.start().addCallback(self._leg_over).addCallbacks(next_leg, failed)

        def failed(failure: Failure) -> None:
            self.feed.publish("failed", reason=failure.getErrorMessage())
            self.feed.close()
            done.errback(failure)

        next_leg()
        return done

    def _leg_over(self, record: LegRecord) -> None:
        found = figures(record, self.spec, self.threads)
        path = record.target.url.split("//", 1)[-1].partition("/")[2]
        found["sentences"] = sentences(found, self.spec, "/" + path)
        self.legs.append(found)
        self.feed.publish("leg-end", **found)

    def to_json(self) -> dict[str, Any]:
        """The permalink's record: what was asked, and every event as it happened."""
        return {
            "number": self.number,
            "spec": self.spec.to_dict(),
            "events": self.feed.events,
        }


class Races:
    """The current race and the last few finished ones."""

    def __init__(self, reactor: IReactorTime, stats: Stats, threads: int) -> None:
        self.reactor = reactor
        self.stats = stats
        self.threads = threads
        self.current: Race | None = None
        self.kept: OrderedDict[int, Race] = OrderedDict()
        self._numbers = 0

    def start(self, spec: RaceSpec, targets: Sequence[Target]) -> Race:
        if self.current is not None and self.current.running:
            raise ClientError(
                409, f"race {self.current.number} is running; one at a time"
            )
        self._numbers += 1
        race = Race(self._numbers, spec, targets, self.threads)
        self.current = race
        self.kept[race.number] = race
        while len(self.kept) > KEPT:
            self.kept.popitem(last=False)
        race.run(self.reactor, self.stats).addErrback(lambda f: f.printTraceback())
        return race

    def find(self, number: int) -> Race | None:
        return self.kept.get(number)
