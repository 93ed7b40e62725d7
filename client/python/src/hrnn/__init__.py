"""The Python client of the hrnn recommendation service (hrnn.v1.Recommender).

    import hrnn

    with hrnn.HrnnClient("127.0.0.1:8500", deadline=2.0) as client:
        client.put_events([hrnn.Event(user_id="u7", item_id="i1")])
        for item in client.get_recommendations("u7", num_results=5).items:
            print(item.item_id, item.score)

Failed calls raise hrnn.HrnnError (`.code` is a grpc.StatusCode, `.message` the server's
message). The generated protobuf messages are in hrnn.v1.recommender_pb2.
"""

from hrnn.client import RECOMMENDER_SERVICE, HrnnClient
from hrnn.errors import HrnnError
from hrnn.event_stream import EventStream
from hrnn.routing import USER_ID_METADATA_KEY, user_id_metadata_value
from hrnn.types import Event, Filter, Promotion
from hrnn.v1 import recommender_pb2

__all__ = [
    "Event", "EventStream", "Filter", "HrnnClient", "HrnnError", "Promotion",
    "RECOMMENDER_SERVICE", "USER_ID_METADATA_KEY", "recommender_pb2", "user_id_metadata_value",
]
__version__ = "0.1.0"
