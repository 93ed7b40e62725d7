#include "core/data/synth.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hrnn {
namespace {

constexpr int64_t kMaxFavourites = 4;
constexpr int64_t kMinSessionGapSeconds = 2 * 3600;
constexpr double kMaxInSessionGapSeconds = 20 * 60;  // Below the 30-minute session gap.
constexpr size_t kFlushBytes = 1 << 20;

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256**, seeded from (seed, stream) via SplitMix64; our own distributions, so the output
// is the same with every standard library.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t sm = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (uint64_t& word : s_) word = SplitMix64(&sm);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool Bernoulli(double p) { return Uniform() < p; }
  int64_t Below(int64_t n) { return static_cast<int64_t>(Uniform() * static_cast<double>(n)); }
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }
  double Normal() {
    const double u1 = 1.0 - Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * Uniform());
  }
  // Gamma(alpha, 1) by Marsaglia-Tsang (alpha < 1 boosted).
  double Gamma(double alpha) {
    if (alpha < 1.0) return Gamma(alpha + 1.0) * std::pow(1.0 - Uniform(), 1.0 / alpha);
    const double d = alpha - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    while (true) {
      double x, v;
      do {
        x = Normal();
        v = 1.0 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = 1.0 - Uniform();
      if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
  }
  // Index drawn from an inclusive prefix sum `cdf`.
  int64_t FromCdf(const std::vector<double>& cdf, size_t begin, size_t end) {
    const double base = begin == 0 ? 0.0 : cdf[begin - 1];
    const double x = base + Uniform() * (cdf[end - 1] - base);
    const auto it = std::upper_bound(cdf.begin() + begin, cdf.begin() + end, x);
    return std::min<int64_t>(it - cdf.begin(), end - 1) - begin;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Clusters are contiguous ranges of "slots"; slot g of cluster c is ring position g - offset[c].
// Slot g has the item id "i<id_of[g]>" (a random permutation, so ids do not reveal clusters).
struct Catalog {
  std::vector<int64_t> offset;  // Per cluster, plus a final entry = items.
  std::vector<double> cluster_cdf;
  std::vector<double> item_cdf;  // Per slot, prefix sums over all slots (in cluster order).
  std::vector<int32_t> id_of;    // Slot -> id number.
  std::vector<float> price;      // Per slot.

  int64_t size(int64_t c) const { return offset[c + 1] - offset[c]; }
};

Catalog BuildCatalog(const SynthOptions& options) {
  Catalog cat;
  Rng rng(options.seed, 0);
  const int64_t n = options.items, k = options.num_clusters();
  for (int64_t c = 0; c <= k; ++c) cat.offset.push_back(c * n / k);
  double total = 0;
  for (int64_t c = 0; c < k; ++c) {
    total += std::pow(static_cast<double>(c + 1), -options.zipf);
    cat.cluster_cdf.push_back(total);
  }
  cat.item_cdf.resize(n);
  double sum = 0;
  for (int64_t c = 0; c < k; ++c) {
    std::vector<int64_t> rank(cat.size(c));
    std::iota(rank.begin(), rank.end(), 0);
    for (int64_t i = static_cast<int64_t>(rank.size()) - 1; i > 0; --i) {
      std::swap(rank[i], rank[rng.Below(i + 1)]);
    }
    for (int64_t q = 0; q < cat.size(c); ++q) {
      sum += std::pow(static_cast<double>(rank[q] + 1), -options.zipf);
      cat.item_cdf[cat.offset[c] + q] = sum;
    }
  }
  cat.id_of.resize(n);
  std::iota(cat.id_of.begin(), cat.id_of.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) std::swap(cat.id_of[i], cat.id_of[rng.Below(i + 1)]);
  cat.price.resize(n);
  for (float& p : cat.price)
    p = static_cast<float>(std::round(500.0 + rng.Exponential(3000.0)) / 100.0);
  return cat;
}

// Output to a plain or gzip file through a buffer.
class Output {
 public:
  absl::Status Open(const std::string& path) {
    path_ = path;
    if (absl::EndsWith(path, ".gz")) {
      gz_ = gzopen(path.c_str(), "wb6");
      if (gz_ == nullptr) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": open"));
    } else {
      file_ = std::fopen(path.c_str(), "wb");
      if (file_ == nullptr) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": open"));
    }
    return absl::OkStatus();
  }
  std::string& buffer() { return buffer_; }
  absl::Status MaybeFlush() { return buffer_.size() >= kFlushBytes ? Flush() : absl::OkStatus(); }
  absl::Status Close() {
    absl::Status status = Flush();
    if (gz_ != nullptr && gzclose(gz_) != Z_OK && status.ok()) {
      status = absl::DataLossError(absl::StrCat(path_, ": gzclose failed"));
    }
    if (file_ != nullptr && std::fclose(file_) != 0 && status.ok()) {
      status = absl::ErrnoToStatus(errno, absl::StrCat(path_, ": close"));
    }
    gz_ = nullptr;
    file_ = nullptr;
    return status;
  }
  ~Output() { (void)Close(); }

 private:
  absl::Status Flush() {
    if (buffer_.empty()) return absl::OkStatus();
    bool ok;
    if (gz_ != nullptr) {
      ok = gzwrite(gz_, buffer_.data(), static_cast<unsigned>(buffer_.size())) ==
           static_cast<int>(buffer_.size());
    } else {
      ok = std::fwrite(buffer_.data(), 1, buffer_.size(), file_) == buffer_.size();
    }
    buffer_.clear();
    if (!ok) return absl::ErrnoToStatus(errno ? errno : EIO, absl::StrCat(path_, ": write"));
    return absl::OkStatus();
  }
  std::string path_;
  std::string buffer_;
  gzFile gz_ = nullptr;
  std::FILE* file_ = nullptr;
};

