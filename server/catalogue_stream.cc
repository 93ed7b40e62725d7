#include "server/catalogue_stream.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hrnn {
namespace {

constexpr absl::string_view kScheme = "redis://";

timeval TimeoutOf(absl::Duration duration) {
  timeval tv = absl::ToTimeval(duration);
  if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1000;  // 0 would mean "no timeout".
  return tv;
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisCatalogueStream final : public CatalogueStream {
 public:
  RedisCatalogueStream(CatalogueStreamAddress address, absl::Duration io_timeout)
      : address_(std::move(address)), io_timeout_(io_timeout) {}
  ~RedisCatalogueStream() override { Disconnect(); }

  absl::StatusOr<std::string> Append(absl::Span<const AvailabilityChange> changes) override {
    std::vector<std::string> args = {"XADD", address_.name, "*"};
    args.reserve(3 + 2 * changes.size());
    for (const AvailabilityChange& change : changes) {
      args.push_back(change.available ? "a" : "u");
      args.push_back(change.item_id);
    }
    absl::StatusOr<Reply> reply = Command(args, io_timeout_);
    if (!reply.ok()) return reply.status();
    if ((*reply)->type != REDIS_REPLY_STRING) return Unexpected("XADD", **reply);
    return std::string((*reply)->str, (*reply)->len);
  }

  absl::StatusOr<std::vector<CatalogueStreamEntry>> Read(absl::string_view after_id,
                                                         int max_entries,
                                                         absl::Duration wait) override {
    const std::vector<std::string> args = {"XREAD",
                                           "COUNT",
                                           absl::StrCat(max_entries),
                                           "BLOCK",
                                           absl::StrCat(absl::ToInt64Milliseconds(wait)),
                                           "STREAMS",
                                           address_.name,
                                           std::string(after_id)};
    absl::StatusOr<Reply> reply = Command(args, io_timeout_ + wait);
    if (!reply.ok()) return reply.status();
    std::vector<CatalogueStreamEntry> entries;
    const redisReply& r = **reply;
    if (r.type == REDIS_REPLY_NIL) return entries;  // Nothing new within `wait`.
    // [[name, [[id, [field, value, ...]], ...]]]
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 1 || r.element[0]->type != REDIS_REPLY_ARRAY ||
        r.element[0]->elements != 2 || r.element[0]->element[1]->type != REDIS_REPLY_ARRAY) {
      return Unexpected("XREAD", r);
    }
    const redisReply& list = *r.element[0]->element[1];
    entries.reserve(list.elements);
    for (size_t i = 0; i < list.elements; ++i) {
      const redisReply& entry = *list.element[i];
      if (entry.type != REDIS_REPLY_ARRAY || entry.elements != 2 ||
          entry.element[0]->type != REDIS_REPLY_STRING ||
          entry.element[1]->type != REDIS_REPLY_ARRAY || entry.element[1]->elements % 2 != 0) {
        return Unexpected("XREAD entry", entry);
      }
      CatalogueStreamEntry& out = entries.emplace_back();
      out.id.assign(entry.element[0]->str, entry.element[0]->len);
      const redisReply& fields = *entry.element[1];
      for (size_t f = 0; f + 1 < fields.elements; f += 2) {
        const redisReply& field = *fields.element[f];
        const redisReply& value = *fields.element[f + 1];
        if (field.type != REDIS_REPLY_STRING || value.type != REDIS_REPLY_STRING) {
          return Unexpected("XREAD field", entry);
        }
        const absl::string_view name(field.str, field.len);
        if (name != "a" && name != "u") {
          return absl::DataLossError(absl::StrCat("catalog stream ", address_.ToString(),
                                                  ": entry ", out.id, " has a field \"", name,
                                                  "\" (expected \"a\" or \"u\")"));
        }
        out.changes.push_back({std::string(value.str, value.len), name == "a"});
      }
    }
    return entries;
  }

 private:
  absl::Status Unavailable(absl::string_view what) {
    return absl::UnavailableError(absl::StrCat("catalog stream ", address_.ToString(), ": ", what));
  }
  absl::Status Unexpected(absl::string_view command, const redisReply& reply) {
    if (reply.type == REDIS_REPLY_ERROR) {
      return Unavailable(absl::StrCat(command, ": ", absl::string_view(reply.str, reply.len)));
    }
    return Unavailable(absl::StrCat(command, ": unexpected reply of type ", reply.type));
  }

  void Disconnect() {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
  }

  // Runs one command; after any connection error the connection is dropped (reconnected by the
  // next command).
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args, absl::Duration timeout) {
    if (context_ == nullptr) {
      context_ =
          redisConnectWithTimeout(address_.host.c_str(), address_.port, TimeoutOf(io_timeout_));
      if (context_ == nullptr) return Unavailable("cannot allocate a connection");
      if (context_->err != 0) {
        const std::string error = context_->errstr;
        Disconnect();
        return Unavailable(absl::StrCat("connect: ", error));
      }
    }
    redisSetTimeout(context_, TimeoutOf(timeout));
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    Reply reply(static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (reply == nullptr) {
      const std::string error = context_->errstr;
      Disconnect();
      return Unavailable(absl::StrCat(args[0], ": ", error));
    }
    return reply;
  }

  const CatalogueStreamAddress address_;
  const absl::Duration io_timeout_;
  redisContext* context_ = nullptr;
};

}  // namespace

std::string CatalogueStreamAddress::ToString() const {
  return absl::StrCat(kScheme, host, ":", port, "/", name);
}

absl::StatusOr<CatalogueStreamAddress> ParseCatalogueStreamAddress(absl::string_view url) {
  if (!absl::ConsumePrefix(&url, kScheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", url, "\" does not start with redis:// (redis://HOST[:PORT]/NAME)"));
  }
  const size_t slash = url.find('/');
  if (slash == absl::string_view::npos || slash + 1 == url.size()) {
    return absl::InvalidArgumentError(
        "no stream name: expected redis://HOST[:PORT]/NAME (NAME is the stream's key)");
  }
  CatalogueStreamAddress address;
  address.name = std::string(url.substr(slash + 1));
  absl::string_view host_port = url.substr(0, slash);
  if (const size_t colon = host_port.rfind(':'); colon != absl::string_view::npos) {
    int port = 0;
    if (!absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port < 1 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("port \"", host_port.substr(colon + 1), "\" is not in 1..65535"));
    }
    address.port = port;
    host_port = host_port.substr(0, colon);
  }
  if (host_port.empty()) return absl::InvalidArgumentError("no host: expected redis://HOST/NAME");
  address.host = std::string(host_port);
  return address;
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseStreamEntryId(absl::string_view id) {
  std::pair<uint64_t, uint64_t> parsed = {0, 0};
  const std::vector<absl::string_view> parts = absl::StrSplit(id, '-');
  const bool ok =
      (parts.size() == 1 || parts.size() == 2) && absl::SimpleAtoi(parts[0], &parsed.first) &&
      !parts[0].empty() && parts[0][0] != '+' &&
      (parts.size() == 1 ||
       (!parts[1].empty() && parts[1][0] != '+' && absl::SimpleAtoi(parts[1], &parsed.second)));
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", id, "\" is not a stream entry id (MILLISECONDS-SEQUENCE)"));
  }
  return parsed;
}

std::unique_ptr<CatalogueStream> NewRedisCatalogueStream(CatalogueStreamAddress address,
                                                         absl::Duration io_timeout) {
  return std::make_unique<RedisCatalogueStream>(std::move(address), io_timeout);
}

}  // namespace hrnn
