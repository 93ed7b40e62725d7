// UserState: what the service remembers about one user between requests (DESIGN §6): the user
// vector c, the session vector s, the bookkeeping that decides session boundaries, and bounded
// rings of recent and purchased items for the recommendation filters.
// Plain value types; the owner (the server's state store) provides synchronisation.
#ifndef HRNN_CORE_STATE_USER_STATE_H_
#define HRNN_CORE_STATE_USER_STATE_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hrnn {

// The most recent distinct item indices, at most kCapacity of them: pushing an item already held
// does nothing; pushing into a full ring overwrites the oldest entry.
template <int kCapacity>
class RecentItems {
  static_assert(kCapacity > 0 && kCapacity <= 255);

 public:
  static constexpr int capacity() { return kCapacity; }
  int size() const { return size_; }
  bool Contains(int32_t item) const {
    return std::find(items_.begin(), items_.begin() + size_, item) != items_.begin() + size_;
  }
  void Push(int32_t item) {
    if (Contains(item)) return;
    items_[next_] = item;
    next_ = static_cast<uint8_t>((next_ + 1) % kCapacity);
    if (size_ < kCapacity) ++size_;
  }
  void Clear() { size_ = next_ = 0; }
  // The items held, in no particular order.
  const int32_t* begin() const { return items_.data(); }
  const int32_t* end() const { return items_.data() + size_; }

 private:
  std::array<int32_t, kCapacity> items_{};
  uint8_t size_ = 0;
  uint8_t next_ = 0;
};

struct UserState {
  std::vector<float> user;      // c: HrnnNetwork::user_state_size() floats (none if session-only).
  std::vector<float> session;   // s: hidden_size() floats; meaningful while session_length > 0.
  std::string session_id;       // Explicit id of the open session, or "" when sessions are cut by
                                // the inactivity timeout.
  int64_t last_event_ms = 0;    // Latest event time applied (ms since the epoch); never decreases.
  int64_t last_item = -1;       // Item of the latest applied event, for duplicate detection.
  int32_t session_length = 0;   // Clicks applied in the open session; 0 means no open session.
  int32_t sessions_folded = 0;  // Finished sessions folded into `user`.
  int64_t model_version = 0;    // Version of the model whose GRUs produced the vectors; a state
                                // is never used with another version.
  uint64_t last_log_seq = 0;    // Event-log sequence number of the latest event applied (0:
                                // none), so that recovery never applies an event twice.
  RecentItems<16> session_items;    // Items clicked in the open session (filters).
  RecentItems<32> user_items;       // Items clicked in any session (filters).
  RecentItems<16> purchased_items;  // Items bought (filters).

  bool in_session() const { return session_length > 0; }
};

}  // namespace hrnn

#endif  // HRNN_CORE_STATE_USER_STATE_H_
