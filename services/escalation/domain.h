// Escalation's domain, without gRPC or SQL types: what it keeps of each work order (from routing's
// events), its durable timers, and the rules that raise and clear yellow and red lights. Timers
// live in the database keyed by order and kind and are scanned by due instant, so a scan costs in
// proportion to what is due; a timer is deleted in the transaction that raises its light, and a
// light is unique per (order, cause, due instant), so after a crash a due timer fires once.
#ifndef JIBAN_SERVICES_ESCALATION_DOMAIN_H_
#define JIBAN_SERVICES_ESCALATION_DOMAIN_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"

namespace jiban::escalation {

enum class Colour { kYellow = 1, kRed };
enum class Cause {
  kSignForNear = 1,
  kSignForOverdue,
  kHandlingNear,
  kHandlingOverdue,
  kFirstReturn,
  kBouncing,
  kCouldNotGetDone,
  kDissatisfiedAgain
};
Colour ColourOf(Cause c);

struct Person {
  std::string name;
  std::string post;
};

struct Light {
  std::string id;
  std::string order_id;
  std::string request_id;
  std::string tracking_number;
  std::string unit_id;
  std::string unit_name;
  std::string district_code;
  Person answerable;
  Cause cause = Cause::kHandlingOverdue;
  absl::Time due;  // when the cause arose (a timer's exact instant)
  absl::Time raised;
  bool active = true;
  std::optional<absl::Time> cleared;
  std::string clear_reason;
};

// What escalation keeps of one work order.
struct Tracked {
  std::string order_id;
  std::string request_id;
  std::string tracking_number;
  std::string unit_id;
  std::string unit_name;
  std::string district_code;  // the request's
  Person answerable;
  bool lead = true;
  absl::Time dispatch_time;
  absl::Time clock_start;
  absl::Time sign_for_deadline;
  absl::Time deadline;
  bool signed_for = false;
  bool paused = false;
  bool replied = false;
  bool open = true;
};

// A change routing reported (its OrderChanged / OrdersDispatched events, converted).
struct OrderUpdate {
  std::string change;  // "dispatched", "signed_for", "returned", "replied", ...
  Tracked order;       // the order after the change
  bool could_not_get_done = false;
  int rehandle_count = 0;
  int request_return_count = 0;
};

// Supervision cases (督办): the four kinds, their life, and the actions on them.
enum class CaseKind { kDoNow = 1, kPush, kOrder, kSupervise };
enum class CaseState { kOpen = 1, kActing, kRectified, kClosed };
enum class ActionKind {
  kOpened = 1,
  kReminder,
  kInterview,
  kCircular,
  kReassignOrdered,
  kRectified,
  kVerifiedClosed,
  kReopened
};

struct Case {
  std::string id;
  std::string order_id;
  std::string request_id;
  std::string tracking_number;
  std::string unit_id;
  std::string unit_name;
  std::string district_code;
  Person answerable;
  CaseKind kind = CaseKind::kSupervise;
  CaseState state = CaseState::kOpen;
  std::string light_id;   // the red light that opened it by rule
  std::string opened_by;  // "rule" or the officer's role
  std::string officer;    // the officer who opened it or first acted on it (empty: nobody yet)
  absl::Time deadline;
  absl::Time created;
  absl::Time updated;
};

// One entry of the case log. The log is one hash chain: hash = SHA-256 of the previous hash and
// the entry's canonical form, so editing or deleting any entry breaks every later link.
struct CaseAction {
  int64_t sequence = 0;
  std::string case_id;
  ActionKind kind = ActionKind::kOpened;
  std::string actor;
  std::string note;
  absl::Time time;
  std::string previous_hash;
  std::string hash;
};

// The deadline a kind gives the unit from the case's opening.
absl::Duration DefaultDeadline(CaseKind kind);
// Whether the commission may take `action` on a case of `kind` (e.g. reassignment is for
// buck-passing cases).
bool Allowed(CaseKind kind, ActionKind action);
// The state after `action`, or FAILED_PRECONDITION (CASE_ACTION_NOT_ALLOWED) when the case's state
// or kind does not allow it.
absl::StatusOr<CaseState> NextState(CaseKind kind, CaseState state, ActionKind action);
// The hash of an entry given its predecessor's hash.
std::string ChainHash(const CaseAction& a);
// The kind of case a red light opens by rule, if any.
std::optional<CaseKind> KindForLight(Cause cause);

enum class TimerKind { kSignForNear = 1, kSignForDue, kHandlingNear, kHandlingDue };
struct Timer {
  std::string order_id;
  TimerKind kind = TimerKind::kHandlingDue;
  absl::Time due;
};

struct Policy {
  double yellow_share = 0.8;  // of a limit used before the yellow light
  int max_returns = 2;        // more returns of one request: a red light (推诿扯皮)
};

struct CallContext {
  std::string request_id;
  std::string trace_id;
  std::string subject;  // the caller's identity (x-jiban-subject, set by the gateway); may be empty
};

// The storage contract, scoped to one transaction.
class Store {
 public:
  virtual ~Store() = default;
  virtual absl::StatusOr<std::optional<Tracked>> GetOrder(const std::string& order_id) = 0;
  virtual absl::Status PutOrder(const Tracked& t) = 0;  // insert or replace
  virtual absl::Status SetTimer(const Timer& t) = 0;    // insert or replace (order, kind)
  virtual absl::Status DeleteTimers(const std::string& order_id,
                                    const std::vector<TimerKind>& kinds) = 0;
  // Due timers (due ≤ now), earliest first, locked for this transaction.
  virtual absl::StatusOr<std::vector<Timer>> DueTimers(absl::Time now, int limit) = 0;
  // Inserts a light; false when the same (order, cause, due instant) was raised before.
  virtual absl::StatusOr<bool> InsertLight(const Light& l) = 0;
  virtual absl::StatusOr<std::vector<Light>> ActiveLights(const std::string& order_id) = 0;
  virtual absl::Status ClearLight(const Light& l) = 0;  // writes active, cleared, clear_reason
  virtual absl::Status Raised(const Light& l, const CallContext& call) = 0;
  virtual absl::Status Cleared(const Light& l, const CallContext& call) = 0;

