// Routing's domain: the unit directory, the dispatch list and the work order's life, with no gRPC
// or SQL types. Every change happens inside one store transaction (Store, below) so that the
// order, its event and — when an intake event caused it — the consumer's cursor commit together.
#ifndef JIBAN_SERVICES_ROUTING_DOMAIN_H_
#define JIBAN_SERVICES_ROUTING_DOMAIN_H_

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/calendar/calendar.h"
#include "libs/clock/clock.h"
#include "services/routing/classifier.h"

namespace jiban::routing {

enum class UnitKind {
  kDepartment = 1,
  kDistrict,
  kTown,
  kWindow,
  kHelperPost,
  kCommission,
  kTaskForce
};
enum class Mode { kGuide = 1, kHelp, kOneToOne, kSupervise, kTriage };
enum class RequesterKind { kAny = 0, kCitizen, kEnterprise };
// intake.v1.Nature's numbers.
enum class Nature {
  kConsultation = 1,
  kHelp,
  kProject,
  kComplaint,
  kSuggestion,
  kReport,
  kPraise,
  kCouldNotGetDone
};
enum class OrderState { kDispatched = 1, kSignedFor, kReplied, kClosed, kReturned, kCancelled };
enum class PauseReason { kNone = 0, kAwaitingRequester, kExtensionReview };
enum class Outcome { kResolved = 1, kPartlyResolved, kExplained, kNotOurRemit };
enum class ReturnReason {
  kNone = 0,
  kNotOurRemit,
  kWrongPlace,
  kInsufficientInformation,
  kDuplicate
};
enum class ExtensionState { kNone = 0, kPending, kApproved, kRefused };

struct Person {
  std::string name;
  std::string post;
};

struct Unit {
  std::string id;
  std::string name;
  UnitKind kind = UnitKind::kDepartment;
  std::string parent_id;
  std::vector<std::string> district_codes;  // empty: the whole city
  std::vector<std::string> aliases;
  Person answerable;
};

struct TimeLimit {
  int working_days = 0;
  int natural_hours = 0;
};

struct RuleMatch {
  std::vector<Nature> natures;
  std::vector<std::string> categories;
  std::vector<std::string> keywords;
  std::vector<std::string> district_codes;
  RequesterKind requester = RequesterKind::kAny;
};

inline constexpr char kAtDistrict[] = "@district";
inline constexpr char kAtTown[] = "@town";

struct Rule {
  std::string id;
  std::string description;
  RuleMatch match;
  std::string lead;  // unit id or a placeholder
  std::vector<std::string> co_handlers;
  Mode mode = Mode::kTriage;
  TimeLimit limit;
  int sign_for_hours = 24;
  int return_hours = 24;
};

struct DispatchList {
  int64_t version = 0;
  std::vector<Rule> rules;
  double min_confidence = 0.5;
  absl::Time create_time;
};

// The unit directory, indexed; immutable once built.
class Directory {
 public:
  // Validates (ids unique and well-formed, parents exist, no cycles) and indexes the units.
  static absl::StatusOr<std::shared_ptr<const Directory>> Build(std::vector<Unit> units);
  const std::vector<Unit>& units() const { return units_; }
  const Unit* Find(const std::string& id) const;
  // The unit of `kind` serving `district_code` (the most specific if several).
  const Unit* ServingPlace(UnitKind kind, const std::string& code) const;
  // The units a complaint text names (by name or alias), with every unit under them.
  std::set<std::string> NamedWithDescendants(const std::string& text) const;

