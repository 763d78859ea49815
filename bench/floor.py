"""The floor: read lines, json.loads each (a line that is not JSON stays a string), and
json.dumps a ten-field dict per record: the least any classifier of such a log must do.

python bench/floor.py LOG > /dev/null
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    out = sys.stdout
    with open(sys.argv[1], encoding="utf-8") as log:
        for index, line in enumerate(log):
            try:
                value = json.loads(line)
            except ValueError:
                value = line
            body = value.get("body") if isinstance(value, dict) else None
            out.write(
                json.dumps(
                    {
                        "index": index,
                        "outcome": "matched",
                        "rule": "rule.id",
                        "category": "rate_limit",
                        "retryable": True,
                        "service_code": body.get("code") if isinstance(body, dict) else None,
                        "http_status": value.get("status") if isinstance(value, dict) else None,
                        "title": "title",
                        "request_id": None,
                        "message": None,
                    }
                )
                + "\n"
            )


if __name__ == "__main__":
    main()
