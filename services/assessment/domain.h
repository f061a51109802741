// Assessment's domain, without gRPC or SQL types: the facts it keeps of every work order (folded
// from intake's, routing's and escalation's events, each stream into its own facts so the three
// may arrive in any order), the versioned scheme, and the pure scoring that turns a unit's facts
// for a period into points, an explanation and a rank. Scores are a function of (scheme, facts,
// as-of instant) only, so replaying the event history gives the same scores.
#ifndef JIBAN_SERVICES_ASSESSMENT_DOMAIN_H_
#define JIBAN_SERVICES_ASSESSMENT_DOMAIN_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"

namespace jiban::assessment {

enum class Content { kDaily = 1, kPerformance, kYearEnd };
enum class Metric {
  kSignForOnTime = 1,
  kHandledOnTime,
  kReturnRate,
  kExtensionRate,
  kLights,
  kResponseRate,
  kResolutionRate,
  kSatisfactionRate,
  kProblemsCleared,
  kCasesRectified,
  kProactiveWork
};
inline constexpr int kMetricCount = 11;
enum class Rule { kLinear = 1, kDeduction, kBonus };
enum class UnitClass { kDepartment = 1, kDistrict, kTown, kWindow, kOther };

struct SubItem {
  std::string id;
  std::string name;
  Content content = Content::kDaily;
  Metric metric = Metric::kSignForOnTime;
  Rule rule = Rule::kLinear;
  double points = 0;
  double target = 0;
  double floor = 0;
  double per_event = 0;
  double red_weight = 0;  // METRIC_LIGHTS: a red light counts as this many events (0: 1)
};

struct ContentWeight {
  Content content = Content::kDaily;
  std::string name;
  double points = 0;
};

struct Scheme {
  int64_t version = 0;
  absl::CivilDay effective_from;
  std::vector<ContentWeight> contents;
  std::vector<SubItem> sub_items;
  double commendation_threshold = 90;
  std::string actor;
  absl::Time created;
};
// INVALID_ARGUMENT naming every bad field ("scheme.sub_items[2].points", ...).
absl::Status Validate(const Scheme& s);

// A scoring period in the city's zone: "2026-11" (month), "2026-Q4" (quarter) or "2026" (year).
struct Period {
  std::string key;
  absl::Time start;
  absl::Time end;  // exclusive
};
// INVALID_ARGUMENT (field `field`) for anything else.
absl::StatusOr<Period> ParsePeriod(const std::string& key, const std::string& field = "period");

// What assessment keeps of one work order (from routing's events).
struct OrderFacts {
  std::string order_id;
  std::string request_id;
  std::string tracking_number;
  std::string unit_id;
  std::string unit_name;
  UnitClass unit_class = UnitClass::kOther;
  bool lead = true;
  absl::Time dispatch_time;
  absl::Time sign_for_deadline;
  absl::Time deadline;
  std::optional<absl::Time> sign_time;
  std::optional<absl::Time> return_time;
  std::optional<absl::Time> reply_time;
  std::optional<absl::Time> close_time;
  std::optional<absl::Time> extension_time;  // the first extension request
  bool cancelled = false;
  int rehandle_count = 0;
  int64_t version = 0;  // routing's version of the order: higher is newer
};

// Routing's view of an order after a change (converted from its events).
struct OrderSnapshot {
  std::string change;  // "dispatched", "signed_for", "returned", "replied", "rehandled", ...
  OrderFacts order;    // as routing reports it now (sign/reply times from the order)
  bool returned = false;
  bool closed = false;
  bool extension_requested = false;
  absl::Time time;  // when the change happened
};
// The facts after `s`, given what was kept before (none for a new order): see Merge.
OrderFacts Fold(const std::optional<OrderFacts>& before, const OrderSnapshot& s);
// The same in place for an order already kept: `kept` becomes Fold(kept, s).
void FoldInto(OrderFacts& kept, const OrderSnapshot& s);
// Two views of one order: the state of the one with the higher routing version (a re-handle
// clears the reply), and the earliest of each moment either saw (first return, first extension
// request, closing). Commutative and associative: facts do not depend on the order in which an
// order's events are folded, so a replay may split a log among threads.
OrderFacts Merge(const OrderFacts& a, const OrderFacts& b);

// The requester's latest evaluation of a request (from intake's events).
struct Evaluation {
  std::string request_id;
  bool dissatisfied = false;
  bool resolved = false;
  absl::Time time;
};
// Whether `a` is a later evaluation than `b` (by time; ties broken on the content, so that any
// fold order keeps the same one).
bool Later(const Evaluation& a, const Evaluation& b);

struct LightFact {
  std::string light_id;
  std::string order_id;
  std::string unit_id;
  bool red = false;
  absl::Time raised;
};

struct CaseFact {
  std::string case_id;
  std::string order_id;
  std::string unit_id;
  absl::Time opened;
  absl::Time deadline;
  std::optional<absl::Time> rectified;
};

// Exclusions (认定) and appeals (申诉复核).
enum class ObjectionKind { kExclusion = 1, kAppeal };
enum class ObjectionReason { kUnreasonableDemand = 1, kMalicious, kOutsidePower, kMistakenRating };
enum class ObjectionState { kPending = 1, kApproved, kRefused, kReversed };
enum class Decision { kApprove = 1, kRefuse, kReverse };

struct Objection {
  std::string id;
  ObjectionKind kind = ObjectionKind::kExclusion;
  std::string order_id;
  std::string request_id;  // the order's request (an appeal sets its evaluation aside)
  std::string unit_id;
  ObjectionReason reason = ObjectionReason::kUnreasonableDemand;
  std::string note;
  ObjectionState state = ObjectionState::kPending;
  std::string decision_note;
  std::string decided_by;
  absl::Time created;
  absl::Time updated;
};
// The state after `d`, or FAILED_PRECONDITION (OBJECTION_NOT_PENDING / OBJECTION_NOT_APPROVED).
absl::StatusOr<ObjectionState> Decide(ObjectionState state, Decision d);

// Everything scoring needs about one unit for one period: orders dispatched to it in the period,
// the evaluations of their requests, the approved objections on them, and the lights raised and
// cases opened on its orders in the period.
struct UnitFacts {
  std::string unit_id;
  std::string unit_name;
  UnitClass unit_class = UnitClass::kOther;
  std::vector<OrderFacts> orders;
  std::vector<Evaluation> evaluations;
  std::vector<std::string> excluded_orders;     // approved exclusions
  std::vector<std::string> set_aside_requests;  // approved appeals
  std::vector<LightFact> lights;
  std::vector<CaseFact> cases;
  int64_t proactive = 0;  // proactive work acted on (bundle's events, when it publishes them)
};

struct SubItemScore {
  std::string id;
  std::string name;
  Content content = Content::kDaily;
  double numerator = 0;
  double denominator = 0;
  double value = 0;
  bool no_data = false;
  double target = 0;
  int64_t centipoints = 0;  // points × 100, rounded: totals add up exactly
  double max_points = 0;
  // How many orders, lights or cases lost points, and their ids when they were asked for
  // (Against): order ids (rates), light ids (lights), case ids (cases).
  int64_t against_count = 0;
  std::vector<std::string> against;
};

struct ContentScore {
  Content content = Content::kDaily;
  std::string name;
  int64_t centipoints = 0;
  double max_points = 0;
};

struct UnitScore {
  std::string unit_id;
  std::string unit_name;
  UnitClass unit_class = UnitClass::kOther;
  std::string period;
  int64_t scheme_version = 0;
  int64_t total_centipoints = 0;
  std::vector<ContentScore> contents;
  std::vector<SubItemScore> sub_items;
  bool published = false;
  absl::Time as_of;
  int orders = 0;
  int red_lights = 0;
};

// Which sub-items' `against` lists scoring builds. They grow with the period's volume, so live
// scores, rankings and the metrics keep none; an explanation keeps its sub-item's; a publication,
// which freezes them, keeps all.
struct Against {
  enum class Kind { kNone, kOne, kAll } kind = Kind::kNone;
  std::string sub_item_id;  // kOne
  static Against None() { return {}; }
  static Against All() { return {.kind = Kind::kAll}; }
  static Against Of(std::string id) { return {.kind = Kind::kOne, .sub_item_id = std::move(id)}; }
  bool Keeps(const std::string& id) const {
    return kind == Kind::kAll || (kind == Kind::kOne && id == sub_item_id);
  }
};

// Scores one unit from its facts given in pages, so that memory holds one page and the tallies,
// not the unit's period: Start with the unit-wide facts (identity, approved exclusions and
// appeals, proactive work), then Add pages of orders (with their requests' evaluations), lights
// and cases in any split; every tally is a sum, so the score does not depend on the split.
class Scorer {
 public:
  Scorer(Scheme scheme, Period period, absl::Time as_of, Against keep);
  // (Re)starts the unit: anything added before is forgotten.
  void Start(const UnitFacts& unit);
  void Add(const UnitFacts& page);
  // Whether no order, light or case was added (the unit has nothing to score).
  bool empty() const { return orders_seen_ == 0 && lights_seen_ == 0 && cases_seen_ == 0; }
  UnitScore Finish() const;