  virtual absl::StatusOr<std::optional<Case>> GetCase(const std::string& id) = 0;  // locked
  // The order's case that is not closed, if any.
  virtual absl::StatusOr<std::optional<Case>> OpenCaseOf(const std::string& order_id) = 0;
  virtual absl::Status PutCase(const Case& c, bool insert) = 0;
  // The last entry of the case log (sequence 0 and an empty hash when empty), locked until the
  // transaction ends so that appends are serialised.
  virtual absl::StatusOr<std::pair<int64_t, std::string>> ChainHead() = 0;
  virtual absl::Status AppendAction(const CaseAction& a) = 0;  // insert-only
  // Records an idempotency key; false when it was recorded before.
  virtual absl::StatusOr<bool> ClaimKey(const std::string& key, const std::string& object_id) = 0;
  virtual absl::Status CaseChanged(const Case& c, const CaseAction& a, const CallContext& call) = 0;
};

class Transactor {
 public:
  virtual ~Transactor() = default;
  virtual absl::Status Run(const std::function<absl::Status(Store&)>& fn) = 0;
};

struct LightQuery {
  std::string unit_id;
  std::string district_code;
  std::optional<Colour> colour;
  std::optional<Cause> cause;
  bool active_only = false;
  std::string before_id;
  int limit = 20;
};

struct CaseQuery {
  std::string unit_id;
  std::string district_code;
  std::optional<CaseState> state;
  std::string officer;
  bool open_only = false;  // not closed
  std::string before_id;
  int limit = 20;
};

struct LightCount {
  Cause cause;
  int64_t active;
};

class Reader {
 public:
  virtual ~Reader() = default;
  virtual absl::StatusOr<std::vector<Light>> ListLights(const LightQuery& q) = 0;
  virtual absl::StatusOr<std::vector<Light>> OrderLights(const std::string& order_id) = 0;
  // Active lights by cause, of one unit and/or one district (empty: all).
  virtual absl::StatusOr<std::vector<LightCount>> CountActive(const std::string& unit_id,
                                                              const std::string& district_code) = 0;
  virtual absl::StatusOr<std::optional<Case>> FindCase(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<Case>> ListCases(const CaseQuery& q) = 0;
  // Log entries after `after_sequence` (all cases, or one case when case_id is set), in order.
  virtual absl::StatusOr<std::vector<CaseAction>> Actions(const std::string& case_id,
                                                          int64_t after_sequence, int limit) = 0;
  // Cases not closed, counted by kind.
  virtual absl::StatusOr<std::vector<std::pair<CaseKind, int64_t>>> CountOpenCases() = 0;
};

// A chain head recorded outside the database (the service logs every new head; a log collector
// keeps it off this machine): a whole chain rebuilt by someone with write access to the database
// no longer ends in, or passes through, the recorded hash.
struct Anchor {
  int64_t sequence = 0;
  std::string hash;
};
// "SEQUENCE:HASH" as the service logs it; INVALID_ARGUMENT (field `anchor`) otherwise.
absl::StatusOr<Anchor> ParseAnchor(absl::string_view text);

struct Verification {
  bool intact = true;
  int64_t entries = 0;
  int64_t first_broken = 0;     // the first entry whose sequence, previous hash or hash is wrong
  bool anchor_matches = false;  // the anchored entry exists and has the anchored hash
};
// Recomputes the whole case log's chain, in pages (the VerifyCaseLog RPC and the
// `jiban-escalation verify-log` command), and checks it against `anchor` when given.
absl::StatusOr<Verification> VerifyCaseLog(Reader& reader,
                                           const std::optional<Anchor>& anchor = std::nullopt);

// Carries out a case's reassignment order in routing (idempotent by `key`).
class OrderReassigner {
 public:
  virtual ~OrderReassigner() = default;
  virtual absl::Status Reassign(const std::string& order_id, const std::string& note,
                                const std::string& key) = 0;
};

class Escalation {
 public:
  // `reassigner` may be null (then a reassignment order fails with FAILED_PRECONDITION).
  Escalation(Transactor& tx, Reader& reader, Clock& clock, IdGenerator& ids, Policy policy = {},
             OrderReassigner* reassigner = nullptr)
      : tx_(tx),
        reader_(reader),
        clock_(clock),
        ids_(ids),
        policy_(policy),
        reassigner_(reassigner) {}