 private:
  std::vector<Unit> units_;                         // sorted by id
  absl::flat_hash_map<std::string, size_t> index_;  // id → position
  absl::flat_hash_map<std::string, std::vector<std::string>> children_;
};

// Checks a dispatch list against the directory: INVALID_ARGUMENT naming rules[i].field.
absl::Status ValidateDispatchList(const DispatchList& list, const Directory& directory);

// What intake's RequestSubmitted says of a request (no personal data).
struct RequestFacts {
  std::string id;
  std::string tracking_number;
  Nature nature = Nature::kComplaint;
  std::string title;
  std::string text;
  std::string district_code;
  std::string town_code;
  bool enterprise = false;
  bool answered = false;  // a consultation answered on the spot: nothing to dispatch
  std::string master_id;  // a duplicate follows its master: nothing to dispatch
  absl::Time create_time;
};

// Routing's own record of a request.
// kMerged: a duplicate that follows its master (dispatched through triage if it is unmerged).
enum class RequestState { kDispatched = 1, kTriage, kFinished, kMerged };
struct RoutedRequest {
  RequestFacts facts;
  RequestState state = RequestState::kTriage;
  std::string triage_reason;
  std::string category;
  double confidence = 0;
  std::vector<std::string> excluded_units;  // the units it complains about (and theirs)
  int return_count = 0;
  std::optional<absl::Time> clock_start;  // first dispatch
  int paused_working_days = 0;            // carried over re-dispatch
  absl::Time update_time;
};

struct Extension {
  int working_days = 0;
  std::string reason;
  ExtensionState state = ExtensionState::kNone;
  std::string decision_note;
};

struct ReplyInfo {
  Outcome outcome = Outcome::kResolved;
  std::string text;
  absl::Time time;
};

struct WorkOrder {
  std::string id;
  std::string request_id;
  std::string tracking_number;
  std::string unit_id;
  std::string unit_name;
  UnitKind unit_kind = UnitKind::kDepartment;
  std::string district_code;  // the request's
  bool lead = true;
  Mode mode = Mode::kTriage;
  OrderState state = OrderState::kDispatched;
  std::string rule_id;
  std::string dispatch_note;           // the triage desk's decision
  Nature nature = Nature::kComplaint;  // the request's
  std::string category;
  double confidence = 0;
  absl::Time dispatch_time;
  absl::Time clock_start;
  TimeLimit limit;
  absl::Time sign_for_deadline;
  absl::Time deadline;
  absl::Time return_deadline;
  std::optional<absl::Time> sign_time;
  PauseReason pause = PauseReason::kNone;
  std::optional<absl::Time> pause_time;
  int paused_working_days = 0;
  int extension_days = 0;  // approved so far
  Extension extension;
  std::optional<ReplyInfo> reply;
  ReturnReason return_reason = ReturnReason::kNone;
  std::string return_note;
  int rehandle_count = 0;
  Person answerable;
  int64_t version = 0;
  absl::Time update_time;
};

// What an event says happened to an order.
struct OrderChange {
  std::string change;  // "signed_for", "returned", ...
  WorkOrder order;
  int request_return_count = 0;
};

struct CallContext {
  std::string request_id;
  std::string trace_id;
  // Set when the caller works for one unit (unit staff): it sees and acts on that unit's orders
  // only; any other order is NOT_FOUND to it.
  std::string unit_id;
};

// The storage contract, scoped to one transaction.
class Store {
 public:
  virtual ~Store() = default;
  virtual absl::StatusOr<std::optional<RoutedRequest>> GetRequest(const std::string& id,
                                                                  bool for_update) = 0;
  virtual absl::Status PutRequest(const RoutedRequest& r, bool insert) = 0;
  virtual absl::StatusOr<std::optional<WorkOrder>> GetOrder(const std::string& id,
                                                            bool for_update) = 0;
  virtual absl::StatusOr<std::vector<WorkOrder>> OrdersOfRequest(const std::string& request_id,
                                                                 bool for_update) = 0;
  // Inserts (version 0 → 1) or updates when `expected_version` matches (ABORTED otherwise).
  virtual absl::Status PutOrder(const WorkOrder& o, int64_t expected_version) = 0;
  // Records an idempotency key; false when it was recorded before (the call is a retry).
  virtual absl::StatusOr<bool> ClaimKey(const std::string& key, const std::string& order_id) = 0;
  // Events (appended to the outbox in this transaction).
  virtual absl::Status Dispatched(const std::vector<WorkOrder>& orders,
                                  const CallContext& call) = 0;
  virtual absl::Status Triaged(const RoutedRequest& r, const CallContext& call) = 0;
  virtual absl::Status Changed(const OrderChange& change, const CallContext& call) = 0;
};

// Runs `fn` in one transaction (retrying it on ABORTED), or read-only queries.
class Transactor {
 public:
  virtual ~Transactor() = default;
  virtual absl::Status Run(const std::function<absl::Status(Store&)>& fn) = 0;
};

struct OrderQuery {
  std::string unit_id;
  std::string request_id;
  std::optional<OrderState> state;
  std::string before_id;
  int limit = 20;
};

// Reads that need no transaction.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual absl::StatusOr<std::optional<WorkOrder>> FindOrder(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<WorkOrder>> ListOrders(const OrderQuery& q) = 0;
  virtual absl::StatusOr<std::vector<RoutedRequest>> ListTriage(const std::string& after_id,
                                                                int limit) = 0;
};

