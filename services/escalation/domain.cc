#include "services/escalation/domain.h"

#include <algorithm>

#include "libs/status/macros.h"
#include "libs/status/status.h"

namespace jiban::escalation {
namespace {

const std::vector<Cause> kSignForCauses = {Cause::kSignForNear, Cause::kSignForOverdue};
const std::vector<Cause> kHandlingCauses = {Cause::kHandlingNear, Cause::kHandlingOverdue};
const std::vector<TimerKind> kSignForTimers = {TimerKind::kSignForNear, TimerKind::kSignForDue};
const std::vector<TimerKind> kHandlingTimers = {TimerKind::kHandlingNear, TimerKind::kHandlingDue};
const std::vector<TimerKind> kAllTimers = {TimerKind::kSignForNear, TimerKind::kSignForDue,
                                           TimerKind::kHandlingNear, TimerKind::kHandlingDue};

absl::Time Share(absl::Time from, absl::Time to, double share) {
  return from + (to - from) * share;
}

}  // namespace

Colour ColourOf(Cause c) {
  switch (c) {
    case Cause::kSignForNear:
    case Cause::kHandlingNear:
    case Cause::kFirstReturn:
      return Colour::kYellow;
    default:
      return Colour::kRed;
  }
}

absl::Status Escalation::Raise(Store& s, const Tracked& t, Cause cause, absl::Time due,
                               absl::Time now, const CallContext& call) {
  Light l{.id = ids_.Next(),
          .order_id = t.order_id,
          .request_id = t.request_id,
          .tracking_number = t.tracking_number,
          .unit_id = t.unit_id,
          .unit_name = t.unit_name,
          .answerable = t.answerable,
          .cause = cause,
          .due = due,
          .raised = now};
  JIBAN_ASSIGN_OR_RETURN(bool inserted, s.InsertLight(l));
  if (!inserted) return absl::OkStatus();  // raised before: a light never fires twice
  return s.Raised(l, call);
}

absl::Status Escalation::Clear(Store& s, const std::string& order_id,
                               const std::vector<Cause>& causes, const std::string& reason,
                               absl::Time now, const CallContext& call) {
  JIBAN_ASSIGN_OR_RETURN(auto active, s.ActiveLights(order_id));
  for (Light& l : active) {
    if (!causes.empty() && std::find(causes.begin(), causes.end(), l.cause) == causes.end()) {
      continue;
    }
    l.active = false;
    l.cleared = now;
    l.clear_reason = reason;
    JIBAN_RETURN_IF_ERROR(s.ClearLight(l));
    JIBAN_RETURN_IF_ERROR(s.Cleared(l, call));
  }
  return absl::OkStatus();
}

absl::Status Escalation::ArmHandling(Store& s, const Tracked& t) {
  JIBAN_RETURN_IF_ERROR(s.SetTimer({t.order_id, TimerKind::kHandlingNear,
                                    Share(t.clock_start, t.deadline, policy_.yellow_share)}));
  return s.SetTimer({t.order_id, TimerKind::kHandlingDue, t.deadline});
}

absl::Status Escalation::OnUpdate(Store& s, const OrderUpdate& u, const CallContext& call) {
  const absl::Time now = clock_.Now();
  const Tracked& t = u.order;
  const std::string& c = u.change;
  JIBAN_RETURN_IF_ERROR(s.PutOrder(t));
  if (c == "dispatched") {
    if (!t.signed_for) {
      JIBAN_RETURN_IF_ERROR(
          s.SetTimer({t.order_id, TimerKind::kSignForNear,
                      Share(t.dispatch_time, t.sign_for_deadline, policy_.yellow_share)}));
      JIBAN_RETURN_IF_ERROR(s.SetTimer({t.order_id, TimerKind::kSignForDue, t.sign_for_deadline}));
    }
    JIBAN_RETURN_IF_ERROR(ArmHandling(s, t));
    if (u.could_not_get_done && t.lead) {
      JIBAN_RETURN_IF_ERROR(Raise(s, t, Cause::kCouldNotGetDone, t.dispatch_time, now, call));
    }
    return absl::OkStatus();
  }
  if (c == "signed_for") {
    JIBAN_RETURN_IF_ERROR(s.DeleteTimers(t.order_id, kSignForTimers));
    return Clear(s, t.order_id, kSignForCauses, c, now, call);
  }
  if (c == "paused" || c == "extension_requested") {
    return s.DeleteTimers(t.order_id, kHandlingTimers);  // the clock stopped
  }
  if (c == "resumed" || c == "extension_approved" || c == "extension_refused" || c == "rehandled") {
    // A new deadline: warnings about the old one no longer hold.
    JIBAN_RETURN_IF_ERROR(Clear(s, t.order_id, kHandlingCauses, c, now, call));
    JIBAN_RETURN_IF_ERROR(ArmHandling(s, t));
    if (c == "rehandled" && u.rehandle_count >= 2) {
      JIBAN_RETURN_IF_ERROR(Raise(s, t, Cause::kDissatisfiedAgain, now, now, call));
    }
    return absl::OkStatus();
  }
  if (c == "replied") {
    JIBAN_RETURN_IF_ERROR(s.DeleteTimers(t.order_id, kAllTimers));
    return Clear(s, t.order_id,
                 {Cause::kSignForNear, Cause::kSignForOverdue, Cause::kHandlingNear,
                  Cause::kHandlingOverdue},
                 c, now, call);
  }
  if (c == "returned") {
    JIBAN_RETURN_IF_ERROR(s.DeleteTimers(t.order_id, kAllTimers));
    JIBAN_RETURN_IF_ERROR(Clear(s, t.order_id, {}, c, now, call));
    if (u.request_return_count == 1) {
      JIBAN_RETURN_IF_ERROR(Raise(s, t, Cause::kFirstReturn, now, now, call));
    }
    if (u.request_return_count > policy_.max_returns) {
      JIBAN_RETURN_IF_ERROR(Raise(s, t, Cause::kBouncing, now, now, call));
    }
    return absl::OkStatus();
  }
  if (c == "closed" || c == "cancelled") {
    JIBAN_RETURN_IF_ERROR(s.DeleteTimers(t.order_id, kAllTimers));
    return Clear(s, t.order_id, {}, c, now, call);
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Escalation::Tick(absl::Time now, int batch) {
  int raised_total = 0;
  while (true) {
    int fired = 0, raised = 0;
    const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
      fired = raised = 0;
      JIBAN_ASSIGN_OR_RETURN(auto due, s.DueTimers(now, batch));
      for (const Timer& timer : due) {
        ++fired;
        JIBAN_RETURN_IF_ERROR(s.DeleteTimers(timer.order_id, {timer.kind}));
        JIBAN_ASSIGN_OR_RETURN(auto t, s.GetOrder(timer.order_id));
        if (!t || !t->open || t->replied) continue;
        const CallContext call{"", ""};
        switch (timer.kind) {
          case TimerKind::kSignForNear:
            if (t->signed_for) break;
            JIBAN_RETURN_IF_ERROR(Raise(s, *t, Cause::kSignForNear, timer.due, now, call));
            ++raised;
            break;
          case TimerKind::kSignForDue:
            if (t->signed_for) break;
            JIBAN_RETURN_IF_ERROR(Raise(s, *t, Cause::kSignForOverdue, timer.due, now, call));
            ++raised;
            break;
          case TimerKind::kHandlingNear:
            if (t->paused) break;
            JIBAN_RETURN_IF_ERROR(Raise(s, *t, Cause::kHandlingNear, timer.due, now, call));
            ++raised;
            break;
          case TimerKind::kHandlingDue:
            if (t->paused) break;
            JIBAN_RETURN_IF_ERROR(Raise(s, *t, Cause::kHandlingOverdue, timer.due, now, call));
            ++raised;
            break;
        }
      }
      return absl::OkStatus();
    });
    JIBAN_RETURN_IF_ERROR(done);
    raised_total += raised;
    if (fired < batch) return raised_total;
  }
}

absl::StatusOr<std::vector<Light>> Escalation::List(LightQuery q, int page_size,
                                                    const std::string& token,
                                                    std::string* next_token) {
  Violations v;
  if (page_size < 0 || page_size > 100) v.Add("page_size", "between 0 and 100");
  if (!token.empty() && !DecodePageToken(token, &q.before_id)) {
    v.Add("page_token", "not a token this service issued");
  }
  if (!v.empty()) return v.Status();
  const int want = page_size == 0 ? 20 : page_size;
  q.limit = want + 1;
  JIBAN_ASSIGN_OR_RETURN(auto lights, reader_.ListLights(q));
  next_token->clear();
  if (static_cast<int>(lights.size()) > want) {
    lights.resize(static_cast<size_t>(want));
    *next_token = EncodePageToken(lights.back().id);
  }
  return lights;
}

absl::StatusOr<std::vector<Light>> Escalation::OrderHistory(const std::string& order_id) {
  if (order_id.empty() || order_id.size() > 64) {
    return InvalidArgument("INVALID_REQUEST", {{"order_id", "required, at most 64 characters"}});
  }
  return reader_.OrderLights(order_id);
}

absl::StatusOr<std::vector<LightCount>> Escalation::Counts(const std::string& unit_id) {
  return reader_.CountActive(unit_id);
}

}  // namespace jiban::escalation
