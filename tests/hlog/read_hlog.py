"""Reads a `geobench --hlog` file with the HdrHistogram Python package (pip `hdrhistogram`)
and prints, per tag, the total count and percentiles (nanoseconds, as logged) as JSON, for
tests/telemetry.rs to compare with the results file."""

import json
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

# geobench's histograms: 1 ns .. 1 h, 3 significant digits.
LOWEST, HIGHEST, DIGITS = 1, 3_600_000_000_000, 3


def main(path):
    reader = HistogramLogReader(path, HdrHistogram(LOWEST, HIGHEST, DIGITS))
    totals = {}
    intervals = 0
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            break
        intervals += 1
        totals.setdefault(h.get_tag(), HdrHistogram(LOWEST, HIGHEST, DIGITS)).add(h)
    print(
        json.dumps(
            {
                "intervals": intervals,
                "start_time_s": reader.get_start_time_sec(),
                "tags": {
                    tag: {
                        "count": t.get_total_count(),
                        "p50": t.get_value_at_percentile(50),
                        "p99": t.get_value_at_percentile(99),
                        "max": t.get_max_value(),
                        # (highest equivalent value, count) of every recorded bucket.
                        "recorded": [
                            [v.value_iterated_to, v.count_at_value_iterated_to]
                            for v in t.get_recorded_iterator()
                        ],
                    }
                    for tag, t in totals.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
