// Intake's domain: what a request is, what makes one valid, and how each operation behaves. No
// gRPC or SQL types here: the handler converts protos, the store speaks SQL and seals personal
// data, time and ids are injected.
#ifndef JIBAN_SERVICES_INTAKE_DOMAIN_H_
#define JIBAN_SERVICES_INTAKE_DOMAIN_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"

namespace jiban::intake {

// Values match jiban.intake.v1.
enum class Channel {
  kUnspecified = 0,
  kWindow,
  kHotline,
  kWeb,
  kApp,
  kEnterpriseCentre,
  kOpen311,
  kProxy
};
enum class Nature {
  kUnspecified = 0,
  kConsultation,
  kHelp,
  kProject,
  kComplaint,
  kSuggestion,
  kReport,
  kPraise,
  kCouldNotGetDone
};
enum class Status { kUnspecified = 0, kReceived, kAnswered, kClosed, kWithdrawn, kInProgress };

// Received or being handled: may still be supplemented, withdrawn, merged or matched as a
// duplicate.
bool IsOpen(Status s);
enum class Satisfaction {
  kUnspecified = 0,
  kVerySatisfied,
  kSatisfied,
  kFairlySatisfied,
  kDissatisfied,
  kVeryDissatisfied
};
enum class Resolution { kUnspecified = 0, kResolved, kPartlyResolved, kNotResolved };

inline constexpr int kMaxChannel = 7;
inline constexpr int kMaxNature = 8;

struct Location {
  std::string district_code;
  std::string town_code;
  std::string address;  // personal data
  std::optional<double> latitude, longitude;
};

struct Citizen {
  std::string name, phone, id_number;  // personal data; normalised after validation
};
struct Enterprise {
  std::string name, credit_code;
  std::string contact_name, contact_phone;  // personal data
};
struct Requester {
  enum class Kind { kUnspecified, kCitizen, kEnterprise, kAnonymous };
  Kind kind = Kind::kUnspecified;
  Citizen citizen;
  Enterprise enterprise;
};

struct Attachment {
  std::string uri, sha256, media_type;
  int64_t size_bytes = 0;
};

struct HelpDetails {
  std::string helper_post_id, actions;
};

struct Evaluation {
  Satisfaction satisfaction = Satisfaction::kUnspecified;
  Resolution resolution = Resolution::kUnspecified;
  std::string comment;
  absl::Time create_time;
  bool dissatisfied() const {
    return satisfaction == Satisfaction::kDissatisfied ||
           satisfaction == Satisfaction::kVeryDissatisfied;
  }
};

struct Supplement {
  std::string text;
  std::vector<Attachment> attachments;
  absl::Time create_time;
};

struct Request {
  std::string id;               // output only
  std::string tracking_number;  // output only
  Channel channel = Channel::kUnspecified;
  Nature nature = Nature::kUnspecified;
  std::string title;
  std::string text;
  Location location;
  Status status = Status::kUnspecified;  // output only
  absl::Time create_time;                // output only
  absl::Time update_time;                // output only
  Requester requester;
  bool confidential = false;
  std::vector<Attachment> attachments;
  std::string answer;
  std::string guide_entry_id;
  std::optional<HelpDetails> help;
  std::string master_id;                 // output only
  std::string submitter;                 // the requester who submitted it (CallContext::owner)
  std::optional<Evaluation> evaluation;  // output only
  std::vector<Supplement> supplements;   // output only
  int member_count = 0;                  // output only: duplicates linked to this one
};

struct TimelineEntry {
  absl::Time time;
  Status status;
  std::string description;
};

// Who is calling, for events, error details and what they may see.
// What routing reports of a request's work orders (from its events).
struct RoutingProgress {
  enum class Kind {
    kDispatched,
    kSignedFor,
    kReturned,
    kReassigned,
    kReplied,
    kRehandled,
    kClosed
  };
  std::string request_id;
  Kind kind = Kind::kDispatched;
  bool lead = true;       // the lead unit's order (co-handlers only add timeline lines)
  std::string unit_name;  // public: the unit's display name
  absl::Time at;
};

// The request's status after `p` and the line its timeline gets, or nullopt when `p` changes
// nothing the requester sees (a finished request, a co-handler's step).
struct ProgressStep {
  Status status;
  std::string description;
  // A re-handle spends the evaluation that caused it, so the next answer may be evaluated afresh
  // (the timeline and the RequestEvaluated events keep every evaluation).
  bool clears_evaluation = false;
};
std::optional<ProgressStep> StepFor(Status current, const RoutingProgress& p);

struct CallContext {
  std::string request_id;
  std::string trace_id;
  // Set when the caller is a requester: only the requests it submitted exist for it (any other
  // id is NOT_FOUND), and what it submits is recorded as its own.
  std::string owner;
};

// The districts the city serves (GB/T 2260 codes). Kaifeng's ship by default.
class Districts {
 public:
  static Districts Kaifeng();
  explicit Districts(std::set<std::string> codes) : codes_(std::move(codes)) {}
  bool Contains(const std::string& code) const { return codes_.count(code) > 0; }

