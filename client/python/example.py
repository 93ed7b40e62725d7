#!/usr/bin/env python3
"""An example Python client of the hrnn recommendation service (hrnn.v1.Recommender).

It checks the server's health, reads the model info, sends a user's clicks as events and reads
the user's recommendations (from a recipe, when --recipe names one), the items similar to the
last item clicked (GetSimilarItems, the product page's "people who looked at this also looked
at") and a personalized ranking. Every call about a user carries the
user's id as the `hrnn-user-id` gRPC metadata, exactly as the C++ client library does, so the
calls work through the user-affinity proxies in deploy/ (Envoy, nginx): a client that leaves it
out gets its users' state scattered over the replicas.

It uses the `hrnn` package of this folder (install it into a venv that sees Debian's
python3-grpcio and python3-protobuf; its gRPC code is generated from proto/ when it is built):

    python3 -m venv --system-site-packages .venv
    .venv/bin/pip install --no-build-isolation --no-index ./client/python
    .venv/bin/python client/python/example.py --target=127.0.0.1:8500 --user=u7 --items=i1,i2,i3
"""

import argparse
import sys
import time

import hrnn


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="HOST:PORT of hrnn-server or a proxy")
    parser.add_argument("--user", required=True, help="the user id")
    parser.add_argument("--items", required=True, help="comma-separated item ids the user clicks")
    parser.add_argument("--session", default="", help="the storefront's session id (optional)")
    parser.add_argument("--n", type=int, default=5, help="how many recommendations")
    parser.add_argument("--recipe", default="",
                        help="hrnn, sknn, sr, personal, trending or auto (empty: the model's "
                             "default)")
    parser.add_argument("--deadline", type=float, default=5.0, help="seconds per call")
    args = parser.parse_args(argv)
    items = [item for item in args.items.split(",") if item]
    if not items:
        parser.error("--items must name at least one item")

    with hrnn.HrnnClient(args.target, deadline=args.deadline) as client:
        status = client.health()
        print(f"health: {status}")
        if status != "SERVING":
            return 1

        info = client.model_info()
        print(f"model: {info.name} version {info.version} ({info.mode}), "
              f"{info.num_items} items, H = {info.hidden_size}")

        now_ms = int(time.time() * 1000)
        events = [hrnn.Event(user_id=args.user, session_id=args.session, item_id=item,
                             event_type="click", timestamp_ms=now_ms + i)
                  for i, item in enumerate(items)]
        put = client.put_events(events)
        print(f"events: accepted {put.accepted}, rejected {len(put.rejected)}")
        for rejected in put.rejected:
            print(f"  event {rejected.index}: {rejected.reason}")
        if put.rejected:
            return 1

        recs = client.get_recommendations(args.user, session_id=args.session,
                                          num_results=args.n, recipe=args.recipe,
                                          filter=hrnn.Filter(exclude_session_items=True))
        print(f"recommendations for {args.user} (state {recs.state}, recipe {recs.recipe}, "
              f"model version {recs.model_version}, recommendation_id "
              f"{recs.recommendation_id}):")
        for rank, item in enumerate(recs.items, 1):
            print(f"  {rank:2d}. {item.item_id}  {item.score:.4f}")

        # Similar items need no user; with one (and its routing metadata) the user-based
        # filter options apply: here, leave out what the user clicked in this session.
        similar = client.similar_items(items[-1], num_results=args.n, user_id=args.user,
                                       session_id=args.session,
                                       filter=hrnn.Filter(exclude_session_items=True))
        print(f"similar to {items[-1]} (recipe {similar.recipe}, {len(similar.items)} items): " +
              " ".join(item.item_id for item in similar.items))

        candidates = [item.item_id for item in reversed(recs.items)] + ["not-an-item"]
        ranking = client.rank(args.user, candidates, session_id=args.session)
        print("ranking of the recommendations reversed, plus an unknown id: " +
              " ".join(f"{item.item_id}{'' if item.known else '(unknown)'}"
                       for item in ranking.items))

        # A storefront that keeps one stream open: the summary comes when it closes.
        with client.stream_events(user_id=args.user) as stream:
            for item in items:
                stream.write(hrnn.Event(user_id=args.user, session_id=args.session,
                                        item_id=item, event_type="view"))
        print(f"stream: accepted {stream.response.accepted}, "
              f"rejected {len(stream.response.rejected)}")

        try:
            client.get_recommendations(args.user, num_results=900)
            print("error: num_results=900 was accepted")
            return 1
        except hrnn.HrnnError as error:
            print(f"num_results=900: {error}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except hrnn.HrnnError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
