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
};

class Transactor {
 public:
  virtual ~Transactor() = default;
  virtual absl::Status Run(const std::function<absl::Status(Store&)>& fn) = 0;
};

struct LightQuery {
  std::string unit_id;
  std::optional<Colour> colour;
  std::optional<Cause> cause;
  bool active_only = false;
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
  virtual absl::StatusOr<std::vector<LightCount>> CountActive(const std::string& unit_id) = 0;
};

class Escalation {
 public:
  Escalation(Transactor& tx, Reader& reader, Clock& clock, IdGenerator& ids, Policy policy = {})
      : tx_(tx), reader_(reader), clock_(clock), ids_(ids), policy_(policy) {}

  // Applies one of routing's order updates inside the consumer's transaction.
  absl::Status OnUpdate(Store& s, const OrderUpdate& u, const CallContext& call);

  // Fires every timer due at `now` (in batches of `batch`, one transaction each); returns how
  // many lights it raised. The scan reads only due timers.
  absl::StatusOr<int> Tick(absl::Time now, int batch = 500);

  absl::StatusOr<std::vector<Light>> List(LightQuery q, int page_size, const std::string& token,
                                          std::string* next_token);
  absl::StatusOr<std::vector<Light>> OrderHistory(const std::string& order_id);
  absl::StatusOr<std::vector<LightCount>> Counts(const std::string& unit_id);

 private:
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
};

}  // namespace jiban::escalation

#endif  // JIBAN_SERVICES_ESCALATION_DOMAIN_H_
