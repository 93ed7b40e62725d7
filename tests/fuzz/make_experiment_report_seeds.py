#!/usr/bin/env python3
"""Writes the seed inputs of experiment_report_fuzzer to tests/fuzz/corpus/experiment_report_fuzzer/.

Each seed is a sequence of chunks, a u16 little-endian length and an event record encoded as
core/state/event_record.h specifies (the fuzzer renumbers seq). Run from the repository root:
  python3 tests/fuzz/make_experiment_report_seeds.py
"""
import os
import struct

OUT = "tests/fuzz/corpus/experiment_report_fuzzer"
EVENT, DELETE_USER, RECOMMENDATION = 1, 2, 4
HAS_VALUE, HAS_RECOMMENDATION_ID, HAS_ITEM_IDS = 1, 4, 8
T0 = 1_700_000_000_000


def string(text):
    data = text.encode()
    return struct.pack("<I", len(data)) + data


def record(kind, timestamp_ms, user, item="", event_type="", value=None, recommendation_id="",
           experiment="", arm="", item_ids=()):
    flags = 0
    if value is not None:
        flags |= HAS_VALUE
    if kind == EVENT and recommendation_id:
        flags |= HAS_RECOMMENDATION_ID
    if kind == EVENT and item_ids:
        flags |= HAS_ITEM_IDS
    out = struct.pack("<QBqB", 1, kind, timestamp_ms, flags)
    if value is not None:
        out += struct.pack("<d", value)
    out += string(user) + string("") + string(item) + string(event_type)
    if kind == RECOMMENDATION or recommendation_id:
        out += string(recommendation_id)
    if kind == RECOMMENDATION:
        out += string("hrnn") + string("1") + string(experiment) + string(arm)
    if kind == RECOMMENDATION or item_ids:
        out += struct.pack("<I", len(item_ids)) + b"".join(string(i) for i in item_ids)
    return out


def served(user, arm, items, timestamp_ms, n, experiment="exp"):
    rid = "%032x:%s:%s" % (n, experiment, arm)
    return record(RECOMMENDATION, timestamp_ms, user, recommendation_id=rid,
                  experiment=experiment, arm=arm, item_ids=items)


def chunks(*records):
    return b"".join(struct.pack("<H", len(r)) + r for r in records)


SEEDS = {
    "window_and_id": chunks(
        served("u1", "a", ["x", "y"], T0, 1),
        served("u2", "b", ["x"], T0 + 10, 2),
        record(EVENT, T0 + 60_000, "u1", item="x", event_type="click"),
        record(EVENT, T0 + 70_000, "u2", item="z", event_type="click",
               recommendation_id="%032x:exp:b" % 2),
        record(EVENT, T0 + 80_000, "u2", item="x", event_type="purchase", value=9.5),
        record(EVENT, T0 + 90_000, "u1", item="y", event_type="view", item_ids=["x", "y"])),
    "tombstone": chunks(
        served("u1", "a", ["x"], T0, 3),
        record(EVENT, T0 + 1, "u1", item="x", event_type="purchase", value=3.0),
        record(DELETE_USER, T0 + 2, "u1"),
        served("u1", "a", ["x"], T0 + 3, 4),
        record(EVENT, T0 + 4, "u1", item="x", event_type="click")),
    "retired_id_other_experiment": chunks(
        served("u1", "a", ["x"], T0, 5, experiment="other"),
        served("u2", "a", ["x"], T0, 6),
        record(EVENT, T0 + 5, "u3", item="q", event_type="click",
               recommendation_id="%032x:exp:c" % 7)),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
