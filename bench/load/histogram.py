"""Latency histograms: HdrHistogram in microseconds, mergeable and serialisable.

An HDR histogram keeps three significant digits over the whole range (1 µs to an
hour) in a fixed amount of memory, so p99.9 and max are exact to 0.1 % however many
requests were recorded, and histograms from several processes or windows add up.
"""

from __future__ import annotations

from collections.abc import Iterable

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

LOWEST_US = 1
HIGHEST_US = 3600 * 1_000_000  # an hour: longer than any request we wait for
DIGITS = 3

# The percentiles every report shows; "max" is added separately.
PERCENTILES: tuple[float, ...] = (50.0, 90.0, 99.0, 99.9)


def percentile_key(percentile: float) -> str:
    """'p50', 'p99', 'p99.9': the name a percentile has in JSON, CSV and tables."""
    return f"p{percentile:g}"


class LatencyHistogram:
    """Latencies in seconds in, percentiles in seconds out; microseconds inside."""

    def __init__(self, hdr: HdrHistogram | None = None) -> None:
        self.hdr = hdr or HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)
        # Percentile look-ups walk the whole counts array in Python: done once per
        # change, not once per figure shown.
        self._summary: dict[str, float] | None = None

    def record(self, seconds: float) -> None:
        # Clamped, not dropped: a value outside the range still counts as a request.
        micros = min(max(round(seconds * 1_000_000), LOWEST_US), HIGHEST_US)
        self.hdr.record_value(micros)
        self._summary = None

    def record_many(self, seconds: Iterable[float]) -> None:
        record = self.hdr.record_value
        for value in seconds:
            record(min(max(round(value * 1_000_000), LOWEST_US), HIGHEST_US))
        self._summary = None

    def record_micros(self, micros: int, count: int = 1) -> None:
        """`count` values of `micros` microseconds (from another tool's histogram)."""
        self.hdr.record_value(min(max(micros, LOWEST_US), HIGHEST_US), count)
        self._summary = None

    def merge(self, other: LatencyHistogram) -> None:
        self.hdr.add(other.hdr)
        self._summary = None

    @property
    def count(self) -> int:
        return int(self.hdr.get_total_count())

    def percentile(self, percentile: float) -> float:
        """The latency, in seconds, under which `percentile` % of the values fall."""
        if self.count == 0:
            return float("nan")
        return float(self.hdr.get_value_at_percentile(percentile)) / 1_000_000

    @property
    def max(self) -> float:
        return self.hdr.get_max_value() / 1_000_000 if self.count else float("nan")

    @property
    def min(self) -> float:
        return self.hdr.get_min_value() / 1_000_000 if self.count else float("nan")

    @property
    def mean(self) -> float:
        """HdrHistogram's mean (each bucket counted at its middle value), summed over
        the buckets that hold a value: hdrh's own `get_mean_value` walks every value
        through its Python iterator, five times slower, and a `compare` run takes
        hundreds of means (seconds of its CPU)."""
        if not self.count:
            return float("nan")
        hdr, total = self.hdr, 0
        for index, count in enumerate(hdr.counts):
            if count:
                value = hdr.get_value_from_index(index)
                low = hdr.get_lowest_equivalent_value(value)
                high = hdr.get_highest_equivalent_value(value)
                total += count * (low + (high - low + 1) // 2)
        return total / self.count / 1_000_000

    def summary(self) -> dict[str, float]:
        """p50, p90, p99, p99.9, max and mean, in seconds (NaN when empty)."""
        if self._summary is None:
            if self.count == 0:
                values = dict.fromkeys(PERCENTILES, float("nan"))
            else:
                found = self.hdr.get_percentile_to_value_dict(list(PERCENTILES))
                values = {p: found[p] / 1_000_000 for p in PERCENTILES}
            figures = {percentile_key(p): values[p] for p in PERCENTILES}
            figures["max"] = self.max
            figures["mean"] = self.mean
            self._summary = figures
        return dict(self._summary)

    def encode(self) -> str:
        """The compressed base64 form HdrHistogram tools read (HistogramLogProcessor)."""
        if self.count == 0:
            return ""
        return bytes(self.hdr.encode()).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> LatencyHistogram:
        if not text:
            return cls()
        histogram = cls()
        histogram.hdr.decode_and_add(text)
        return histogram

    @classmethod
    def merged(cls, histograms: Iterable[LatencyHistogram]) -> LatencyHistogram:
        total = cls()
        for histogram in histograms:
            total.merge(histogram)
        return total
