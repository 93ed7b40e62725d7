"""HrnnError: what every failed call of the hrnn client raises."""

from typing import Optional

import grpc


class HrnnError(Exception):
    """A failed call: the gRPC status code and the server's message.

    The server's messages name the field at fault for INVALID_ARGUMENT, e.g.
    "num_results: 900 is outside 1..500". `attempts` counts the calls made (retries on
    UNAVAILABLE included). str(error) is "CODE: message".
    """

    def __init__(self, code: grpc.StatusCode, message: str, *, attempts: int = 1) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.attempts = attempts

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError, *, attempts: int = 1) -> "HrnnError":
        """The HrnnError of a grpc.RpcError (UNKNOWN when it carries no status)."""
        code: Optional[grpc.StatusCode] = getattr(error, "code", lambda: None)()
        details: Optional[str] = getattr(error, "details", lambda: None)()
        return cls(code or grpc.StatusCode.UNKNOWN, details or str(error), attempts=attempts)
