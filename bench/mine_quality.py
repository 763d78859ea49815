"""How well message templates are mined: our miner (kling_errors._mine) against drain3.

    python bench/mine_quality.py [--per-family 200] [--corpus corpus/]

Two sets of messages, each as the engine reads them from the records (Diagnosis.message):

* the invented failure families of bench/make_unknown.py (ids, numbers, names and quoted
  values differ per record): each family should come out as exactly one template. Measured
  as grouping accuracy (a record counts when its template holds exactly its family's
  records, as in the Loghub benchmarks) and the number of templates;
* the labelled field corpus (corpus/*.jsonl: real messages of many kinds): templates that
  mix records of different categories are over-merges — a draft rule from one of them
  would give one answer to failures people labelled differently.

drain3 is run, when installed (``pip install drain3``; not a dependency), with its
defaults (sim_th 0.4, depth 4, no masking), with the masking of its example config, and
on our masked text (which isolates its clustering from its masking). The numbers go into
README "Mining the unknown".
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_unknown import FAMILIES, Gen

from kling_errors import Engine
from kling_errors._mine._templates import cluster, shape, shape_key, shown

# drain3's example masking (examples/drain3.ini in its repository)
DRAIN3_EXAMPLE_MASKING = [
    (r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
    (r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    (r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
]

Grouper = Callable[[Sequence[str]], list[int]]  # messages -> a template number for each


def ours(messages: Sequence[str]) -> list[int]:
    keys: dict[tuple[str, ...], int] = {}
    shapes = []
    counts: Counter[int] = Counter()
    of_record = []
    for message in messages:
        tokens = shape(message).tokens
        key = shape_key(tokens)
        if key not in keys:
            keys[key] = len(shapes)
            shapes.append(tokens)
        of_record.append(keys[key])
        counts[keys[key]] += 1
    clusters = cluster([(tokens, counts[i]) for i, tokens in enumerate(shapes)])
    template_of = {member: n for n, c in enumerate(clusters) for member in c.members}
    return [template_of[i] for i in of_record]


def drain3_grouper(masking: list[tuple[str, str]] | None, premask: bool = False) -> Grouper:
    def group(messages: Sequence[str]) -> list[int]:
        from drain3 import TemplateMiner  # type: ignore[import-not-found]
        from drain3.masking import MaskingInstruction  # type: ignore[import-not-found]
        from drain3.template_miner_config import (  # type: ignore[import-not-found]
            TemplateMinerConfig,
        )

        config = TemplateMinerConfig()
        config.profiling_enabled = False
        config.masking_instructions = [MaskingInstruction(p, m) for p, m in masking or []]
        miner = TemplateMiner(config=config)
        found = []
        for message in messages:
            text = shown(shape(message).tokens) if premask else message
            found.append(miner.add_log_message(text)["cluster_id"])
        return found

    return group


def grouping_accuracy(truth: Sequence[str], found: Sequence[int]) -> float:
    members_truth: dict[str, set[int]] = defaultdict(set)
    members_found: dict[int, set[int]] = defaultdict(set)
    for i, (t, f) in enumerate(zip(truth, found, strict=True)):
        members_truth[t].add(i)
        members_found[f].add(i)
    right = sum(1 for i, t in enumerate(truth) if members_truth[t] == members_found[found[i]])
    return right / len(truth)


def mixed(truth: Sequence[str], found: Sequence[int]) -> tuple[int, int]:
    """Templates holding records of more than one label, and the records in them."""
    labels: dict[int, set[str]] = defaultdict(set)
    sizes: Counter[int] = Counter(found)
    for t, f in zip(truth, found, strict=True):
        labels[f].add(t)
    bad = [f for f, seen in labels.items() if len(seen) > 1]
    return len(bad), sum(sizes[f] for f in bad)


def family_messages(engine: Engine, per_family: int) -> tuple[list[str], list[str]]:
    rng = random.Random(5)
    gen = Gen(rng, per_family * len(FAMILIES))
    messages, truth = [], []
    for _, maker, _ in FAMILIES:
        for _ in range(per_family):
            line = maker(gen)
            record = json.loads(line) if line.startswith("{") else line
            messages.append(engine.classify(record).message or "")
            truth.append(maker.__name__)
    order = list(range(len(messages)))
    rng.shuffle(order)  # a log interleaves its families
    return [messages[i] for i in order], [truth[i] for i in order]


def corpus_messages(engine: Engine, corpus: Path) -> tuple[list[str], list[str]]:
    messages, truth = [], []
    for path in sorted(corpus.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            diagnosis = engine.classify(record["input"])
            if diagnosis.message:
                messages.append(diagnosis.message)
                truth.append(record["expect"]["category"])
    return messages, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--per-family", type=int, default=200)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).parent.parent / "corpus")
    args = parser.parse_args()
    engine = Engine()
    groupers: list[tuple[str, Grouper]] = [("ours", ours)]
    try:
        import drain3  # type: ignore[import-not-found]  # noqa: F401

        groupers += [
            ("drain3 defaults", drain3_grouper(None)),
            ("drain3 + its example masking", drain3_grouper(DRAIN3_EXAMPLE_MASKING)),
            ("drain3 on our masked text", drain3_grouper(None, premask=True)),
        ]
    except ImportError:
        print("drain3 is not installed: only our miner is measured", file=sys.stderr)
    families = family_messages(engine, args.per_family)
    corpus = corpus_messages(engine, args.corpus)
    print(
        f"families: {len(families[0])} messages of {len(FAMILIES)} families; "
        f"corpus: {len(corpus[0])} messages of {len(set(corpus[1]))} categories"
    )
    print(
        f"{'miner':<30} {'family GA':>9} {'templates':>9} {'corpus templates':>16} "
        f"{'mixed (records)':>16} {'µs/msg':>7}"
    )
    for name, grouper in groupers:
        start = time.perf_counter()
        found_families = grouper(families[0])
        found_corpus = grouper(corpus[0])
        elapsed = time.perf_counter() - start
        per = elapsed / (len(families[0]) + len(corpus[0])) * 1e6
        bad, bad_records = mixed(corpus[1], found_corpus)
        print(
            f"{name:<30} {grouping_accuracy(families[1], found_families):>9.1%} "
            f"{len(set(found_families)):>9} {len(set(found_corpus)):>16} "
            f"{f'{bad} ({bad_records})':>16} {per:>7.0f}"
        )


if __name__ == "__main__":
    main()
