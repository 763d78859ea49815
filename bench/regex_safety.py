"""A pathological rule against 1,000 adversarial messages: RE2 (what rules use) vs Python's re.

    python bench/regex_safety.py [--messages 1000] [--length 5000]

Prints wall time for classifying the messages through the engine with a rule whose regex
is `(a+)+$`, and what one `re` search of the same pattern on one such message costs.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import textwrap
import time
from pathlib import Path

from kling_errors import Engine

RULE = textwrap.dedent(
    """\
    rules:
      - id: bench.pathological
        title: Pathological regex
        category: server_error
        severity: error
        match: {message: '(a+)+$'}
        causes: [x]
        fixes: [y]
        retryable: null
        retry: {strategy: none}
        source: {kind: inferred, ref: bench}
    """
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--length", type=int, default=5000)
    args = parser.parse_args()
    message = "a" * args.length + "!"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(RULE)
        engine = Engine(rule_paths=[path])
        # Distinct messages, so no answer comes from the engine's cache of alike events.
        records = [
            {"status": 418, "body": {"message": f"{message}{n}"}} for n in range(args.messages)
        ]
        start = time.perf_counter()
        outcomes = {engine.classify(r).outcome for r in records}
        engine_seconds = time.perf_counter() - start
    print(
        f"RE2 engine: {args.messages} adversarial messages of {args.length + 1} chars "
        f"against (a+)+$: {engine_seconds:.3f} s total, outcomes {sorted(outcomes)}"
    )
    probe = "a" * 24 + "!"  # exponential in Python's re: keep it short
    start = time.perf_counter()
    re.compile("(a+)+$").search(probe)
    re_seconds = time.perf_counter() - start
    print(
        f"Python re, for comparison: one search of a {len(probe)}-char message took "
        f"{re_seconds:.3f} s (doubling with each extra 'a')"
    )


if __name__ == "__main__":
    main()
