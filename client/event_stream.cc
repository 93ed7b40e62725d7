#include "client/event_stream.h"

#include <string>

#include "client/grpc_status.h"
#include "client/routing_metadata.h"

namespace hrnn::client {

std::unique_ptr<EventStream> EventStream::Open(hrnn::v1::Recommender::StubInterface* stub,
                                               absl::string_view user_id, absl::Duration deadline) {
  std::unique_ptr<EventStream> stream(new EventStream());
  if (deadline != absl::InfiniteDuration()) {
    stream->context_.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
  if (!user_id.empty()) {
    stream->context_.AddMetadata(kUserIdMetadataKey, UserIdMetadataValue(user_id));
  }
  stream->writer_ = stub->StreamEvents(&stream->context_, &stream->response_);
  return stream;
}

EventStream::~EventStream() {
  if (!finished_ && writer_ != nullptr) {
    context_.TryCancel();
    writer_->Finish().IgnoreError();
  }
}

absl::Status EventStream::Write(const hrnn::v1::Event& event) {
  if (finished_) return absl::FailedPreconditionError("event stream: already finished");
  if (broken_ || !writer_->Write(event)) {
    broken_ = true;
    return absl::UnavailableError("event stream: broken; Finish() returns the reason");
  }
  ++written_;
  return absl::OkStatus();
}

absl::StatusOr<hrnn::v1::PutEventsResponse> EventStream::Finish() {
  if (finished_) return absl::FailedPreconditionError("event stream: already finished");
  finished_ = true;
  if (!broken_) writer_->WritesDone();
  const grpc::Status status = writer_->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return std::move(response_);
}

}  // namespace hrnn::client