  struct Tally {
    double numerator = 0;
    double denominator = 0;
    int64_t against_count = 0;
    std::vector<std::string> against;
  };

 private:
  // A page's facts as every sub-item reads them (see Add).
  struct Counted {
    std::vector<const OrderFacts*> orders;
    absl::flat_hash_map<std::string, const Evaluation*> evaluations;
  };
  void Measure(const SubItem& item, const UnitFacts& page, const Counted& counted, Tally& t) const;

  Scheme scheme_;
  Period period_;
  absl::Time as_of_;
  Against keep_;
  UnitFacts unit_;  // the unit-wide facts (no orders, lights or cases)
  absl::flat_hash_set<std::string> excluded_, set_aside_;
  std::vector<Tally> tallies_;  // one per sub-item of the scheme
  int64_t orders_seen_ = 0, lights_seen_ = 0, cases_seen_ = 0;
  int orders_ = 0, red_lights_ = 0;
};

// Scores one unit's facts under `scheme`, counting only what happened by `as_of`.
UnitScore Score(const Scheme& scheme, const UnitFacts& facts, const Period& period,
                absl::Time as_of, Against keep = Against::All());

struct Ranked {
  int rank = 0;
  UnitScore score;
};
struct Rankings {
  std::vector<Ranked> all;  // best first; equal totals share a rank; ties by unit id
  std::vector<Ranked> red_list;
  std::vector<Ranked> black_list;  // worst first
  std::vector<Ranked> candidates;
};
// Ranks scores (of one class); lists of `list_size`. A candidate is in the top list_size, at or
// above `threshold` points, with no red light in the period.
Rankings Rank(std::vector<UnitScore> scores, int list_size, double threshold);

// Where folded facts go: the database in a consumer's transaction, or memory for a replay.
class FactSink {
 public:
  virtual ~FactSink() = default;
  virtual absl::StatusOr<std::optional<OrderFacts>> GetOrder(const std::string& order_id) = 0;
  virtual absl::Status PutOrder(const OrderFacts& f) = 0;  // insert or replace
  virtual absl::StatusOr<std::optional<Evaluation>> GetEvaluation(
      const std::string& request_id) = 0;
  virtual absl::Status PutEvaluation(const Evaluation& e) = 0;  // insert or replace
  virtual absl::Status PutLight(const LightFact& l) = 0;        // insert; a repeat is ignored
  virtual absl::StatusOr<std::optional<CaseFact>> GetCase(const std::string& case_id) = 0;
  virtual absl::Status PutCase(const CaseFact& c) = 0;  // insert or replace
  // Folds a snapshot into the order's facts (Fold): read, fold, write; a sink may do it in place.
  virtual absl::Status FoldOrder(const OrderSnapshot& s);
};

// A change to a supervision case (from escalation's events).
struct CaseUpdate {
  CaseFact fact;  // ids, opening and deadline as escalation reports them now
  enum class Mark { kNone, kRectified, kReopened } mark = Mark::kNone;
  absl::Time time;
};

// The facts one event carries (converted from intake's, routing's or escalation's events).
struct Incoming {
  std::vector<OrderSnapshot> orders;
  std::vector<Evaluation> evaluations;
  std::vector<LightFact> lights;
  std::vector<CaseUpdate> cases;
};
// Folds `in` into `s`: the one path for the consumers, a replay and the benchmark.
absl::Status Apply(FactSink& s, const Incoming& in);

// Facts held in memory: a replay of the event logs from sequence zero, and benchmarks.
class MemoryFacts final : public FactSink {
 public:
  absl::StatusOr<std::optional<OrderFacts>> GetOrder(const std::string& order_id) override;
  absl::Status PutOrder(const OrderFacts& f) override;
  absl::StatusOr<std::optional<Evaluation>> GetEvaluation(const std::string& request_id) override;
  absl::Status PutEvaluation(const Evaluation& e) override;
  absl::Status PutLight(const LightFact& l) override;
  absl::StatusOr<std::optional<CaseFact>> GetCase(const std::string& case_id) override;
  absl::Status PutCase(const CaseFact& c) override;
  absl::Status FoldOrder(const OrderSnapshot& s) override;  // in place
  // As Reader::Facts (without objections: those are assessment's own records, not events).
  std::vector<UnitFacts> Facts(absl::Time start, absl::Time end, const std::string& unit_id) const;
  size_t orders() const { return orders_.size(); }
  // Adds what `other` folded (orders by Merge, the later evaluation, every light); `other`'s
  // cases must not overlap these (a replay folds escalation's log in one place).
  void MergeFrom(MemoryFacts&& other);

