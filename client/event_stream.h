// EventStream: one open StreamEvents call. Write() sends events as they come; Finish() closes
// the stream and returns the server's PutEventsResponse. Not thread-safe: one writer at a time.
#ifndef HRNN_CLIENT_EVENT_STREAM_H_
#define HRNN_CLIENT_EVENT_STREAM_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"
#include "hrnn/v1/recommender.grpc.pb.h"

namespace hrnn::client {

class EventStream {
 public:
  // Opens a StreamEvents call on `stub`. `user_id`, when not empty, is sent as the
  // hrnn-user-id routing metadata (for a stream about one user); `deadline` bounds the whole
  // stream (absl::InfiniteDuration(): none). Opening never fails: a broken channel shows as a
  // Write() error and Finish()'s status. REQUIRES: `stub` outlives the stream.
  static std::unique_ptr<EventStream> Open(hrnn::v1::Recommender::StubInterface* stub,
                                           absl::string_view user_id, absl::Duration deadline);

  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;
  // Cancels the call if Finish() was not called.
  ~EventStream();

  // Sends one event. Returns OK when it was handed to the transport, or UNAVAILABLE when the
  // stream is broken (then Finish() says why). REQUIRES: Finish() not yet called.
  absl::Status Write(const hrnn::v1::Event& event);

  // Closes the sending side and waits for the server's answer: the counts of accepted and
  // rejected events (indices are positions in this stream), or the call's error status.
  // Calling it again returns FailedPrecondition.
  absl::StatusOr<hrnn::v1::PutEventsResponse> Finish();

  // Events handed to the transport so far.
  int64_t written() const { return written_; }

 private:
  EventStream() = default;

  grpc::ClientContext context_;
  hrnn::v1::PutEventsResponse response_;
  std::unique_ptr<grpc::ClientWriterInterface<hrnn::v1::Event>> writer_;
  int64_t written_ = 0;
  bool broken_ = false;
  bool finished_ = false;
};

}  // namespace hrnn::client

#endif  // HRNN_CLIENT_EVENT_STREAM_H_