// Generates one user's rows into `out`; updates `stats`.
class UserGenerator {
 public:
  UserGenerator(const SynthOptions& options, const Catalog& cat, std::vector<bool>* used,
                SynthStats* stats)
      : options_(options), cat_(cat), used_(used), stats_(stats) {}

  void Generate(int64_t user, int64_t budget, std::string* out) {
    Rng rng(options_.seed, static_cast<uint64_t>(user) + 1);
    user_id_ = absl::StrCat("u", user);
    const int64_t k = options_.num_clusters();
    // Lasting taste: 1..4 favourite clusters with Dirichlet(1) weights and a "home" position.
    int64_t n_fav = 1;
    while (n_fav < std::min(kMaxFavourites, k) && rng.Bernoulli(0.5)) ++n_fav;
    fav_.clear();
    for (int64_t f = 0; f < n_fav; ++f) fav_.push_back(NewFavourite(&rng, rng.Gamma(1.0)));
    // Start somewhere in the first ~30 days; sessions then follow days apart.
    double t = static_cast<double>(options_.start_time) + rng.Uniform() * 30 * 86400.0;
    while (budget > 0) {
      int64_t length = 2;
      const double extra = options_.mean_session_length - 2.0;
      if (extra > 0) length += static_cast<int64_t>(rng.Exponential(extra) + rng.Uniform());
      length = std::min(length, budget);
      if (budget - length == 1) ++length;  // Never leave a lone row.
      budget -= length;
      if (rng.Bernoulli(options_.drift)) {
        fav_[rng.Below(static_cast<int64_t>(fav_.size()))] = NewFavourite(&rng, rng.Gamma(1.0));
      }
      Session(&rng, length, &t, out);
      t += kMinSessionGapSeconds + rng.Exponential(options_.mean_gap_days * 86400.0);
    }
    ++stats_->users;
  }

 private:
  struct Favourite {
    int64_t cluster;
    int64_t home;  // Ring position.
    double weight;
  };

