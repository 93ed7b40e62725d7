"""The gRPC metadata that routes a call by user (as client/routing_metadata.h does in C++).

Every call about one user carries `hrnn-user-id: <id>`, so that a proxy (deploy/: Envoy, nginx)
hashes users consistently onto servers. Stateless functions; thread-safe.
"""

from typing import Tuple

# The metadata key (lower case, as gRPC requires).
USER_ID_METADATA_KEY = "hrnn-user-id"


def user_id_metadata_value(user_id: str) -> str:
    """The metadata value for `user_id`: the id itself when it is printable ASCII without '%';
    otherwise every byte of its UTF-8 encoding outside 0x20..0x7E, and '%', is written as %XX
    (upper-case hex), which keeps the value a legal ASCII header and the mapping one-to-one."""
    return "".join(
        chr(byte) if 0x20 <= byte <= 0x7E and byte != 0x25 else "%%%02X" % byte
        for byte in user_id.encode("utf-8"))


def user_id_metadata(user_id: str) -> Tuple[Tuple[str, str], ...]:
    """The routing metadata of a call about `user_id`; empty for an empty id."""
    if not user_id:
        return ()
    return ((USER_ID_METADATA_KEY, user_id_metadata_value(user_id)),)
