"""Tests of the hrnn Python client (package `hrnn`), with unittest.

- RoutingMetadataTest, BackoffTest: pure functions.
- FakeServerTest: an in-process grpc server that records each call's metadata and fails
  GetModelInfo with UNAVAILABLE a set number of times (routing metadata, token, retries).
- ClosedPortTest: a client pointed at a closed port gives up with UNAVAILABLE after its retries.
- LiveServerTest: a running hrnn-server, named by the environment (skipped without it):
    HRNN_TARGET   host:port of hrnn-server
    HRNN_ITEMS    comma-separated item ids the model knows (at least 3)
    HRNN_FILTERS  "1" when the server runs with the filters file of scripts/python-client-test.sh
                  (not_clicked: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPES))
- LiveAuthTest: a running hrnn-server with --auth_tokens_file (skipped without it):
    HRNN_AUTH_TARGET  host:port of that server
    HRNN_TOKEN        a token of its file
scripts/python-client-test.sh installs the package into a venv and runs this file against a
server it starts: python -m unittest discover -s client/python/tests -v
"""

import os
import random
import socket
import threading
import time
import unittest
import uuid
from concurrent import futures
from typing import List, Tuple

import grpc

import hrnn
from hrnn.backoff import retry_backoff
from hrnn.v1 import recommender_pb2, recommender_pb2_grpc


class RoutingMetadataTest(unittest.TestCase):
    """The same encoding as client/routing_metadata.cc."""

    def test_printable_ascii_is_kept(self) -> None:
        self.assertEqual(hrnn.user_id_metadata_value("u7"), "u7")
        self.assertEqual(hrnn.user_id_metadata_value("a b~!"), "a b~!")

    def test_percent_and_other_bytes_are_escaped(self) -> None:
        self.assertEqual(hrnn.user_id_metadata_value("a%b"), "a%25b")
        self.assertEqual(hrnn.user_id_metadata_value("\n\x7f"), "%0A%7F")
        self.assertEqual(hrnn.user_id_metadata_value("é"), "%C3%A9")  # UTF-8 bytes.


class BackoffTest(unittest.TestCase):

    def test_exponential_capped_jittered(self) -> None:
        rng = random.Random(1)
        for retry, base in ((1, 0.05), (2, 0.1), (3, 0.2), (10, 1.0), (100, 1.0)):
            for _ in range(50):
                sleep = retry_backoff(retry, 0.05, 1.0, rng)
                self.assertTrue(base * 0.5 <= sleep <= base, (retry, sleep))