// The stored unit directory and dispatch list versions (audited by the implementation).
class ConfigRepository {
 public:
  virtual ~ConfigRepository() = default;
  virtual absl::StatusOr<std::vector<Unit>> Units() = 0;
  // Stores the units that differ from the stored ones; returns how many changed.
  virtual absl::StatusOr<int> PutUnits(const std::vector<Unit>& units,
                                       const std::string& actor) = 0;
  virtual absl::StatusOr<std::optional<DispatchList>> LatestList() = 0;
  virtual absl::StatusOr<std::optional<DispatchList>> ListVersion(int64_t version) = 0;
  // Stores the next version unless the rules equal the latest's; expected_version < 0: any.
  virtual absl::StatusOr<DispatchList> PutList(const DispatchList& list, const std::string& actor,
                                               int64_t expected_version) = 0;
};

// The dispatch decision for a request, before any order exists (pure: used by the service and
// the property test).
struct Placement {
  const Rule* rule = nullptr;  // null: triage
  std::string triage_reason;
  std::vector<const Unit*> units;  // lead first
};
Placement Place(const RequestFacts& facts, const std::string& category, double confidence,
                const DispatchList& list, const Directory& directory,
                const std::set<std::string>& excluded);

// Natures whose text may complain about a unit (投诉, 举报, 办不成事).
bool MayComplainAboutUnits(Nature n);

class Routing {
 public:
  Routing(Transactor& tx, Reader& reader, ConfigRepository& config, Clock& clock, IdGenerator& ids,
          std::shared_ptr<const calendar::WorkCalendar> calendar);

  // At start: stores the files' units and list where they differ from the stored ones (the file
  // is the operator's latest word; RPC edits stay until the file changes), then loads both.
  absl::Status LoadConfiguration(const std::vector<Unit>& file_units, const DispatchList& file_list,
                                 const std::string& source);
  absl::StatusOr<Unit> UpsertUnit(const Unit& unit, const std::string& actor);
  absl::StatusOr<DispatchList> GetDispatchList(int64_t version);
  absl::StatusOr<DispatchList> UpdateDispatchList(const DispatchList& list,
                                                  int64_t expected_version,
                                                  const std::string& actor);

  // Configuration in force; replaced atomically.
  void SetDirectory(std::shared_ptr<const Directory> d);
  void SetDispatchList(std::shared_ptr<const DispatchList> l);
  void SetClassifier(std::shared_ptr<const TextClassifier> c);
  std::shared_ptr<const Directory> directory() const;
  std::shared_ptr<const DispatchList> dispatch_list() const;
  std::shared_ptr<const TextClassifier> classifier() const;

  // Intake's events, applied inside the consumer's transaction.
  absl::Status OnSubmitted(Store& s, const RequestFacts& facts, const CallContext& call);
  absl::Status OnWithdrawn(Store& s, const std::string& request_id, const CallContext& call);
  absl::Status OnMerged(Store& s, const std::string& request_id, const CallContext& call);
  absl::Status OnUnmerged(Store& s, const std::string& request_id, const CallContext& call);
  absl::Status OnEvaluated(Store& s, const std::string& request_id, bool dissatisfied,
                           const CallContext& call);