 private:
  std::set<std::string> codes_;
};

// Validates and normalises a draft (phones, identity numbers, credit codes); INVALID_ARGUMENT
// (reason INVALID_REQUEST) names every bad field.
absl::StatusOr<Request> NormalizeDraft(const std::string& request_id, const Request& draft,
                                       const Districts& districts, absl::CivilDay today);

// Everything the caller supplied, canonically serialised; equal drafts give equal strings.
// (The store keeps only a keyed hash of it: it contains personal data.)
std::string Canonical(const Request& normalized);

// "JB" + yyyymmdd in the city's zone + an 8-digit serial, e.g. JB2026112600000042.
std::string TrackingNumber(absl::Time received, int64_t serial);

// Near-duplicate detection (并单). A new complaint-like request is a duplicate of an open one of
// the same district when it is about the same place (same town, same address, or coordinates
// within max_distance_m) and its text is similar, within the window. Without a finer place than
// the district the text must be nearly the same.
struct DuplicatePolicy {
  absl::Duration window = absl::Hours(24 * 7);
  double min_similarity = 0.5;  // with a matching place
  double min_similarity_district_only = 0.8;
  double max_distance_m = 150;
  double screening_margin = 0.3;  // how far below the threshold an estimate may be and still count
};

// Sorted, distinct character bigrams of a text.
using Shingles = std::vector<uint64_t>;
// A MinHash of the shingles: kSignatureSize minimums under independent hash functions. The share
// of equal positions estimates the Jaccard similarity (standard error about 0.12 at 0.5), so open
// requests can be screened by a 64-byte value instead of their text.
inline constexpr int kSignatureSize = 16;
using Signature = std::vector<uint32_t>;
Signature SignatureOf(const Shingles& shingles);  // pii::MinHash; stored with pii::EncodeMinHash

struct DuplicateCandidate {
  std::string id;
  std::string master_id;  // set when the candidate is itself a member
  std::string town_code;
  std::string address_key;  // blind index of the normalised address; empty when none
  std::optional<double> latitude, longitude;
  std::string title, text;
  absl::Time create_time;
  Shingles shingles;    // of title + text; computed by FindMaster when empty
  Signature signature;  // SignatureOf(shingles), as stored
};

// Natures that can be duplicates of one another (not consultations, help, projects or praise).
bool DuplicateEligible(Nature nature);

// Jaccard similarity of the character bigrams of two texts (punctuation and spaces ignored).
double TextSimilarity(const std::string& a, const std::string& b);
// The same, in two steps, for comparing one text with many.
Shingles ShinglesOf(const std::string& text);
double Similarity(const Shingles& a, const Shingles& b);

// Distance in metres between two WGS-84 points (haversine).
double DistanceMetres(double lat1, double lon1, double lat2, double lon2);

// Screening: the estimated similarity of `c` to `incoming` (whose signature is set) when `c` is
// in the window and close enough to the similarity its place requires to be worth comparing in
// full; nullopt otherwise.
std::optional<double> Screen(const DuplicateCandidate& incoming, const DuplicateCandidate& c,
                             const DuplicatePolicy& policy);

// Keeps the best `limit` screened candidates, best first.
class ShortlistBuilder {
 public:
  explicit ShortlistBuilder(size_t limit = 3) : limit_(limit) {}
  void Offer(double score, const DuplicateCandidate& c);
  std::vector<DuplicateCandidate> Take() &&;

