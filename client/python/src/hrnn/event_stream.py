"""EventStream: one open StreamEvents call (as client/event_stream.h in C++).

write() sends events as they come; close() ends the stream and returns the server's summary
(hrnn.v1.PutEventsResponse: accepted, and the rejected events by their position in the stream).
Streams are not retried. Not thread-safe: one writer at a time.

    with client.stream_events(user_id="u7") as stream:
        stream.write(hrnn.Event(user_id="u7", item_id="i1"))
    print(stream.response.accepted)
"""

import queue
import threading
from typing import Any, Iterator, Optional, Sequence, Tuple

import grpc

from hrnn.errors import HrnnError
from hrnn.types import EventLike, event_proto
from hrnn.v1 import recommender_pb2

_END = object()  # Ends the request iterator.


class EventStream:
    """An open StreamEvents call. Created by HrnnClient.stream_events()."""

    def __init__(self, stream_method: Any, metadata: Sequence[Tuple[str, str]],
                 timeout: Optional[float]) -> None:
        """Opens the call on `stream_method` (the stub's StreamEvents). Opening never fails: a
        broken channel shows as a write() error and close()'s HrnnError."""
        self._queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._written = 0
        self._finished = False
        self._response: Optional[recommender_pb2.PutEventsResponse] = None
        # grpc consumes the iterator on its own thread, as the events are queued.
        self._future = stream_method.future(self._requests(), timeout=timeout,
                                            metadata=tuple(metadata))

    def _requests(self) -> Iterator[recommender_pb2.Event]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            yield item

    @property
    def written(self) -> int:
        """Events handed to the stream so far."""
        return self._written

    @property
    def response(self) -> Optional[recommender_pb2.PutEventsResponse]:
        """The server's summary once close() succeeded (also after a `with` block); else None."""
        return self._response

    def write(self, event: EventLike) -> None:
        """Sends one event (an hrnn.Event or an hrnn.v1.Event).

        Raises HrnnError FAILED_PRECONDITION after close(), and UNAVAILABLE when the call has
        already ended (then close() raises why)."""
        with self._lock:
            if self._finished:
                raise HrnnError(grpc.StatusCode.FAILED_PRECONDITION,
                                "event stream: already closed")
            if self._future.done():
                raise HrnnError(grpc.StatusCode.UNAVAILABLE,
                                "event stream: broken; close() raises the reason")
            self._queue.put(event_proto(event))
            self._written += 1

    def close(self) -> recommender_pb2.PutEventsResponse:
        """Ends the sending side and waits for the server's summary.

        Raises HrnnError with the call's status when it failed, FAILED_PRECONDITION when
        called again."""
        with self._lock:
            if self._finished:
                raise HrnnError(grpc.StatusCode.FAILED_PRECONDITION,
                                "event stream: already closed")
            self._finished = True
            self._queue.put(_END)
        try:
            self._response = self._future.result()
        except grpc.FutureCancelledError:
            raise HrnnError(grpc.StatusCode.CANCELLED, "event stream: cancelled") from None
        except grpc.RpcError as error:
            raise HrnnError.from_rpc_error(error) from None
        return self._response

    def cancel(self) -> None:
        """Cancels the call unless it was closed: events not yet applied are dropped."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            self._future.cancel()
            self._queue.put(_END)

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        """Closes the stream (raising its HrnnError if it failed), or cancels it when the block
        raised."""
        if exc_type is not None:
            self.cancel()
        elif not self._finished:
            self.close()
