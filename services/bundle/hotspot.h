// Hot-spot mining (未诉先办): what keeps coming, found in the requests of a recent window before
// anyone asks — pure, with no gRPC or SQL types.
//
// Four kinds, each scored so that a bigger departure from the usual ranks higher:
//   rising        a category in one place, this window against the mean of the windows before
//                 (score: (count − baseline) / √(baseline + 1), a Poisson z-score);
//   similar text  requests saying nearly the same thing (MinHash of character bigrams, banded
//                 LSH, each candidate checked against its bucket's first member: no segmenter, no
//                 chaining of weak matches), score: size;
//   same person   one requester again and again (a keyed blind index, never the person);
//   same place    one address again and again (likewise a blind index).
// Each hot spot gets a proposed action: a proactive task to the place's unit, a monthly topic
// (每月一题) when it spans several districts, or a new bundle / guide entry when most of it is
// consultation.
#ifndef JIBAN_SERVICES_BUNDLE_HOTSPOT_H_
#define JIBAN_SERVICES_BUNDLE_HOTSPOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jiban::bundle {

inline constexpr int kSignatureSize = 32;  // MinHash values per text: 16 bands of 2
using Signature = std::vector<uint32_t>;   // pii::MinHash; empty: too short to compare

// The MinHash signature of a text's character bigrams (pii::Bigrams); empty for a text of fewer
// than 4 bigrams.
Signature SignatureOf(absl::string_view text);
// A request's signature: of its title, which says what the request is about in a few words (on
// real messages it groups the same issue far better than the whole text, whose details differ
// from writer to writer), or of its text's opening when the title is too short.
Signature RequestSignature(absl::string_view title, absl::string_view text);
// One request as the miner sees it (no personal data).
struct Signal {
  std::string id;
  absl::Time time;
  std::string category;    // routing's category; empty when unknown
  std::string place;       // district code
  std::string place_key;   // the address's blind index; empty when unknown
  std::string person_key;  // the requester's blind index; empty when anonymous
  bool consultation = false;
  Signature signature;
  std::string label;  // a short, masked title to show
};

struct MinerOptions {
  absl::Duration window = absl::Hours(24 * 7);  // the recent window
  int baseline_windows = 4;                     // earlier windows the rising kind compares to
  int min_count = 5;                            // fewer requests are never a hot spot
  double min_rise = 4.0;                        // rising: at least this z-score
  double min_similarity = 0.45;                 // similar text: estimated Jaccard
  int min_repeats = 3;                          // same person / place: at least this many
  int max_members = 50;                         // member ids kept per hot spot
};

enum class HotSpotKind { kRising = 1, kSimilarText, kSamePerson, kSamePlace };
enum class ActionKind { kProactiveTask = 1, kMonthlyTopic, kNewBundle };

struct HotSpot {
  HotSpotKind kind = HotSpotKind::kRising;
  std::string key;       // stable across runs over the same requests
  std::string category;  // the most common among its requests
  std::string place;     // likewise
  int places = 0;        // distinct districts
  std::string label;     // a member's label
  int count = 0;
  double baseline = 0;  // rising: the earlier windows' mean
  double score = 0;
  absl::Time first;
  absl::Time last;
  std::vector<std::string> member_ids;  // the first max_members, oldest first
  ActionKind action = ActionKind::kProactiveTask;
  std::string action_reason;
  // What identifies its requests later: the person or place key, or the first member's text.
  std::string match_key;
  Signature signature;
};

// A decision on a hot spot: the action taken, and what the hot spot was, so that its effect can
// be measured.
struct HotSpotDecision {
  std::string id;  // ULID: decisions list newest first by it
  HotSpot spot;    // as it was when decided (member ids not kept)
  ActionKind action = ActionKind::kProactiveTask;
  std::string note;
  std::string actor;
  absl::Time decided_at;
  absl::Duration window;
};

// Whether a request is of the kind a decision was about.
bool Matches(const HotSpotDecision& d, const Signal& s, double min_similarity);

// Such requests in the window before the decision and in the same span after it (so far).
struct Effect {
  int before = 0;
  int after = 0;
  double after_share = 0;  // how much of the after-window has passed, 0..1
};
Effect EffectOf(const HotSpotDecision& d, const std::vector<Signal>& signals, absl::Time now,
                double min_similarity);

// A title fit to show with a hot spot: at most 40 characters, every run of 6 or more digits
// (a phone or an identity number typed into it) masked.
std::string SafeLabel(absl::string_view title);

// Hot spots in [now − window, now), best first; earlier windows feed the rising kind's baseline.
std::vector<HotSpot> Mine(const std::vector<Signal>& signals, absl::Time now,
                          const MinerOptions& options);

}  // namespace jiban::bundle

#endif  // JIBAN_SERVICES_BUNDLE_HOTSPOT_H_