 private:
  size_t limit_;
  std::vector<std::pair<double, DuplicateCandidate>> best_;
};

// Screens `open` for `incoming` (whose signature is set).
std::vector<DuplicateCandidate> Shortlist(const DuplicateCandidate& incoming,
                                          const std::vector<DuplicateCandidate>& open,
                                          const DuplicatePolicy& policy, size_t limit = 3);

// The id of the master `incoming` duplicates, if any (a member candidate yields its master).
// Compares full texts.
std::optional<std::string> FindMaster(const DuplicateCandidate& incoming,
                                      const std::vector<DuplicateCandidate>& open,
                                      const DuplicatePolicy& policy);

class IntakeStore;

class Intake {
 public:
  Intake(IntakeStore& store, const Clock& clock, IdGenerator& ids, Districts districts,
         DuplicatePolicy duplicates = {})
      : store_(store),
        clock_(clock),
        ids_(ids),
        districts_(std::move(districts)),
        duplicates_(duplicates) {}

  // Stores the request and its RequestSubmitted event. The same request_id with the same draft
  // returns the stored request; with a different draft, ALREADY_EXISTS (REQUEST_ID_REUSED).
  absl::StatusOr<Request> Submit(const std::string& request_id, const Request& draft,
                                 const CallContext& call);
  // NOT_FOUND (REQUEST_NOT_FOUND) when absent, or not `owner`'s (see CallContext::owner).
  absl::StatusOr<Request> Get(const std::string& id, const std::string& owner = "");
  // Records that `reader` (role and identity) is being shown the sealed details of these
  // requests: the confidential ones among them. An answer carrying them is sent only after this
  // succeeds.
  absl::Status RecordSealedReads(const std::vector<const Request*>& shown,
                                 const std::string& reader, const CallContext& call);

  struct ListFilter {
    Status status = Status::kUnspecified;
    Nature nature = Nature::kUnspecified;
    Channel channel = Channel::kUnspecified;
    std::string district_code;
    std::optional<absl::Time> from, to;
    std::string requester_phone;  // raw; normalised here
    std::string submitter;        // only this requester's (CallContext::owner)
  };
  struct Page {
    std::vector<Request> requests;
    std::string next_page_token;
  };
  absl::StatusOr<Page> List(const ListFilter& filter, int page_size, const std::string& token);

  struct Track {
    std::string tracking_number;
    Status status;
    std::vector<TimelineEntry> timeline;
  };
  // Open to whoever holds the tracking number (it shows a status timeline, no personal data).
  absl::StatusOr<Track> TrackByNumber(const std::string& tracking_number);

  absl::StatusOr<Request> AddSupplement(const std::string& request_id, const std::string& id,
                                        const Supplement& supplement, const CallContext& call);
  absl::StatusOr<Request> Withdraw(const std::string& id, const std::string& reason,
                                   const CallContext& call);
  absl::StatusOr<Request> Evaluate(const std::string& id, const Evaluation& evaluation,
                                   const CallContext& call);
  absl::StatusOr<std::vector<Request>> Merge(const std::string& master_id,
                                             const std::vector<std::string>& member_ids,
                                             const CallContext& call);
  absl::StatusOr<Request> Unmerge(const std::string& id, const CallContext& call);

 private:
  absl::StatusOr<Request> Existing(const std::string& id, const std::string& owner = "");
  IntakeStore& store_;
  const Clock& clock_;
  IdGenerator& ids_;
  const Districts districts_;
  const DuplicatePolicy duplicates_;
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_DOMAIN_H_
