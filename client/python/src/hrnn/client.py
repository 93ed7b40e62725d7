"""HrnnClient: the typed Python client of hrnn.v1.Recommender (as client/recommender_client.h).

Every call about a user carries the `hrnn-user-id` routing metadata; every unary call has a
deadline (all its attempts and backoff sleeps included) and is retried on UNAVAILABLE with
exponential backoff, a bounded number of times. Failed calls raise HrnnError. Responses are the
generated hrnn.v1 protobuf messages (proto/hrnn/v1/recommender.proto documents their fields).
Thread-safe: one client (one channel) may serve many threads.
"""

import random
import threading
import time
from typing import (Any, Callable, Iterable, List, Mapping, Optional, Sequence, Tuple, TypeVar,
                    Union)

import grpc

from hrnn._health import health_pb2, health_pb2_grpc
from hrnn.backoff import retry_backoff
from hrnn.errors import HrnnError
from hrnn.event_stream import EventStream
from hrnn.routing import user_id_metadata
from hrnn.types import EventLike, Filter, Promotion, event_proto, filter_proto
from hrnn.v1 import recommender_pb2, recommender_pb2_grpc

Response = TypeVar("Response")
Metadata = Tuple[Tuple[str, str], ...]

# The service name the health service reports the recommender under.
RECOMMENDER_SERVICE = "hrnn.v1.Recommender"