class _RecordingServicer(recommender_pb2_grpc.RecommenderServicer):
    """Records (method, metadata) per call; GetModelInfo fails `unavailable` times first."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, dict]] = []
        self.unavailable = 0
        self.lock = threading.Lock()

    def _record(self, method: str, context: grpc.ServicerContext) -> None:
        with self.lock:
            self.calls.append((method, dict(context.invocation_metadata())))

    def GetRecommendations(self, request, context):  # noqa: N802 (the generated name)
        self._record("GetRecommendations", context)
        return recommender_pb2.GetRecommendationsResponse(
            items=[recommender_pb2.ScoredItem(item_id="i1", score=1.0)], state="new_user")

    def PutEvents(self, request, context):  # noqa: N802
        self._record("PutEvents", context)
        return recommender_pb2.PutEventsResponse(accepted=len(request.events))

    def StreamEvents(self, request_iterator, context):  # noqa: N802
        self._record("StreamEvents", context)
        return recommender_pb2.PutEventsResponse(accepted=sum(1 for _ in request_iterator))

    def GetModelInfo(self, request, context):  # noqa: N802
        self._record("GetModelInfo", context)
        with self.lock:
            fail = self.unavailable > 0
            self.unavailable -= 1
        if fail:
            context.abort(grpc.StatusCode.UNAVAILABLE, "not yet")
        return recommender_pb2.ModelInfo(name="fake", version=3)


class FakeServerTest(unittest.TestCase):

    def setUp(self) -> None:
        self.servicer = _RecordingServicer()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        recommender_pb2_grpc.add_RecommenderServicer_to_server(self.servicer, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.client = hrnn.HrnnClient(f"127.0.0.1:{port}", token="t0ken-for-the-fake-server",
                                      deadline=5.0, initial_backoff=0.01, max_backoff=0.02)

    def tearDown(self) -> None:
        self.client.close()
        self.server.stop(None)

    def metadata(self, method: str) -> dict:
        found = [metadata for name, metadata in self.servicer.calls if name == method]
        self.assertTrue(found, f"no {method} call recorded: {self.servicer.calls}")
        return found[-1]

    def test_user_calls_carry_routing_and_token(self) -> None:
        self.client.get_recommendations("ü 100%")
        metadata = self.metadata("GetRecommendations")
        self.assertEqual(metadata.get("hrnn-user-id"), "%C3%BC 100%25")
        self.assertEqual(metadata.get("authorization"), "Bearer t0ken-for-the-fake-server")

    def test_put_events_routes_only_a_single_user(self) -> None:
        self.client.put_events([hrnn.Event("u1", "i1"), hrnn.Event("u1", "i2")])
        self.assertEqual(self.metadata("PutEvents").get("hrnn-user-id"), "u1")
        self.client.put_events([hrnn.Event("u1", "i1"), hrnn.Event("u2", "i2")])
        self.assertNotIn("hrnn-user-id", self.metadata("PutEvents"))

    def test_stream_carries_routing(self) -> None:
        with self.client.stream_events(user_id="u9") as stream:
            stream.write(hrnn.Event("u9", "i1"))
            stream.write(recommender_pb2.Event(user_id="u9", item_id="i2"))
        self.assertEqual(stream.response.accepted, 2)
        self.assertEqual(self.metadata("StreamEvents").get("hrnn-user-id"), "u9")

    def test_unavailable_is_retried_then_succeeds(self) -> None:
        self.servicer.unavailable = 2
        self.assertEqual(self.client.model_info().name, "fake")
        self.assertEqual(sum(1 for name, _ in self.servicer.calls if name == "GetModelInfo"), 3)
        self.assertNotIn("hrnn-user-id", self.metadata("GetModelInfo"))

    def test_retries_are_bounded(self) -> None:
        self.servicer.unavailable = 10
        with self.assertRaises(hrnn.HrnnError) as caught:
            self.client.model_info()
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(caught.exception.attempts, 3)
        self.assertEqual(caught.exception.message, "not yet")

    def test_unimplemented_is_not_retried(self) -> None:
        with self.assertRaises(hrnn.HrnnError) as caught:
            self.client.delete_user("u1")
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNIMPLEMENTED)
        self.assertEqual(caught.exception.attempts, 1)

    def test_bad_options_raise_value_error(self) -> None:
        for kwargs in ({"deadline": 0}, {"max_attempts": 0}, {"max_attempts": 11},
                       {"initial_backoff": 2.0, "max_backoff": 1.0}, {"token": "a b"}):
            with self.assertRaises(ValueError, msg=str(kwargs)):
                hrnn.HrnnClient("127.0.0.1:1", **kwargs)


class ClosedPortTest(unittest.TestCase):

    def test_unavailable_after_retries_quickly(self) -> None:
        with socket.socket() as sock:  # A port nothing listens on (once closed).
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with hrnn.HrnnClient(f"127.0.0.1:{port}", deadline=5.0, max_attempts=3) as client:
            start = time.monotonic()
            with self.assertRaises(hrnn.HrnnError) as caught:
                client.get_recommendations("u1")
            elapsed = time.monotonic() - start
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE, caught.exception)
        self.assertEqual(caught.exception.attempts, 3)
        self.assertLess(elapsed, 2.0)


@unittest.skipUnless(os.environ.get("HRNN_TARGET"), "HRNN_TARGET (a live hrnn-server) not set")
class LiveServerTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = hrnn.HrnnClient(os.environ["HRNN_TARGET"], deadline=5.0)
        cls.items = [item for item in os.environ.get("HRNN_ITEMS", "").split(",") if item]
        assert len(cls.items) >= 3, "HRNN_ITEMS must name at least 3 items"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.close()

    def new_user(self) -> str:
        return f"py-test-{uuid.uuid4().hex[:12]}"

    def clicks(self, user: str, items: List[str], session: str = "s1") -> List[hrnn.Event]:
        now_ms = int(time.time() * 1000)
        return [hrnn.Event(user_id=user, item_id=item, session_id=session,
                           timestamp_ms=now_ms + i) for i, item in enumerate(items)]

    def test_health_and_model_info(self) -> None:
        self.assertEqual(self.client.health(), "SERVING")
        info = self.client.model_info()
        self.assertEqual(info.name, "shop")
        self.assertGreaterEqual(info.version, 1)
        self.assertGreater(info.num_items, 0)
        self.assertIn("hrnn", info.recipes)

    def test_recommendations_change_after_put_events(self) -> None:
        user = self.new_user()
        before = self.client.get_recommendations(user, num_results=10)
        self.assertEqual(before.state, "new_user")
        self.assertEqual(len(before.items), 10)
        put = self.client.put_events(self.clicks(user, self.items[:3]))
        self.assertEqual((put.accepted, len(put.rejected)), (3, 0))
        after = self.client.get_recommendations(user, num_results=10, session_id="s1",
                                                filter=hrnn.Filter(exclude_session_items=True))
        self.assertEqual(after.state, "session")
        self.assertNotEqual([i.item_id for i in before.items], [i.item_id for i in after.items])
        self.assertFalse(set(self.items[:3]) & {item.item_id for item in after.items})
        ranked = self.client.rank(user, [after.items[0].item_id, "no-such-item"])
        self.assertEqual([i.known for i in ranked.items], [True, False])
        similar = self.client.similar_items(self.items[0], num_results=4)
        self.assertEqual(len(similar.items), 4)

    def test_invalid_num_results_names_the_field(self) -> None:
        with self.assertRaises(hrnn.HrnnError) as caught:
            self.client.get_recommendations(self.new_user(), num_results=900)
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("num_results", caught.exception.message)
        self.assertEqual(caught.exception.attempts, 1)

    def test_unknown_item_is_not_found(self) -> None:
        with self.assertRaises(hrnn.HrnnError) as caught:
            self.client.similar_items("no-such-item")
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)

    @unittest.skipUnless(os.environ.get("HRNN_FILTERS") == "1", "no filters file")
    def test_named_filter(self) -> None:
        filters = {f.name: f for f in self.client.list_filters()}
        self.assertIn("not_clicked", filters)
        self.assertEqual([(p.name, p.numeric) for p in filters["not_clicked"].parameters],
                         [("TYPES", False)])
        user = self.new_user()
        self.client.put_events(self.clicks(user, self.items[:3]))
        recs = self.client.get_recommendations(user, num_results=20, filter_name="not_clicked",
                                               filter_values={"TYPES": ["click"]})
        self.assertEqual(len(recs.items), 20)
        self.assertFalse(set(self.items[:3]) & {item.item_id for item in recs.items})
        with self.assertRaises(hrnn.HrnnError) as caught:
            self.client.get_recommendations(user, filter_name="no_such_filter")
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("filter.name", caught.exception.message)

    def test_put_items(self) -> None:
        user = self.new_user()
        top = self.client.get_recommendations(user, num_results=5).items[0].item_id
        response = self.client.put_items({top: False, "no-such-item": False})
        try:
            self.assertEqual(response.updated, 1)
            self.assertEqual(list(response.unknown_item_ids), ["no-such-item"])
            self.assertGreaterEqual(self.client.model_info().unavailable_items, 1)
            recs = self.client.get_recommendations(user, num_results=20)
            self.assertNotIn(top, {item.item_id for item in recs.items})
        finally:
            self.assertEqual(self.client.put_items([(top, True)]).updated, 1)

    def test_delete_user(self) -> None:
        user = self.new_user()
        self.client.put_events(self.clicks(user, self.items[:2]))
        self.assertTrue(self.client.delete_user(user))
        self.assertFalse(self.client.delete_user(user))  # Idempotent.
        self.assertEqual(self.client.get_recommendations(user).state, "new_user")

    def test_event_stream(self) -> None:
        user = self.new_user()
        with self.client.stream_events(user_id=user) as stream:
            for event in self.clicks(user, self.items[:3]):
                stream.write(event)
            stream.write(hrnn.Event(user_id=user, item_id=""))  # Rejected: no item_id.
            self.assertEqual(stream.written, 4)
        self.assertEqual(stream.response.accepted, 3)
        self.assertEqual([r.index for r in stream.response.rejected], [3])
        self.assertIn("item_id", stream.response.rejected[0].reason)
        with self.assertRaises(hrnn.HrnnError) as caught:
            stream.write(hrnn.Event(user_id=user, item_id=self.items[0]))
        self.assertEqual(caught.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        recs = self.client.get_recommendations(user, session_id="s1")
        self.assertEqual(recs.state, "session")

    def test_timeout_is_per_call(self) -> None:
        with self.assertRaises(hrnn.HrnnError) as caught:
            self.client.get_recommendations(self.new_user(), timeout=1e-6)
        self.assertEqual(caught.exception.code, grpc.StatusCode.DEADLINE_EXCEEDED)


@unittest.skipUnless(os.environ.get("HRNN_AUTH_TARGET"), "HRNN_AUTH_TARGET not set")
class LiveAuthTest(unittest.TestCase):
    """A live hrnn-server started with --auth_tokens_file holding HRNN_TOKEN."""

    def test_token_is_sent(self) -> None:
        target = os.environ["HRNN_AUTH_TARGET"]
        with hrnn.HrnnClient(target, deadline=5.0) as client:
            self.assertEqual(client.health(), "SERVING")  # Probes need no token.
            with self.assertRaises(hrnn.HrnnError) as caught:
                client.model_info()
            self.assertEqual(caught.exception.code, grpc.StatusCode.UNAUTHENTICATED)
        with hrnn.HrnnClient(target, token=os.environ["HRNN_TOKEN"], deadline=5.0) as client:
            self.assertEqual(client.model_info().name, "shop")
            user = f"py-auth-{uuid.uuid4().hex[:12]}"
            with client.stream_events(user_id=user) as stream:
                stream.write(hrnn.Event(user_id=user, item_id="no-such-item"))
            self.assertEqual(stream.response.accepted, 1)


if __name__ == "__main__":
    unittest.main()
