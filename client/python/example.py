#!/usr/bin/env python3
"""An example Python client of the hrnn recommendation service (hrnn.v1.Recommender).

It checks the server's health, reads the model info, sends a user's clicks as events and reads
the user's recommendations (from a recipe, when --recipe names one), the items similar to the
last item clicked (GetSimilarItems, the product page's "people who looked at this also looked
at") and a personalized ranking. Every call about a user carries the
user's id as the `hrnn-user-id` gRPC metadata, exactly as the C++ client library does, so the
calls work through the user-affinity proxies in deploy/ (Envoy, nginx): a client that leaves it
out gets its users' state scattered over the replicas.

The gRPC code is generated from proto/ at build or test time, never committed (see README.md in
this folder, or scripts/python-client-test.sh):

    protoc -I proto --python_out=GEN --grpc_out=GEN \
        --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin hrnn/v1/recommender.proto
    # the health proto under another module path, since `grpc.health` would clash with grpcio:
    mkdir -p HEALTH/hrnn_health && cp proto/grpc/health/v1/health.proto HEALTH/hrnn_health/
    protoc -I HEALTH --python_out=GEN --grpc_out=GEN \
        --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin hrnn_health/health.proto

    PYTHONPATH=GEN python3 client/python/example.py --target=127.0.0.1:8500 \
        --user=u7 --items=i1,i2,i3

Needs Debian's python3-grpcio and python3-protobuf (the system /usr/bin/python3).
"""

import argparse
import sys
import time

import grpc

from hrnn.v1 import recommender_pb2
from hrnn.v1 import recommender_pb2_grpc
from hrnn_health import health_pb2
from hrnn_health import health_pb2_grpc

USER_ID_METADATA_KEY = "hrnn-user-id"


def user_id_metadata(user_id):
    """The routing metadata for a user, encoded as client/routing_metadata.h does: printable
    ASCII except '%' as is, every other byte (of the UTF-8 id) as %XX."""
    value = "".join(
        chr(b) if 0x20 <= b <= 0x7E and b != ord("%") else "%%%02X" % b
        for b in user_id.encode("utf-8"))
    return ((USER_ID_METADATA_KEY, value),)


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

    with grpc.insecure_channel(args.target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        stub = recommender_pb2_grpc.RecommenderStub(channel)
        routing = user_id_metadata(args.user)

        status = health.Check(health_pb2.HealthCheckRequest(service="hrnn.v1.Recommender"),
                              timeout=args.deadline)
        status_name = health_pb2.HealthCheckResponse.ServingStatus.Name(status.status)
        print(f"health: {status_name}")
        if status.status != health_pb2.HealthCheckResponse.SERVING:
            return 1

        info = stub.GetModelInfo(recommender_pb2.GetModelInfoRequest(), timeout=args.deadline)
        print(f"model: {info.name} version {info.version} ({info.mode}), "
              f"{info.num_items} items, H = {info.hidden_size}")

        now_ms = int(time.time() * 1000)
        events = [
            recommender_pb2.Event(user_id=args.user, session_id=args.session, item_id=item,
                                  event_type="click", timestamp_ms=now_ms + i)
            for i, item in enumerate(items)
        ]
        put = stub.PutEvents(recommender_pb2.PutEventsRequest(events=events),
                             timeout=args.deadline, metadata=routing)
        print(f"events: accepted {put.accepted}, rejected {len(put.rejected)}")
        for rejected in put.rejected:
            print(f"  event {rejected.index}: {rejected.reason}")
        if put.rejected:
            return 1

        request = recommender_pb2.GetRecommendationsRequest(
            user_id=args.user, session_id=args.session, num_results=args.n,
            filter=recommender_pb2.Filter(exclude_session_items=True), recipe=args.recipe)
        recs = stub.GetRecommendations(request, timeout=args.deadline, metadata=routing)
        print(f"recommendations for {args.user} (state {recs.state}, recipe {recs.recipe}, "
              f"model version {recs.model_version}, recommendation_id "
              f"{recs.recommendation_id}):")
        for rank, item in enumerate(recs.items, 1):
            print(f"  {rank:2d}. {item.item_id}  {item.score:.4f}")

        # Similar items need no user; with one (and its routing metadata) the user-based
        # filter options apply: here, leave out what the user clicked in this session.
        similar = stub.GetSimilarItems(
            recommender_pb2.GetSimilarItemsRequest(
                item_id=items[-1], num_results=args.n, user_id=args.user,
                session_id=args.session,
                filter=recommender_pb2.Filter(exclude_session_items=True)),
            timeout=args.deadline, metadata=routing)
        print(f"similar to {items[-1]} (recipe {similar.recipe}, {len(similar.items)} items): " +
              " ".join(item.item_id for item in similar.items))

        candidates = [item.item_id for item in reversed(recs.items)] + ["not-an-item"]
        ranking = stub.GetPersonalizedRanking(
            recommender_pb2.GetPersonalizedRankingRequest(user_id=args.user,
                                                          session_id=args.session,
                                                          input_item_ids=candidates),
            timeout=args.deadline, metadata=routing)
        print("ranking of the recommendations reversed, plus an unknown id: " +
              " ".join(f"{item.item_id}{'' if item.known else '(unknown)'}"
                       for item in ranking.items))

        try:
            stub.GetRecommendations(recommender_pb2.GetRecommendationsRequest(
                user_id=args.user, num_results=900), timeout=args.deadline, metadata=routing)
            print("error: num_results=900 was accepted")
            return 1
        except grpc.RpcError as error:
            print(f"num_results=900: {error.code().name}: {error.details()}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except grpc.RpcError as error:
        print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
        sys.exit(1)