class HrnnClient:
    """A connection to hrnn-server (or a proxy in front of it).

    Use it as a context manager, or call close(), to release the channel."""

    def __init__(self, target: str, *, token: Optional[str] = None, tls: bool = False,
                 root_certificates: Optional[bytes] = None,
                 private_key: Optional[bytes] = None,
                 certificate_chain: Optional[bytes] = None,
                 deadline: float = 2.0, stream_deadline: Optional[float] = 300.0,
                 max_attempts: int = 3, initial_backoff: float = 0.05,
                 max_backoff: float = 1.0,
                 channel_options: Sequence[Tuple[str, Any]] = ()) -> None:
        """Opens a channel to `target` ("host:port", "dns:///recs.internal:443", ...).

        Args:
          token: sent as "authorization: Bearer <token>" on every recommender call (the
            server's --auth_tokens_file); None sends none.
          tls: use TLS. Implied by any of root_certificates (PEM bytes; None: the system's
            roots), private_key and certificate_chain (PEM bytes, for mutual TLS).
          deadline: seconds each unary call may take, its retries and backoff sleeps included,
            unless the call passes `timeout`. Must be positive.
          stream_deadline: seconds one StreamEvents stream may stay open (None: no limit).
          max_attempts: attempts per unary call, the first included (1..10); only UNAVAILABLE
            is retried, and never past the deadline.
          initial_backoff, max_backoff: the sleep before retry n is
            min(initial_backoff * 2^(n-1), max_backoff) seconds, jittered to 50..100%.
          channel_options: extra grpc channel arguments.

        Raises ValueError naming the first bad argument. Connecting is lazy: an unreachable
        server shows as HrnnError UNAVAILABLE on the first call.
        """
        if not target:
            raise ValueError("target: must not be empty")
        if not deadline > 0:
            raise ValueError(f"deadline: {deadline} is not positive")
        if stream_deadline is not None and not stream_deadline > 0:
            raise ValueError(f"stream_deadline: {stream_deadline} is not positive")
        if not 1 <= max_attempts <= 10:
            raise ValueError(f"max_attempts: {max_attempts} is outside 1..10")
        if not 0 < initial_backoff <= max_backoff:
            raise ValueError("initial_backoff, max_backoff: need 0 < initial_backoff <= "
                             f"max_backoff, got {initial_backoff} and {max_backoff}")
        if token is not None and (not token or any(c.isspace() for c in token)):
            raise ValueError("token: must be non-empty and contain no whitespace")
        self._deadline = deadline
        self._stream_deadline = stream_deadline
        self._max_attempts = max_attempts
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._auth: Metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._rng = random.Random()
        self._rng_lock = threading.Lock()
        options = [("grpc.max_receive_message_length", 64 << 20), *channel_options]
        if tls or root_certificates or private_key or certificate_chain:
            credentials = grpc.ssl_channel_credentials(root_certificates, private_key,
                                                       certificate_chain)
            self._channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(target, options=options)
        self._stub = recommender_pb2_grpc.RecommenderStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the channel; calls in flight are cancelled."""
        self._channel.close()

    def __enter__(self) -> "HrnnClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- the calls --------------------------------------------------------------------------

    def get_recommendations(
            self, user_id: str, *, num_results: int = 0, session_id: str = "",
            recipe: str = "", filter: Optional[Filter] = None,  # noqa: A002 (the proto's name)
            filter_name: Optional[str] = None,
            filter_values: Optional[Mapping[str, Sequence[str]]] = None,
            promotion: Optional[Promotion] = None,
            context: Optional[Mapping[str, str]] = None,
            timeout: Optional[float] = None) -> recommender_pb2.GetRecommendationsResponse:
        """The top items for `user_id` right now (GetRecommendations).

        num_results: 1..500, 0 = the server's default (25). recipe: "hrnn", "sknn", "sr",
        "personal", "trending", "auto", or "" for the model's default. filter / filter_name /
        filter_values: which items may not be recommended (filter_name names one of the
        server's filters, list_filters(), and may not be given with filter.name). promotion:
        slots reserved for a named filter's best items. timeout: seconds, overriding the
        client's deadline. Raises HrnnError (INVALID_ARGUMENT naming the field for a bad
        request, UNAVAILABLE when no server answers after the retries)."""
        request = recommender_pb2.GetRecommendationsRequest(
            user_id=user_id, session_id=session_id, num_results=num_results, recipe=recipe,
            filter=filter_proto(filter, filter_name, filter_values), context=context or {})
        if promotion is not None:
            request.promotion.CopyFrom(promotion.to_proto())
        return self._call(self._stub.GetRecommendations, request, user_id, timeout)

    def similar_items(
            self, item_id: str, *, num_results: int = 0, user_id: str = "",
            session_id: str = "", filter: Optional[Filter] = None,  # noqa: A002
            filter_name: Optional[str] = None,
            filter_values: Optional[Mapping[str, Sequence[str]]] = None,
            context: Optional[Mapping[str, str]] = None,
            timeout: Optional[float] = None) -> recommender_pb2.GetSimilarItemsResponse:
        """The items most like `item_id` (GetSimilarItems). `user_id` (optional) is the
        shopper whose state the filter's user-based options read. Raises HrnnError: NOT_FOUND
        for an item the model does not know, INVALID_ARGUMENT for a bad request."""
        request = recommender_pb2.GetSimilarItemsRequest(
            item_id=item_id, num_results=num_results, user_id=user_id, session_id=session_id,
            filter=filter_proto(filter, filter_name, filter_values), context=context or {})
        return self._call(self._stub.GetSimilarItems, request, user_id, timeout)

    def rank(self, user_id: str, item_ids: Sequence[str], *, session_id: str = "",
             filter: Optional[Filter] = None,  # noqa: A002
             filter_name: Optional[str] = None,
             filter_values: Optional[Mapping[str, Sequence[str]]] = None,
             context: Optional[Mapping[str, str]] = None,
             timeout: Optional[float] = None) -> recommender_pb2.GetPersonalizedRankingResponse:
        """Re-ranks the candidates `item_ids` (1..500) for `user_id`, best first
        (GetPersonalizedRanking); unknown ids follow with `known` false. Raises HrnnError."""
        if isinstance(item_ids, str):
            raise TypeError("item_ids: expected a sequence of item ids, not a string")
        request = recommender_pb2.GetPersonalizedRankingRequest(
            user_id=user_id, session_id=session_id, input_item_ids=list(item_ids),
            filter=filter_proto(filter, filter_name, filter_values), context=context or {})
        return self._call(self._stub.GetPersonalizedRanking, request, user_id, timeout)

    def put_events(self, events: Iterable[EventLike], *,
                   timeout: Optional[float] = None) -> recommender_pb2.PutEventsResponse:
        """Applies events in order (PutEvents): hrnn.Event values or hrnn.v1.Event messages.

        Each event is accepted or rejected on its own: the response counts the accepted and
        lists the rejected with their index and reason. The routing metadata is sent when all
        events are about one user. Raises HrnnError for a failed call (e.g. INVALID_ARGUMENT
        for an empty or oversized batch)."""
        request = recommender_pb2.PutEventsRequest(events=[event_proto(e) for e in events])
        users = {event.user_id for event in request.events}
        routing_user = users.pop() if len(users) == 1 else ""
        return self._call(self._stub.PutEvents, request, routing_user, timeout)

    def stream_events(self, user_id: str = "") -> EventStream:
        """Opens a StreamEvents stream (see EventStream); `user_id`, when given, is sent as
        the routing metadata (for a stream about one user). Bounded by the client's
        stream_deadline; never retried."""
        metadata = self._auth + user_id_metadata(user_id)
        return EventStream(self._stub.StreamEvents, metadata, self._stream_deadline)

    def put_items(self, availability: Union[Mapping[str, bool], Iterable[Tuple[str, bool]]], *,
                  timeout: Optional[float] = None) -> recommender_pb2.PutItemsResponse:
        """Marks items available (True) or unavailable (False; never recommended) (PutItems):
        a mapping or pairs of item id and availability, 1..10000 items. The response counts
        the items updated and lists the ids the model does not know. Raises HrnnError."""
        pairs = availability.items() if isinstance(availability, Mapping) else availability
        request = recommender_pb2.PutItemsRequest(items=[
            recommender_pb2.ItemAvailability(item_id=item_id, available=bool(available))
            for item_id, available in pairs])
        return self._call(self._stub.PutItems, request, "", timeout)

    def delete_user(self, user_id: str, *, timeout: Optional[float] = None) -> bool:
        """Forgets `user_id`'s state (DeleteUser); idempotent. Returns True when the server
        held state for the user. Raises HrnnError."""
        request = recommender_pb2.DeleteUserRequest(user_id=user_id)
        return self._call(self._stub.DeleteUser, request, user_id, timeout).deleted

    def model_info(self, *, timeout: Optional[float] = None) -> recommender_pb2.ModelInfo:
        """The model being served (GetModelInfo). Raises HrnnError (UNAVAILABLE while no model
        is loaded)."""
        return self._call(self._stub.GetModelInfo, recommender_pb2.GetModelInfoRequest(), "",
                          timeout)

    def list_filters(self, *, timeout: Optional[float] = None
                     ) -> List[recommender_pb2.NamedFilterInfo]:
        """The server's named filters (ListFilters) with their parameters. Raises HrnnError."""
        response = self._call(self._stub.ListFilters, recommender_pb2.ListFiltersRequest(), "",
                              timeout)
        return list(response.filters)

    def health(self, service: str = RECOMMENDER_SERVICE, *,
               timeout: Optional[float] = None) -> str:
        """The serving status of `service` from the gRPC health service: "SERVING",
        "NOT_SERVING" (no model loaded yet), ... Raises HrnnError (NOT_FOUND for an unknown
        service, UNAVAILABLE when no server answers)."""
        response = self._call(self._health.Check,
                              health_pb2.HealthCheckRequest(service=service), "", timeout)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)

    # -- internals --------------------------------------------------------------------------

    def _backoff(self, retry: int) -> float:
        with self._rng_lock:
            return retry_backoff(retry, self._initial_backoff, self._max_backoff, self._rng)

    def _call(self, method: Callable[..., Response], request: Any, user_id: str,
              timeout: Optional[float]) -> Response:
        """Calls `method` with the routing and auth metadata, retrying UNAVAILABLE."""
        budget = self._deadline if timeout is None else timeout
        if not budget > 0:
            raise ValueError(f"timeout: {timeout} is not positive")
        deadline = time.monotonic() + budget
        metadata = self._auth + user_id_metadata(user_id)
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HrnnError(grpc.StatusCode.DEADLINE_EXCEEDED,
                                "deadline exceeded before the call was sent",
                                attempts=attempt - 1)
            try:
                return method(request, timeout=remaining, metadata=metadata)
            except grpc.RpcError as error:
                failure = HrnnError.from_rpc_error(error, attempts=attempt)
            if failure.code != grpc.StatusCode.UNAVAILABLE or attempt >= self._max_attempts:
                raise failure
            backoff = self._backoff(attempt)
            if time.monotonic() + backoff >= deadline:
                raise failure
            time.sleep(backoff)