 private:
  absl::flat_hash_map<std::string, OrderFacts> orders_;
  absl::flat_hash_map<std::string, Evaluation> evaluations_;
  absl::flat_hash_map<std::string, LightFact> lights_;
  absl::flat_hash_map<std::string, CaseFact> cases_;
  absl::flat_hash_map<std::string, std::pair<std::string, UnitClass>> units_;  // name, class
  void NoteUnit(const OrderFacts& f);  // the unit's latest name and class
};

// The storage contract, scoped to one transaction.
class Store : public FactSink {
 public:
  virtual absl::StatusOr<int64_t> LatestSchemeVersion() = 0;  // 0 when none; locked
  virtual absl::Status PutScheme(const Scheme& s) = 0;

  // Published scores of a period (locked); replacing deletes the old ones first.
  virtual absl::StatusOr<bool> IsPublished(const std::string& period) = 0;
  virtual absl::Status ReplacePublished(const std::string& period, int64_t scheme_version,
                                        const std::vector<UnitScore>& scores, absl::Time now) = 0;

  virtual absl::StatusOr<std::optional<Objection>> GetObjection(const std::string& id) = 0;
  virtual absl::Status PutObjection(const Objection& o, bool insert) = 0;
  // Records an idempotency key; the object it named before, if any.
  virtual absl::StatusOr<std::optional<std::string>> ClaimKey(const std::string& key,
                                                              const std::string& object_id) = 0;
  // The audit trail (insert-only): scheme changes, publications, objections and decisions.
  virtual absl::Status Audit(const std::string& object_id, const std::string& action,
                             const std::string& actor, const std::string& note,
                             absl::Time time) = 0;
};

class Transactor {
 public:
  virtual ~Transactor() = default;
  virtual absl::Status Run(const std::function<absl::Status(Store&)>& fn) = 0;
};

class Reader {
 public:
  virtual ~Reader() = default;
  // One unit's facts for [start, end), all read in one transaction but handed over in pages:
  // `each` is called first with the unit-wide facts (`first`: name, class, approved objections on
  // its orders dispatched in the window), then with pages of at most `page_size` orders dispatched
  // in the window (each with its request's evaluation), lights raised and cases opened in it. A
  // retried transaction starts again with a `first` call.
  virtual absl::Status UnitFactsInPages(
      absl::Time start, absl::Time end, const std::string& unit_id, int page_size,
      const std::function<absl::Status(const UnitFacts& page, bool first)>& each) = 0;
  // Every unit with an order dispatched, a light raised or a case opened in [start, end).
  virtual absl::StatusOr<std::vector<std::string>> UnitsWithFacts(absl::Time start,
                                                                  absl::Time end) = 0;
  virtual absl::StatusOr<std::optional<Scheme>> GetScheme(int64_t version) = 0;
  // The highest version effective on `day`.
  virtual absl::StatusOr<std::optional<Scheme>> SchemeInForce(absl::CivilDay day) = 0;
  // Published scores (all units, or one); none when the period is not published. The `against`
  // lists frozen with them are read only when `with_against`.
  virtual absl::StatusOr<std::optional<std::vector<UnitScore>>> Published(
      const std::string& period, const std::string& unit_id, bool with_against) = 0;
  virtual absl::StatusOr<std::vector<Objection>> ListObjections(const std::string& unit_id,
                                                                std::optional<ObjectionState> state,
                                                                const std::string& before_id,
                                                                int limit) = 0;
};

struct CallContext {
  std::string request_id;
  std::string trace_id;
  std::string actor;  // the caller's role
  // Set when the caller works for one unit (unit staff): it files objections on its own unit's
  // orders only; any other order is ORDER_NOT_FOUND to it.
  std::string unit_id;
};

struct Explanation {
  SubItemScore sub_item;
  std::vector<OrderFacts> orders;
  std::vector<LightFact> lights;
  std::vector<CaseFact> cases;
  // Per order: its request's evaluation (if counted) and whether an exclusion leaves it out.
  std::vector<std::optional<Evaluation>> evaluations;
  int64_t scheme_version = 0;
};

struct Report {
  std::string csv;
  std::vector<std::string> labels;
  std::vector<std::pair<std::string, std::vector<double>>> datasets;
};

class Assessment {
 public:
  // Scoring reads a unit's facts `facts_page` orders (lights, cases) at a time.
  Assessment(Transactor& tx, Reader& reader, Clock& clock, IdGenerator& ids, int facts_page = 5000)
      : tx_(tx), reader_(reader), clock_(clock), ids_(ids), facts_page_(facts_page) {}

