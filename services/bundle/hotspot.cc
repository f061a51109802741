#include "services/bundle/hotspot.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "libs/pii/pii.h"

namespace jiban::bundle {
namespace {

constexpr int kBands = 16;
constexpr size_t kHeadsPerBucket = 4;  // members a newcomer to a bucket is compared with
constexpr int kRows = kSignatureSize / kBands;
constexpr int kMinBigrams = 4;  // shorter texts say too little to be compared

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

bool Comparable(const Signature& s) { return s.size() == kSignatureSize; }

struct UnionFind {
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
  uint32_t Find(uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Join(uint32_t a, uint32_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the oldest member is the root
  }
  std::vector<uint32_t> parent;
};

// Fills what every kind shares from its members (indexes into `recent`, oldest first).
HotSpot Describe(HotSpotKind kind, const std::vector<const Signal*>& recent,
                 const std::vector<uint32_t>& members, const MinerOptions& o) {
  HotSpot h{.kind = kind, .count = static_cast<int>(members.size())};
  absl::flat_hash_map<std::string, int> categories, places;
  int consultations = 0;
  for (uint32_t i : members) {
    const Signal& s = *recent[i];
    ++categories[s.category];
    ++places[s.place];
    consultations += s.consultation ? 1 : 0;
    if (static_cast<int>(h.member_ids.size()) < o.max_members) h.member_ids.push_back(s.id);
  }
  const auto mode = [](const absl::flat_hash_map<std::string, int>& m) {
    std::pair<std::string, int> best{"", 0};
    for (const auto& [k, n] : m) {
      if (n > best.second || (n == best.second && k < best.first)) best = {k, n};
    }
    return best.first;
  };
  h.category = mode(categories);
  h.place = mode(places);
  h.places = static_cast<int>(places.size());
  h.first = recent[members.front()]->time;
  h.last = recent[members.back()]->time;
  h.label = recent[members.front()]->label;
  if (kind == HotSpotKind::kSimilarText && 2 * consultations >= h.count) {
    h.action = ActionKind::kNewBundle;
    h.action_reason = "mostly consultations: a guide entry or a bundle answers them before asked";
  } else if (h.places >= 3) {
    h.action = ActionKind::kMonthlyTopic;
    h.action_reason = "the same problem in several districts: a city-wide monthly topic";
  } else {
    h.action = ActionKind::kProactiveTask;
    h.action_reason = "concentrated in one place: a proactive task to the unit serving it";
  }
  return h;
}

// Groups of `recent` sharing a non-empty key, at least `min` strong.
template <typename KeyOf>
std::vector<std::pair<std::string, std::vector<uint32_t>>> GroupBy(
    const std::vector<const Signal*>& recent, KeyOf key_of, int min) {
  absl::flat_hash_map<std::string, std::vector<uint32_t>> groups;
  for (uint32_t i = 0; i < recent.size(); ++i) {
    const std::string& k = key_of(*recent[i]);
    if (!k.empty()) groups[k].push_back(i);
  }
  std::vector<std::pair<std::string, std::vector<uint32_t>>> out;
  for (auto& [k, members] : groups) {
    if (static_cast<int>(members.size()) >= min) out.emplace_back(k, std::move(members));
  }
  return out;
}

// The similar-text clusters of `recent` (each a list of indexes, oldest first).
std::vector<std::vector<uint32_t>> TextClusters(const std::vector<const Signal*>& recent,
                                                double min_similarity, int min_count) {
  UnionFind uf(recent.size());
  std::vector<std::pair<uint64_t, uint32_t>> bucket;  // (band hash, index), reused per band
  bucket.reserve(recent.size());
  for (int band = 0; band < kBands; ++band) {
    bucket.clear();
    for (uint32_t i = 0; i < recent.size(); ++i) {
      const Signature& s = recent[i]->signature;
      if (!Comparable(s)) continue;
      uint64_t h = Mix(static_cast<uint64_t>(band) + 1);
      for (int r = 0; r < kRows; ++r) h = Mix(h ^ s[static_cast<size_t>(band * kRows + r)]);
      bucket.emplace_back(h, i);
    }
    std::sort(bucket.begin(), bucket.end());
    // In each bucket (oldest first), a newcomer joins the first of the bucket's heads it is
    // similar to, or becomes a head itself while there are few: weak matches never chain.
    std::vector<uint32_t> heads;
    for (size_t start = 0; start < bucket.size();) {
      heads.clear();
      size_t end = start;
      for (; end < bucket.size() && bucket[end].first == bucket[start].first; ++end) {
        const uint32_t i = bucket[end].second;
        bool joined = false;
        for (uint32_t head : heads) {
          if (pii::MinHashSimilarity(recent[head]->signature, recent[i]->signature) >=
              min_similarity) {
            uf.Join(head, i);
            joined = true;
            break;
          }
        }
        if (!joined && heads.size() < kHeadsPerBucket) heads.push_back(i);
      }
      start = end;
    }
  }
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> by_root;
  for (uint32_t i = 0; i < recent.size(); ++i) {
    if (Comparable(recent[i]->signature)) by_root[uf.Find(i)].push_back(i);
  }
  std::vector<std::vector<uint32_t>> out;
  for (auto& [root, members] : by_root) {
    if (static_cast<int>(members.size()) >= min_count) out.push_back(std::move(members));
  }
  return out;
}

}  // namespace

Signature SignatureOf(absl::string_view text) {
  const std::vector<uint64_t> bigrams = pii::Bigrams(text);
  if (static_cast<int>(bigrams.size()) < kMinBigrams) return {};
  return pii::MinHash(bigrams, kSignatureSize);
}

Signature RequestSignature(absl::string_view title, absl::string_view text) {
  Signature s = SignatureOf(title);
  if (Comparable(s)) return s;
  std::string opening(title);
  const std::vector<char32_t> cps = pii::DecodeUtf8(text);
  for (size_t i = 0; i < cps.size() && i < 60; ++i) pii::AppendUtf8(cps[i], &opening);
  return SignatureOf(opening);
}

std::vector<HotSpot> Mine(const std::vector<Signal>& signals, absl::Time now,
                          const MinerOptions& o) {
  const absl::Time start = now - o.window;
  std::vector<const Signal*> recent;
  absl::Time earliest = absl::InfiniteFuture();
  for (const Signal& s : signals) {
    if (s.time >= now) continue;
    earliest = std::min(earliest, s.time);
    if (s.time >= start) recent.push_back(&s);
  }
  std::stable_sort(recent.begin(), recent.end(),
                   [](const Signal* a, const Signal* b) { return a->time < b->time; });
  std::vector<HotSpot> out;

  // Rising: this window's count per category and place against the earlier windows that the
  // history covers (none covered: no baseline, nothing is called rising).
  int covered = 0;  // earlier windows the history reaches into
  while (covered < o.baseline_windows && start - o.window * covered > earliest) ++covered;
  if (covered > 0) {
    absl::flat_hash_map<std::string, int> earlier;
    for (const Signal& s : signals) {
      if (s.time < start && s.time >= start - o.window * covered && !s.category.empty()) {
        ++earlier[absl::StrCat(s.category, "@", s.place)];
      }
    }
    for (auto& [key, members] : GroupBy(
             recent,
             [](const Signal& s) {
               return s.category.empty() ? std::string() : absl::StrCat(s.category, "@", s.place);
             },
             o.min_count)) {
      const double baseline = static_cast<double>(earlier[key]) / covered;
      const double z = (static_cast<double>(members.size()) - baseline) / std::sqrt(baseline + 1);
      if (z < o.min_rise) continue;
      HotSpot h = Describe(HotSpotKind::kRising, recent, members, o);
      h.key = absl::StrCat("rising:", key, ":", absl::ToUnixSeconds(start));
      h.baseline = baseline;
      h.score = z;
      out.push_back(std::move(h));
    }
  }

  for (const auto& members : TextClusters(recent, o.min_similarity, o.min_count)) {
    HotSpot h = Describe(HotSpotKind::kSimilarText, recent, members, o);
    h.key = absl::StrCat("text:", recent[members.front()]->id);
    h.signature = recent[members.front()]->signature;
    h.score = (h.count - 1) / std::sqrt(2.0);
    out.push_back(std::move(h));
  }
  for (auto [kind, prefix] : {std::pair{HotSpotKind::kSamePerson, "person:"},
                              std::pair{HotSpotKind::kSamePlace, "place:"}}) {
    const bool person = kind == HotSpotKind::kSamePerson;
    for (auto& [key, members] : GroupBy(
             recent,
             [person](const Signal& s) -> const std::string& {
               return person ? s.person_key : s.place_key;
             },
             o.min_repeats)) {
      HotSpot h = Describe(kind, recent, members, o);
      h.key = absl::StrCat(prefix, key);
      h.match_key = key;
      h.score = (h.count - 1) / std::sqrt(2.0);
      out.push_back(std::move(h));
    }
  }
  std::sort(out.begin(), out.end(), [](const HotSpot& a, const HotSpot& b) {
    return a.score != b.score ? a.score > b.score : a.key < b.key;
  });
  return out;
}

bool Matches(const HotSpotDecision& d, const Signal& s, double min_similarity) {
  const HotSpot& h = d.spot;
  switch (h.kind) {
    case HotSpotKind::kRising:
      return s.category == h.category && s.place == h.place;
    case HotSpotKind::kSimilarText:
      return Comparable(s.signature) &&
             pii::MinHashSimilarity(s.signature, h.signature) >= min_similarity;
    case HotSpotKind::kSamePerson:
      return s.person_key == h.match_key;
    case HotSpotKind::kSamePlace:
      return s.place_key == h.match_key;
  }
  return false;
}

Effect EffectOf(const HotSpotDecision& d, const std::vector<Signal>& signals, absl::Time now,
                double min_similarity) {
  Effect e;
  const absl::Time end = d.decided_at + d.window;
  for (const Signal& s : signals) {
    if (s.time < d.decided_at - d.window || s.time >= end || s.time >= now) continue;
    if (!Matches(d, s, min_similarity)) continue;
    ++(s.time < d.decided_at ? e.before : e.after);
  }
  e.after_share = std::clamp(absl::FDivDuration(now - d.decided_at, d.window), 0.0, 1.0);
  return e;
}

std::string SafeLabel(absl::string_view title) {
  const std::vector<char32_t> cps = pii::DecodeUtf8(title);
  const auto digit = [](char32_t c) {
    return (c >= U'0' && c <= U'9') || (c >= U'０' && c <= U'９') || c == U'X' || c == U'x';
  };
  std::string out;
  for (size_t i = 0; i < cps.size() && i < 40;) {
    size_t run = i;
    while (run < cps.size() && digit(cps[run])) ++run;
    if (run - i >= 6) {
      out += "***";
      i = run;
    } else {
      pii::AppendUtf8(cps[i], &out);
      ++i;
    }
  }
  return out;
}

}  // namespace jiban::bundle