  // `caller_unit`: see CallContext::unit_id.
  absl::StatusOr<WorkOrder> Get(const std::string& id, const std::string& caller_unit = "");
  struct Page {
    std::vector<WorkOrder> orders;
    std::string next_page_token;
  };
  absl::StatusOr<Page> List(OrderQuery q, int page_size, const std::string& token);

  absl::StatusOr<WorkOrder> SignFor(const std::string& order_id, const CallContext& call);
  absl::StatusOr<WorkOrder> Return(const std::string& order_id, ReturnReason reason,
                                   const std::string& note, const CallContext& call);
  // The commission's reassignment order (see the proto).
  absl::StatusOr<WorkOrder> Reassign(const std::string& order_id, const std::string& note,
                                     const CallContext& call);
  absl::StatusOr<WorkOrder> RequestExtension(const std::string& order_id, int working_days,
                                             const std::string& reason, const CallContext& call);
  absl::StatusOr<WorkOrder> DecideExtension(const std::string& order_id, bool approve,
                                            const std::string& note, const CallContext& call);
  absl::StatusOr<WorkOrder> Pause(const std::string& order_id, PauseReason reason,
                                  const CallContext& call);
  absl::StatusOr<WorkOrder> Resume(const std::string& order_id, const CallContext& call);
  absl::StatusOr<WorkOrder> Reply(const std::string& order_id, Outcome outcome,
                                  const std::string& text, const CallContext& call);

  struct TriagePage {
    std::vector<RoutedRequest> items;
    std::string next_page_token;
  };
  absl::StatusOr<TriagePage> ListTriage(int page_size, const std::string& token);
  struct Assignment {
    std::string lead;
    std::vector<std::string> co_handlers;
    Mode mode = Mode::kTriage;
    TimeLimit limit;
    std::string note;
  };
  absl::StatusOr<std::vector<WorkOrder>> Assign(const std::string& request_id, const Assignment& a,
                                                const CallContext& call);

  // One part of a one-thing application, sent straight to the unit owning its matter.
  struct BundlePart {
    std::string item_id;
    std::string tracking_number;
    std::string title;
    std::string unit_id;
    int working_days = 0;
    std::string district_code;
    absl::Time receive_time;
  };
  // Idempotent by item: a part dispatched before answers its newest order. A returned part goes
  // to the triage desk like any request.
  absl::StatusOr<WorkOrder> DispatchBundlePart(const BundlePart& p, const CallContext& call);

  std::optional<Prediction> Classify(const std::string& text) const;

 private:
  // Applies `change` to the locked order and records it; the common shape of every order action.
  using Change = std::function<absl::Status(WorkOrder& o, Store& s, absl::Time now)>;
  absl::StatusOr<WorkOrder> Act(const std::string& order_id, const std::string& change_name,
                                const CallContext& call, const Change& change);
  // Creates and records the orders for a placement (or a triage assignment).
  absl::StatusOr<std::vector<WorkOrder>> Dispatch(Store& s, RoutedRequest& r, const Rule& rule,
                                                  const std::vector<const Unit*>& units,
                                                  absl::Time now, const CallContext& call);
  absl::Status ToTriage(Store& s, RoutedRequest& r, const std::string& reason, absl::Time now,
                        const CallContext& call);
  // Ends an order that leaves its unit (returned, reassigned): a lead order takes its
  // co-handlers' orders with it and sends the request to the triage desk with `reason`.
  absl::Status TakeAway(Store& s, WorkOrder& o, bool count_return, const std::string& reason,
                        absl::Time now, const CallContext& call);
  void Recompute(WorkOrder& o) const;  // deadline from clock start, limit, pauses, extensions

  Transactor& tx_;
  Reader& reader_;
  ConfigRepository& config_;
  Clock& clock_;
  IdGenerator& ids_;
  std::shared_ptr<const calendar::WorkCalendar> calendar_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Directory> directory_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const DispatchList> list_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const TextClassifier> classifier_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jiban::routing

#endif  // JIBAN_SERVICES_ROUTING_DOMAIN_H_
