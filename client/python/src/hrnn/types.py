"""Plain request values of the hrnn client (Event, Filter, Promotion) and their proto forms.

Immutable dataclasses; thread-safe. Responses are the generated protobuf messages of
hrnn.v1 (hrnn.v1.recommender_pb2), documented in proto/hrnn/v1/recommender.proto.
"""

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Union

from hrnn.v1 import recommender_pb2


@dataclass(frozen=True)
class Event:
    """One storefront interaction (hrnn.v1.Event).

    `event_type` "" means "click"; `timestamp_ms` 0 means "now" on the server's clock;
    `event_value` None means unset (it must be finite when set)."""

    user_id: str
    item_id: str
    event_type: str = "click"
    session_id: str = ""
    timestamp_ms: int = 0
    event_value: Optional[float] = None
    impression_item_ids: Sequence[str] = ()
    recommendation_id: str = ""

    def to_proto(self) -> recommender_pb2.Event:
        """The hrnn.v1.Event message."""
        event = recommender_pb2.Event(
            user_id=self.user_id, session_id=self.session_id, item_id=self.item_id,
            event_type=self.event_type, timestamp_ms=self.timestamp_ms,
            impression_item_ids=list(self.impression_item_ids),
            recommendation_id=self.recommendation_id)
        if self.event_value is not None:
            event.event_value = self.event_value
        return event


# What put_events and EventStream.write accept: an Event or the message itself.
EventLike = Union[Event, recommender_pb2.Event]


def event_proto(event: EventLike) -> recommender_pb2.Event:
    """The hrnn.v1.Event of `event`."""
    return event if isinstance(event, recommender_pb2.Event) else event.to_proto()


def _filter_values(values: Mapping[str, Sequence[str]]
                   ) -> Mapping[str, recommender_pb2.FilterValues]:
    if isinstance(values, (str, bytes)):
        raise TypeError("filter values: expected a mapping of parameter name to values")
    result = {}
    for name, value_list in values.items():
        if isinstance(value_list, str):  # One value, e.g. a numeric comparison's.
            value_list = [value_list]
        result[name] = recommender_pb2.FilterValues(values=[str(v) for v in value_list])
    return result


@dataclass(frozen=True)
class Filter:
    """Which items may not be recommended (hrnn.v1.Filter); every option is off by default.

    `name` is a named filter of the server (HrnnClient.list_filters) and `values` its parameter
    values by name without "$", e.g. {"COLORS": ["red", "navy"]} or {"MAX": "20"}."""

    exclude_session_items: bool = False
    exclude_user_history: bool = False
    exclude_purchased: bool = False
    exclude_item_ids: Sequence[str] = ()
    include_item_ids: Sequence[str] = ()
    name: str = ""
    values: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def to_proto(self) -> recommender_pb2.Filter:
        """The hrnn.v1.Filter message."""
        message = recommender_pb2.Filter(
            exclude_session_items=self.exclude_session_items,
            exclude_user_history=self.exclude_user_history,
            exclude_purchased=self.exclude_purchased,
            exclude_item_ids=list(self.exclude_item_ids),
            include_item_ids=list(self.include_item_ids), name=self.name)
        for key, value in _filter_values(self.values).items():
            message.values[key].CopyFrom(value)
        return message


def filter_proto(item_filter: Optional[Filter], name: Optional[str],
                 values: Optional[Mapping[str, Sequence[str]]]) -> recommender_pb2.Filter:
    """The hrnn.v1.Filter of a call's `filter`, `filter_name` and `filter_values` arguments.

    Raises ValueError when both `item_filter.name` and `name` are given."""
    message = (item_filter or Filter()).to_proto()
    if name:
        if message.name:
            raise ValueError("filter_name: the filter already names one (Filter.name)")
        message.name = name
    if values:
        for key, value in _filter_values(values).items():
            message.values[key].CopyFrom(value)
    return message


@dataclass(frozen=True)
class Promotion:
    """Reserve ceil(num_results * percent_promoted_items / 100) slots for the best items passing
    the server's named filter `filter_name` (with `filter_values`); see hrnn.v1.Promotion."""

    name: str
    percent_promoted_items: int
    filter_name: str
    filter_values: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def to_proto(self) -> recommender_pb2.Promotion:
        """The hrnn.v1.Promotion message."""
        message = recommender_pb2.Promotion(
            name=self.name, percent_promoted_items=self.percent_promoted_items,
            filter_name=self.filter_name)
        for key, value in _filter_values(self.filter_values).items():
            message.filter_values[key].CopyFrom(value)
        return message