  // Applies one of routing's order updates inside the consumer's transaction.
  absl::Status OnUpdate(Store& s, const OrderUpdate& u, const CallContext& call);

  // Fires every timer due at `now` (in batches of `batch`, one transaction each); returns how
  // many lights it raised. The scan reads only due timers.
  absl::StatusOr<int> Tick(absl::Time now, int batch = 500);

  absl::StatusOr<std::vector<Light>> List(LightQuery q, int page_size, const std::string& token,
                                          std::string* next_token);
  absl::StatusOr<std::vector<Light>> OrderHistory(const std::string& order_id);
  absl::StatusOr<std::vector<LightCount>> Counts(const std::string& unit_id,
                                                 const std::string& district_code);

  // A commission officer opens a case (idempotent by call.request_id).
  absl::StatusOr<Case> OpenCase(const std::string& order_id, CaseKind kind, const std::string& note,
                                const std::string& actor, const CallContext& call);
  absl::StatusOr<Case> Act(const std::string& case_id, ActionKind action, const std::string& note,
                           const std::string& actor, const CallContext& call);
  absl::StatusOr<std::pair<Case, std::vector<CaseAction>>> GetCase(const std::string& id);
  absl::StatusOr<std::vector<Case>> ListCases(CaseQuery q, int page_size, const std::string& token,
                                              std::string* next_token);
  absl::StatusOr<Verification> VerifyLog(const std::optional<Anchor>& anchor = std::nullopt) {
    return VerifyCaseLog(reader_, anchor);
  }

 private:
  // Opens a case in `s` and logs it; shared by officers and the red-light rule.
  absl::StatusOr<Case> Open(Store& s, const Tracked& t, CaseKind kind, const std::string& light_id,
                            const std::string& actor, const std::string& note, absl::Time now,
                            const CallContext& call);
  absl::Status Log(Store& s, Case& c, ActionKind kind, const std::string& actor,
                   const std::string& note, absl::Time now, const CallContext& call);
  absl::Status Raise(Store& s, const Tracked& t, Cause cause, absl::Time due, absl::Time now,
                     const CallContext& call);
  absl::Status Clear(Store& s, const std::string& order_id, const std::vector<Cause>& causes,
                     const std::string& reason, absl::Time now, const CallContext& call);
  absl::Status ArmHandling(Store& s, const Tracked& t);

  Transactor& tx_;
  Reader& reader_;
  Clock& clock_;
  IdGenerator& ids_;
  const Policy policy_;
  OrderReassigner* const reassigner_;
};

}  // namespace jiban::escalation

#endif  // JIBAN_SERVICES_ESCALATION_DOMAIN_H_