  // Stores `s` as version 1 when no scheme is stored yet (the default that ships).
  absl::Status Bootstrap(Scheme s);
  absl::StatusOr<Scheme> GetScheme(int64_t version, std::optional<absl::CivilDay> day);
  absl::StatusOr<Scheme> UpdateScheme(Scheme s, int64_t expected_version, const CallContext& call);

  absl::StatusOr<UnitScore> UnitScoreFor(const std::string& unit_id, const std::string& period);
  absl::StatusOr<Rankings> RankClass(const std::string& period, UnitClass cls, int list_size);
  // Every unit's score for a period (published, else live), all classes at once.
  absl::StatusOr<std::vector<UnitScore>> AllScores(const std::string& period);
  absl::StatusOr<Explanation> Explain(const std::string& unit_id, const std::string& period,
                                      const std::string& sub_item_id);
  // Scores and freezes every unit of an ended period; returns (units, scheme version).
  absl::StatusOr<std::pair<int, int64_t>> Publish(const std::string& period, bool recompute,
                                                  const CallContext& call);
  absl::StatusOr<Report> Export(const std::string& period, UnitClass cls);

  // Files an exclusion or an appeal on an order whose facts are kept (idempotent by
  // call.request_id).
  absl::StatusOr<Objection> File(Objection o, const CallContext& call);
  absl::StatusOr<Objection> DecideOn(const std::string& id, Decision d, const std::string& note,
                                     const CallContext& call);
  absl::StatusOr<std::vector<Objection>> Objections(const std::string& unit_id,
                                                    std::optional<ObjectionState> state,
                                                    int page_size, const std::string& token,
                                                    std::string* next_token);

 private:
  struct Scored {
    Period period;
    Scheme scheme;
    absl::Time as_of;
    std::vector<UnitScore> scores;
  };
  // Scores every unit (or one) of a period from the facts as of min(end, now).
  absl::StatusOr<Scored> Live(const Period& period, const std::string& unit_id, Against keep);
  // The published scores of a period if it is published, else the live ones.
  absl::StatusOr<std::vector<UnitScore>> Current(const Period& period, const std::string& unit_id);

  Transactor& tx_;
  Reader& reader_;
  Clock& clock_;
  IdGenerator& ids_;
  int facts_page_;
};

}  // namespace jiban::assessment

#endif  // JIBAN_SERVICES_ASSESSMENT_DOMAIN_H_
