"""Reproducible synthetic Kling error log: JSON lines across every category.

    python bench/make_log.py N OUT.jsonl [--seed 7]

Shapes mix response objects, bare bodies, failed-task queries, structured log objects with
exception text, gateway bodies and HTML pages, with realistic ids, as a busy integration logs.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid

MESSAGES = {
    1000: "Authentication failed", 1001: "Authorization is empty", 1002: "Authorization is invalid",
    1003: "Authorization is not yet valid", 1004: "Authorization has expired",
    1100: "Account exception", 1101: "Account in arrears (postpaid scenario)",
    1102: "Account balance not enough", 1103: "Unauthorized access to requested resource, such as API/model",
    1200: "Invalid request parameters", 1201: "Duration only supports 5 or 10 seconds when no refer_image is provided",
    1202: "The requested method is invalid", 1203: "model is not exist",
    1300: "Trigger strategy of the platform", 1301: "Trigger the content security policy of the platform",
    1302: "The API request is too fast, exceeding the platform's rate limit",
    1303: "parallel task over resource pack limit", 1304: "Trigger the platform's IP whitelisting policy",
    5000: "Server internal error", 5001: "Server temporarily unavailable, usually due to maintenance",
    5002: "Server internal timeout, usually due to a backlog",
}  # fmt: skip
STATUS = {1000: 401, 1001: 401, 1002: 401, 1003: 401, 1004: 401, 1100: 429, 1101: 429, 1102: 429,
          1103: 403, 1200: 400, 1201: 400, 1202: 404, 1203: 404, 1300: 400, 1301: 400, 1302: 429,
          1303: 429, 1304: 429, 5000: 500, 5001: 503, 5002: 504}  # fmt: skip
TASK_FAILURES = ["Failure to pass the risk control system", "Image pixel is invalid", "", "Task timeout",
                 "The resolution or aspect ratio of the input image is invalid. Please ensure it meets the required specifications."]  # fmt: skip
EXCEPTIONS = [
    "httpx.ConnectTimeout: timed out",
    "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api-singapore.klingai.com', port=443): Read timed out. (read timeout=30)",
    "requests.exceptions.ConnectionError: ('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))",
    "Error: getaddrinfo ENOTFOUND api-singapore.klingai.com",
    "ssl.SSLEOFError: EOF occurred in violation of protocol (_ssl.c:2427)",
    "Client error '429 Too Many Requests' for url 'https://api-singapore.klingai.com/v1/videos/text2video'",
]
ENDPOINTS = ["/v1/videos/text2video", "/v1/videos/image2video", "/v1/images/generations"]


def record(rng: random.Random) -> dict[str, object]:
    request_id = str(uuid.UUID(int=rng.getrandbits(128)))
    kind = rng.random()
    if kind < 0.45:
        code = rng.choice(list(MESSAGES))
        return {"ts": 1764000000 + rng.randrange(86400), "status": STATUS[code],
                "url": "https://api-singapore.klingai.com" + rng.choice(ENDPOINTS), "method": "POST",
                "body": {"code": code, "message": MESSAGES[code], "request_id": request_id}}  # fmt: skip
    if kind < 0.60:
        return {"code": 0, "message": "SUCCEED", "request_id": request_id,
                "data": {"task_id": str(rng.randrange(10**17, 10**18)), "task_status": "failed",
                         "task_status_msg": rng.choice(TASK_FAILURES), "created_at": 1766737710125,
                         "updated_at": 1766737711775}}  # fmt: skip
    if kind < 0.75:
        code = rng.choice(list(MESSAGES))
        return {"level": "error", "logger": "kling.client", "http_status": STATUS[code],
                "kling_code": code, "kling_message": MESSAGES[code], "request_id": request_id}  # fmt: skip
    if kind < 0.88:
        return {"level": "error", "msg": "kling call failed", "error": rng.choice(EXCEPTIONS)}
    if kind < 0.93:
        return {"status": 422, "url": "https://queue.fal.run/fal-ai/kling-video/v2.1/standard/image-to-video",
                "body": {"detail": [{"loc": ["body", "prompt"], "msg": "The content was flagged by a content checker.",
                                     "type": "content_policy_violation"}]}}  # fmt: skip
    if kind < 0.96:
        return {
            "status": 502,
            "body": "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
        }
    return {"code": 0, "message": "SUCCEED", "request_id": request_id,
            "data": {"task_id": str(rng.randrange(10**17, 10**18)), "task_status": "processing"}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as out:
        for _ in range(args.count):
            out.write(json.dumps(record(rng)) + "\n")


if __name__ == "__main__":
    main()