  Favourite NewFavourite(Rng* rng, double weight) {
    const int64_t c = rng->FromCdf(cat_.cluster_cdf, 0, cat_.cluster_cdf.size());
    return {c, ZipfPosition(rng, c), weight};
  }

  int64_t ZipfPosition(Rng* rng, int64_t c) {
    return rng->FromCdf(cat_.item_cdf, cat_.offset[c], cat_.offset[c + 1]);
  }

  int64_t PickFavourite(Rng* rng) {
    double total = 0;
    for (const Favourite& f : fav_) total += f.weight;
    double x = rng->Uniform() * total;
    for (size_t i = 0; i < fav_.size(); ++i) {
      if ((x -= fav_[i].weight) < 0) return static_cast<int64_t>(i);
    }
    return static_cast<int64_t>(fav_.size()) - 1;
  }

  void Session(Rng* rng, int64_t length, double* t, std::string* out) {
    ++stats_->sessions;
    const bool gift = rng->Bernoulli(options_.gift_share);
    int64_t c, pos;
    if (gift) {
      ++stats_->gift_sessions;
      c = rng->FromCdf(cat_.cluster_cdf, 0, cat_.cluster_cdf.size());
      pos = ZipfPosition(rng, c);
    } else {
      const Favourite& f = fav_[PickFavourite(rng)];
      c = f.cluster;
      pos = rng->Bernoulli(0.5) ? Near(rng, c, f.home) : ZipfPosition(rng, c);
    }
    for (int64_t n = 0; n < length; ++n) {
      if (n > 0) {
        *t += std::min(kMaxInSessionGapSeconds, 5.0 + rng->Exponential(60.0));
        const double u = rng->Uniform();
        if (u < 0.05) {
          // Repeat the previous item.
        } else if (u < 0.05 + options_.near_share) {
          pos = Near(rng, c, pos);
        } else if (!gift && u < 0.05 + options_.near_share + options_.personal_share) {
          const Favourite& f = fav_[PickFavourite(rng)];  // Back to the user's own items.
          c = f.cluster;
          pos = Near(rng, c, f.home);
        } else if (!gift && u < 0.15 + options_.near_share + options_.personal_share &&
                   fav_.size() > 1) {
          c = fav_[PickFavourite(rng)].cluster;  // Taste mix inside a session.
          pos = ZipfPosition(rng, c);
        } else {
          pos = ZipfPosition(rng, c);
        }
      }
      const int64_t slot = cat_.offset[c] + pos;
      (*used_)[slot] = true;
      const int64_t second = static_cast<int64_t>(*t);
      absl::StrAppend(out, user_id_, ",i", cat_.id_of[slot], ",", second, ",click,\n");
      ++stats_->clicks;
      if (n + 1 < length && rng->Bernoulli(options_.purchase_share)) {
        *t += 5.0 + rng->Exponential(30.0);
        absl::StrAppend(out, user_id_, ",i", cat_.id_of[slot], ",", static_cast<int64_t>(*t),
                        ",purchase,", absl::StrFormat("%.2f", cat_.price[slot]), "\n");
        ++stats_->purchases;
        ++n;
      }
      Track(second);
    }
    Track(static_cast<int64_t>(*t));
  }

  // A ring position a few steps from `pos`, mostly forward.
  int64_t Near(Rng* rng, int64_t c, int64_t pos) {
    const int64_t m = cat_.size(c);
    int64_t step = 1;
    while (step < 4 && rng->Bernoulli(0.4)) ++step;
    if (rng->Bernoulli(0.25)) step = -step;
    return ((pos + step) % m + m) % m;
  }

  void Track(int64_t second) {
    if (stats_->first_timestamp == 0 || second < stats_->first_timestamp) {
      stats_->first_timestamp = second;
    }
    stats_->last_timestamp = std::max(stats_->last_timestamp, second);
  }

  const SynthOptions& options_;
  const Catalog& cat_;
  std::vector<bool>* used_;
  SynthStats* stats_;
  std::string user_id_;
  std::vector<Favourite> fav_;
};

}  // namespace

