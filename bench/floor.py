"""The floor: read JSON lines, json.loads each, json.dumps a ten-field dict per record.

python bench/floor.py LOG > /dev/null
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    out = sys.stdout
    with open(sys.argv[1], encoding="utf-8") as log:
        for index, line in enumerate(log):
            value = json.loads(line)
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
