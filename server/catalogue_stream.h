// CatalogueStream: the ordered, shared log of catalogue updates that keeps several replicas'
// catalogues equal (--catalog_stream). Every replica appends the PutItems changes it accepts and
// applies every entry of the stream in order (CatalogueReplicator), so an update sent to any
// replica reaches all of them, and a replica that restarts resumes after the last entry it
// applied. The engine is Redis Streams (XADD / XREAD), through hiredis: no replication protocol of
// our own.
//
// Entry format (one XADD per PutItems call): field/value pairs in the changes' order, the field
// "a" (available) or "u" (out of stock) and the value the item id (binary-safe). Entry ids are
// Redis's "MILLISECONDS-SEQUENCE", increasing along the stream.
// Not thread-safe: one connection per object; use one object per thread.
#ifndef HRNN_SERVER_CATALOGUE_STREAM_H_
#define HRNN_SERVER_CATALOGUE_STREAM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/catalogue_updater.h"

namespace hrnn {

// Where the stream lives: --catalog_stream=redis://HOST[:PORT]/NAME (port 6379 by default).
struct CatalogueStreamAddress {
  std::string host;
  int port = 6379;
  std::string name;  // The Redis key of the stream.
  std::string ToString() const;
};
// Errors: InvalidArgument saying what is wrong (scheme, host, port, name).
absl::StatusOr<CatalogueStreamAddress> ParseCatalogueStreamAddress(absl::string_view url);

// An entry id as (milliseconds, sequence), for ordering. "0" and "0-0" are the start of the
// stream. Errors: InvalidArgument for anything else than digits[-digits].
absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseStreamEntryId(absl::string_view id);

struct CatalogueStreamEntry {
  std::string id;
  std::vector<AvailabilityChange> changes;
};

class CatalogueStream {
 public:
  virtual ~CatalogueStream() = default;
  // Appends `changes` as one entry; returns its id. Errors: Unavailable (the engine cannot be
  // reached or refused the write: nothing was appended, or the caller cannot know).
  virtual absl::StatusOr<std::string> Append(absl::Span<const AvailabilityChange> changes) = 0;
  // Up to `max_entries` entries after `after_id`, oldest first, waiting up to `wait` for the
  // first when there are none (then an empty list). Errors: Unavailable.
  virtual absl::StatusOr<std::vector<CatalogueStreamEntry>> Read(absl::string_view after_id,
                                                                 int max_entries,
                                                                 absl::Duration wait) = 0;
};

// A stream on a Redis server (5.0 or later). Connects lazily and reconnects after an error;
// every command has a timeout (`io_timeout` plus the read's wait).
std::unique_ptr<CatalogueStream> NewRedisCatalogueStream(
    CatalogueStreamAddress address, absl::Duration io_timeout = absl::Seconds(2));

}  // namespace hrnn

#endif  // HRNN_SERVER_CATALOGUE_STREAM_H_