absl::Status SynthOptions::Validate() const {
  auto bad = [](absl::string_view field, auto value, absl::string_view want) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be ", want, ", got ", value));
  };
  constexpr int64_t kMaxIndex = int64_t{1} << 31;
  if (users < 1 || users >= kMaxIndex) return bad("users", users, "in [1, 2^31)");
  if (items < 1 || items >= kMaxIndex) return bad("items", items, "in [1, 2^31)");
  if (events < 2 * users)
    return bad("events", events, absl::StrCat(">= 2 * users (", 2 * users, ")"));
  if (clusters < 0 || clusters > items) return bad("clusters", clusters, "in [0, items]");
  if (!(zipf >= 0 && zipf <= 10)) return bad("zipf", zipf, "in [0, 10]");
  for (const auto& [name, v] : {std::pair<const char*, double>{"gift_share", gift_share},
                                {"drift", drift},
                                {"purchase_share", purchase_share},
                                {"near_share", near_share},
                                {"personal_share", personal_share}}) {
    if (!(v >= 0 && v <= 1)) return bad(name, v, "in [0, 1]");
  }
  if (!(near_share + personal_share + 0.15 <= 1)) {
    return bad("near_share + personal_share", near_share + personal_share, "<= 0.85");
  }
  if (!(mean_session_length >= 2 && mean_session_length <= 1e6)) {
    return bad("mean_session_length", mean_session_length, "in [2, 1e6]");
  }
  if (!(mean_gap_days > 0 && mean_gap_days <= 3650)) {
    return bad("mean_gap_days", mean_gap_days, "in (0, 3650]");
  }
  if (start_time < 0 || start_time > (int64_t{1} << 40)) {
    return bad("start_time", start_time, "in [0, 2^40]");
  }
  return absl::OkStatus();
}

int64_t SynthOptions::num_clusters() const {
  if (clusters > 0) return clusters;
  return std::clamp<int64_t>(items / 100, 1, 1000);
}

std::string SynthStats::ToString() const {
  return absl::StrFormat(
      "users %d, sessions %d (%d gifts), events %d (%d clicks, %d purchases), items %d, "
      "days %.1f",
      users, sessions, gift_sessions, events, clicks, purchases, distinct_items,
      static_cast<double>(last_timestamp - first_timestamp) / 86400.0);
}

absl::StatusOr<SyntheticCatalog> SyntheticCatalog::Create(const SynthOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  const Catalog cat = BuildCatalog(options);
  SyntheticCatalog result;
  result.num_clusters_ = options.num_clusters();
  result.cluster_of_id_.resize(options.items);
  for (int64_t c = 0; c < result.num_clusters_; ++c) {
    for (int64_t g = cat.offset[c]; g < cat.offset[c + 1]; ++g) {
      result.cluster_of_id_[cat.id_of[g]] = static_cast<int32_t>(c);
    }
  }
  return result;
}

std::optional<int64_t> SyntheticCatalog::ClusterOf(absl::string_view item_id) const {
  if (item_id.size() < 2 || item_id[0] != 'i') return std::nullopt;
  int64_t k = -1;
  const char* end = item_id.data() + item_id.size();
  const auto [ptr, ec] = std::from_chars(item_id.data() + 1, end, k);
  if (ec != std::errc() || ptr != end || k < 0 || k >= num_items()) return std::nullopt;
  return cluster_of_id_[k];
}

