"""A realistic log with a share of failures no rule knows: what `rules mine` is measured on.

    python bench/make_unknown.py N OUT [--unknown 0.10] [--seed 7] [--labels LABELS.jsonl]

Each record is, with probability ``--unknown``, one of the invented failure families below
(each with its own ids, numbers, names and quoted values per record, in the record shapes
logs really have: response objects, log lines, structured log objects, failed-task
bodies), else a record of bench/make_realistic.py (`--kind mixed`). The families use no
words the built-in rules know, except ``pool_overloaded``, which the wording tier answers
(server_error) and ``rules mine --include-wording`` mines.

``--labels`` also writes, for every family, a few labelled records in the corpus format
(corpus/README.md) with the category a team would give them: the sample `rules eval` is
run on before and after the drafts.

Same output for the same seed (all randomness comes from one ``random.Random``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_realistic import MIXED, Gen, dumps, uid

EDITORS = ["mara", "ken", "li.wei", "o'neil", "ana-sofia", "bjorn", "priya", "tomasz"]
SEGMENTS = ["intro-b", "act 2", "outro", "b-roll/7", "take_03", "scene rain", "credits"]
CLIPS = ["beach_take2", "vo final", "ad-cut 15s", "teaser_v3", "interview A"]
PALETTES = ["sunset", "neon night", "pastel-2", "mono", "forest"]
POOLS = ["eu-3", "us-east-1", "ap-7", "sa-2"]


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def storyboard_locked(gen: Gen) -> str:
    rng = gen.rng
    ms = gen.clock.tick()
    message = (
        f"Storyboard {uid(rng)} is locked by editor '{rng.choice(EDITORS)}' "
        f"since {rng.randint(1, 900)} s"
    )
    return dumps(
        {
            "ts": gen.clock.iso(ms),
            "method": "POST",
            "url": "https://api.klingai.com/v1/videos/text2video",
            "status": 409,
            "latency_ms": rng.randint(20, 900),
            "body": {"code": 7301, "message": message, "request_id": uid(rng)},
        }
    )


def storyboard_export(gen: Gen) -> str:
    """The neighbour of storyboard_locked: most of its words, another shape."""
    rng = gen.rng
    message = f"Storyboard {uid(rng)} is locked by editor '{rng.choice(EDITORS)}' (export only)"
    return dumps({"status": 409, "body": {"code": 7302, "message": message}})


def interpolator_crashed(gen: Gen) -> str:
    rng = gen.rng
    ms = gen.clock.tick()
    return (
        f"{gen.clock.pylog(ms)} ERROR app.render: Frame interpolator crashed on shot "
        f"{rng.randint(1, 400)} (segment '{rng.choice(SEGMENTS)}', {rng.randint(24, 2400)} frames)"
    )


def relay_refused(gen: Gen) -> str:
    rng = gen.rng
    ms = gen.clock.tick()
    return dumps(
        {
            "ts": gen.clock.iso(ms),
            "level": "error",
            "msg": f"Webhook relay refused payload {_hex(rng, 12)}: delivery window of "
            f"{rng.choice([1500, 3000, 5000, 12000])} ms elapsed",
            "worker": f"relay-{rng.randint(1, 9)}",
        }
    )


def queue_paused(gen: Gen) -> str:
    rng = gen.rng
    ms = gen.clock.tick()
    queue, job = rng.randint(1, 30), rng.randint(1000, 99999)
    return f"[{gen.clock.iso(ms)}] 渲染队列{queue}已暂停\uff0c作业{job}等待人工复核"


def lipsync_drift(gen: Gen) -> str:
    rng = gen.rng
    return (
        f"Error: LipSyncAligner: phoneme track {rng.randint(1, 8)} drifted "
        f'{rng.randint(40, 900)}ms beyond tolerance for clip "{rng.choice(CLIPS)}"'
    )


def palette_short(gen: Gen) -> str:
    rng = gen.rng
    return dumps(
        {
            "status": 418,
            "headers": {"x-request-id": uid(rng)},
            "body": {
                "error": {
                    "message": f'Palette "{rng.choice(PALETTES)}" has {rng.randint(1, 4)} '
                    f"colours; the grader wants {rng.randint(5, 9)}",
                }
            },
        }
    )


def pool_overloaded(gen: Gen) -> str:
    """Answered today by the wording tier (wording.server_error)."""
    rng = gen.rng
    return f"Upstream render pool {rng.choice(POOLS)} overloaded, shed {rng.randint(2, 90)} jobs"


# (weight, maker, the label a team gives the family)
FAMILIES: list[tuple[float, Callable[[Gen], str], dict[str, Any]]] = [
    (0.22, storyboard_locked, {"category": "concurrency_limit", "retryable": True}),
    (0.04, storyboard_export, {"category": "permission", "retryable": False}),
    (0.18, interpolator_crashed, {"category": "generation_failed", "retryable": True}),
    (0.16, relay_refused, {"category": "timeout", "retryable": True}),
    (0.12, queue_paused, {"category": "content_policy", "retryable": False}),
    (0.12, lipsync_drift, {"category": "generation_failed", "retryable": False}),
    (0.10, palette_short, {"category": "invalid_request", "retryable": False}),
    (0.06, pool_overloaded, {"category": "server_error", "retryable": True}),
]


def generate(count: int, out_path: str, unknown: float = 0.10, seed: int = 7) -> None:
    rng = random.Random(seed)
    gen = Gen(rng, count)
    makers = [maker for _, maker, _ in FAMILIES]
    weights = [weight for weight, _, _ in FAMILIES]
    with open(out_path, "w", encoding="utf-8", newline="\n") as out:
        batch: list[str] = []
        for _ in range(count):
            if rng.random() < unknown:
                batch.append(rng.choices(makers, weights)[0](gen))
            else:
                r = rng.random()
                batch.append(next(make(gen) for bound, make in MIXED if r < bound))
            if len(batch) >= 10_000:
                out.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            out.write("\n".join(batch) + "\n")


def labels(out_path: str, per_family: int = 4, seed: int = 11) -> None:
    """A labelled sample (corpus format): records of every family with a team's label."""
    rng = random.Random(seed)
    gen = Gen(rng, 1000)
    with open(out_path, "w", encoding="utf-8") as out:
        for _, maker, expect in FAMILIES:
            for _ in range(per_family):
                line = maker(gen)
                record = json.loads(line) if line.startswith("{") else line
                source = f"bench/make_unknown.py {maker.__name__}"
                out.write(json.dumps({"input": record, "expect": expect, "source": source}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("count", type=int, help="number of records (lines)")
    parser.add_argument("out", help="output file")
    parser.add_argument("--unknown", type=float, default=0.10, help="share of unknown records")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--labels", help="also write a labelled sample here (corpus format)")
    args = parser.parse_args()
    generate(args.count, args.out, args.unknown, args.seed)
    if args.labels:
        labels(args.labels)


if __name__ == "__main__":
    main()
