// UserState: what the service remembers about one user between requests (DESIGN §6): the user
// vector c, the session vector s and the bookkeeping that decides session boundaries.
// A plain value type; the owner (the server's state store) provides synchronisation.
#ifndef HRNN_CORE_USER_STATE_H_
#define HRNN_CORE_USER_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace hrnn {

struct UserState {
  std::vector<float> user;     // c: HrnnNetwork::user_state_size() floats (none if session-only).
  std::vector<float> session;  // s: hidden_size() floats; meaningful while session_length > 0.
  std::string session_id;      // Explicit id of the open session, or "" when sessions are cut by
                               // the inactivity timeout.
  int64_t last_event_ms = 0;   // Latest event time applied (ms since the epoch); never decreases.
  int64_t last_item = -1;      // Item of the latest applied event, for duplicate detection.
  int32_t session_length = 0;  // Clicks applied in the open session; 0 means no open session.
  int32_t sessions_folded = 0;  // Finished sessions folded into `user`.

  bool in_session() const { return session_length > 0; }
};

}  // namespace hrnn

#endif  // HRNN_CORE_USER_STATE_H_