absl::StatusOr<SynthStats> WriteSyntheticCsv(const SynthOptions& options, const std::string& path) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  const Catalog cat = BuildCatalog(options);
  Output output;
  if (absl::Status s = output.Open(path); !s.ok()) return s;
  output.buffer() = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n";
  SynthStats stats;
  std::vector<bool> used(options.items, false);
  UserGenerator generator(options, cat, &used, &stats);
  Rng budget_rng(options.seed, ~uint64_t{0});
  int64_t remaining = options.events;
  for (int64_t u = 0; u < options.users; ++u) {
    const int64_t users_left = options.users - u;
    int64_t budget = remaining;
    if (users_left > 1) {
      // Heavy-tailed activity around the mean of what is left (log-normal, sigma 0.8).
      const double mean = static_cast<double>(remaining) / static_cast<double>(users_left);
      const double factor = std::exp(0.8 * budget_rng.Normal() - 0.32);
      budget =
          std::clamp<int64_t>(std::llround(mean * factor), 2, remaining - 2 * (users_left - 1));
    }
    remaining -= budget;
    generator.Generate(u, budget, &output.buffer());
    if (absl::Status s = output.MaybeFlush(); !s.ok()) return s;
  }
  if (absl::Status s = output.Close(); !s.ok()) return s;
  stats.events = stats.clicks + stats.purchases;
  stats.distinct_items = std::count(used.begin(), used.end(), true);
  return stats;
}

absl::StatusOr<int64_t> WriteSyntheticItemsCsv(const SynthOptions& options, int64_t new_items,
                                               int64_t created_after_s, const std::string& path) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  if (new_items < 0) {
    return absl::InvalidArgumentError(absl::StrCat("new_items: ", new_items, " is negative"));
  }
  static constexpr const char* kColors[] = {"black", "white", "navy", "red",   "green",
                                            "beige", "grey",  "pink", "brown", "blue"};
  static constexpr const char* kFits[] = {"XS|S|M", "S|M|L", "L|XL|XXL"};
  constexpr int kNumColors = 10;
  const Catalog cat = BuildCatalog(options);
  const int64_t k = options.num_clusters();
  const int64_t clusters_per_category = std::max<int64_t>(1, (k + 19) / 20);
  // Each cluster's look: a dominant colour and a fit (their own stream: the log is unchanged).
  Rng look(options.seed, 0xa77b5eedULL);
  std::vector<int> dominant_color(k), fit(k);
  for (int64_t c = 0; c < k; ++c) {
    dominant_color[c] = static_cast<int>(look.Below(kNumColors));
    fit[c] = static_cast<int>(look.Below(3));
  }
  Output output;
  if (absl::Status s = output.Open(path); !s.ok()) return s;
  output.buffer() = "ITEM_ID,CATEGORY,COLOR,SIZE,PRICE,CREATION_TIMESTAMP\n";
  auto write_row = [&](int64_t id, int64_t c, double price, int64_t created) {
    const int color =
        look.Bernoulli(0.7) ? dominant_color[c] : static_cast<int>(look.Below(kNumColors));
    absl::StrAppend(&output.buffer(), "i", id, ",cat-", c / clusters_per_category, ",",
                    kColors[color], ",", kFits[fit[c]], ",", absl::StrFormat("%.2f", price), ",",
                    created, "\n");
  };
  std::vector<int64_t> slot_of_id(options.items);
  for (int64_t g = 0; g < options.items; ++g) slot_of_id[cat.id_of[g]] = g;
  int64_t c = 0;
  for (int64_t id = 0; id < options.items; ++id) {
    const int64_t g = slot_of_id[id];
    c = std::upper_bound(cat.offset.begin(), cat.offset.end(), g) - cat.offset.begin() - 1;
    write_row(id, c, cat.price[g], options.start_time - look.Below(180 * 86400));
    if (absl::Status s = output.MaybeFlush(); !s.ok()) return s;
  }
  for (int64_t j = 0; j < new_items; ++j) {
    c = look.FromCdf(cat.cluster_cdf, 0, cat.cluster_cdf.size());
    const double price = std::round(500.0 + look.Exponential(3000.0)) / 100.0;
    write_row(options.items + j, c, price, created_after_s + 1 + look.Below(86400));
    if (absl::Status s = output.MaybeFlush(); !s.ok()) return s;
  }
  if (absl::Status s = output.Close(); !s.ok()) return s;
  return options.items + new_items;
}

}  // namespace hrnn
