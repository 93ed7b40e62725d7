#!/usr/bin/env python3
"""A simulated storefront for scripts/ab-test.sh: shoppers whose next session is known.

split LOG TRAIN FUTURE
    Splits a Personalize interactions CSV (hrnn-synth's) per user: each user's last session
    (sessions split at 30 minutes of inactivity, as the server does) is the future the shopper
    will act out (FUTURE, JSON: user -> items in order); everything before it is TRAIN (CSV).
    Users whose history or future session is shorter than 2 events are left out of FUTURE.

shop BASE_URL TRAIN FUTURE [--users=N] [--history=N] [--steps=N] [--n=N]
    For each of the first N users of FUTURE (by id): replays the last --history events of their
    training history through POST /v1/events (their original times), then acts out the future
    session: clicks its first item, and then, --steps times, asks POST /v1/recommendations
    (no recipe: the experiment's arm decides) for --n items excluding the session's; when a
    recommended item is one the shopper will still click in this session, clicks the best-ranked
    such item and sends the recommendation id back (an attributed click), else clicks the
    session's next item without one (an organic click). Prints the clicks per arm.
Only the Python standard library (urllib): the storefront talks to the HTTP/JSON API.
"""
import csv
import json
import sys
import urllib.request

SESSION_GAP_S = 1800


def split(log_path, train_path, future_path):
    rows = {}
    with open(log_path, newline="") as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["USER_ID"], []).append(row)
    future = {}
    with open(train_path, "w", newline="") as out:
        writer = None
        for user in sorted(rows):
            events = sorted(rows[user], key=lambda r: int(r["TIMESTAMP"]))
            start = 0
            for i in range(1, len(events)):
                if int(events[i]["TIMESTAMP"]) - int(events[i - 1]["TIMESTAMP"]) > SESSION_GAP_S:
                    start = i
            history, last = events[:start], events[start:]
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(events[0].keys()))
                writer.writeheader()
            writer.writerows(history)
            clicks = [r["ITEM_ID"] for r in last if r.get("EVENT_TYPE", "click") in ("", "click")]
            if len(history) >= 2 and len(clicks) >= 2:
                future[user] = clicks
    with open(future_path, "w") as f:
        json.dump(future, f)
    print(f"split: {len(rows)} users; {len(future)} with a future session to act out")


def post(base, path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def shop(base, train_path, future_path, users, history_len, steps, n):
    with open(future_path) as f:
        future = json.load(f)
    history = {}
    with open(train_path, newline="") as f:
        for row in csv.DictReader(f):
            if row["USER_ID"] in future:
                history.setdefault(row["USER_ID"], []).append(row)
    clicks = {}
    shoppers = sorted(future)[:users]
    for user in shoppers:
        past = sorted(history.get(user, []), key=lambda r: int(r["TIMESTAMP"]))[-history_len:]
        events = [{"user_id": user, "session_id": r.get("SESSION_ID") or "past",
                   "item_id": r["ITEM_ID"], "event_type": r.get("EVENT_TYPE") or "click",
                   "timestamp_ms": str(int(r["TIMESTAMP"]) * 1000)} for r in past]
        if events:
            answer = post(base, "/v1/events", {"events": events})
            assert not answer.get("rejected"), answer
        session = f"{user}-now"
        to_click = list(future[user])

        def click(item, recommendation_id=""):
            event = {"user_id": user, "session_id": session, "item_id": item}
            if recommendation_id:
                event["recommendation_id"] = recommendation_id
            answer = post(base, "/v1/events", {"events": [event]})
            assert not answer.get("rejected"), answer

        click(to_click.pop(0))
        for _ in range(steps):
            if not to_click:
                break
            answer = post(base, "/v1/recommendations",
                          {"user_id": user, "session_id": session, "num_results": n,
                           "filter": {"exclude_session_items": True}})
            arm = answer.get("arm", "none")
            tally = clicks.setdefault(arm, {"asked": 0, "attributed": 0})
            tally["asked"] += 1
            recommended = [item["item_id"] for item in answer.get("items", [])]
            hit = next((item for item in recommended if item in to_click), None)
            if hit is not None:
                tally["attributed"] += 1
                to_click.remove(hit)
                click(hit, answer["recommendation_id"])
            else:
                click(to_click.pop(0))
    print(f"shop: {len(shoppers)} shoppers")
    for arm, tally in sorted(clicks.items()):
        print(f"  arm {arm}: {tally['asked']} recommendations, {tally['attributed']} clicked")


def main(argv):
    if len(argv) >= 4 and argv[0] == "split":
        split(*argv[1:4])
        return 0
    if len(argv) >= 4 and argv[0] == "shop":
        options = {"users": 1000000, "history": 30, "steps": 3, "n": 10}
        for arg in argv[4:]:
            key, _, value = arg.lstrip("-").partition("=")
            if key not in options:
                print(f"storefront_sim: unknown option {arg}", file=sys.stderr)
                return 2
            options[key] = int(value)
        shop(argv[1], argv[2], argv[3], options["users"], options["history"], options["steps"],
             options["n"])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
