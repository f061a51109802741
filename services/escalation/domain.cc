#include "services/escalation/domain.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/clock/page.h"
#include "libs/crypto/sealer.h"
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

Cause CauseOf(TimerKind kind) {
  switch (kind) {
    case TimerKind::kSignForNear:
      return Cause::kSignForNear;
    case TimerKind::kSignForDue:
      return Cause::kSignForOverdue;
    case TimerKind::kHandlingNear:
      return Cause::kHandlingNear;
    case TimerKind::kHandlingDue:
      return Cause::kHandlingOverdue;
  }
  return Cause::kHandlingOverdue;
}

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

absl::Duration DefaultDeadline(CaseKind kind) {
  switch (kind) {
    case CaseKind::kDoNow:
      return absl::Hours(24);
    case CaseKind::kPush:
      return absl::Hours(24 * 10);
    case CaseKind::kOrder:
      return absl::Hours(24 * 3);
    case CaseKind::kSupervise:
      return absl::Hours(24 * 5);
  }
  return absl::Hours(24 * 5);
}

bool Allowed(CaseKind kind, ActionKind action) {
  switch (action) {
    case ActionKind::kReminder:
    case ActionKind::kRectified:
    case ActionKind::kVerifiedClosed:
    case ActionKind::kReopened:
      return true;
    case ActionKind::kInterview:
      return kind != CaseKind::kDoNow;
    case ActionKind::kCircular:
      return kind == CaseKind::kOrder || kind == CaseKind::kSupervise;
    case ActionKind::kReassignOrdered:
      return kind == CaseKind::kOrder;
    case ActionKind::kOpened:
      return false;
  }
  return false;
}

absl::StatusOr<CaseState> NextState(CaseKind kind, CaseState state, ActionKind action) {
  const auto refuse = [](absl::string_view why) {
    return Precondition("CASE_ACTION_NOT_ALLOWED", why);
  };
  if (!Allowed(kind, action)) return refuse("this kind of case does not take this action");
  switch (action) {
    case ActionKind::kReminder:
    case ActionKind::kInterview:
    case ActionKind::kCircular:
    case ActionKind::kReassignOrdered:
      if (state == CaseState::kClosed) return refuse("the case is closed; reopen it first");
      return CaseState::kActing;
    case ActionKind::kRectified:
      if (state != CaseState::kOpen && state != CaseState::kActing) {
        return refuse("only an open case can be reported rectified");
      }
      return CaseState::kRectified;
    case ActionKind::kVerifiedClosed:
      if (state != CaseState::kRectified) return refuse("only a rectified case can be closed");
      return CaseState::kClosed;
    case ActionKind::kReopened:
      if (state != CaseState::kRectified && state != CaseState::kClosed) {
        return refuse("only a rectified or closed case can be reopened");
      }
      return CaseState::kActing;
    case ActionKind::kOpened:
      break;
  }
  return refuse("not an action");
}

std::string ChainHash(const CaseAction& a) {
  return crypto::Sha256Hex(absl::StrCat(a.previous_hash, "\n", a.sequence, "|", a.case_id, "|",
                                        static_cast<int>(a.kind), "|", a.actor, "|",
                                        absl::ToUnixMillis(a.time), "|", a.note));
}

std::optional<CaseKind> KindForLight(Cause cause) {
  switch (cause) {
    case Cause::kHandlingOverdue:
      return CaseKind::kSupervise;  // 应办不办监督办
    case Cause::kBouncing:
      return CaseKind::kOrder;  // 推诿扯皮责成办
    case Cause::kCouldNotGetDone:
      return CaseKind::kDoNow;  // 符合政策马上办
    case Cause::kDissatisfiedAgain:
      return CaseKind::kPush;  // 疑难复杂推动办
    default:
      return std::nullopt;
  }
}

absl::Status Escalation::Log(Store& s, Case& c, ActionKind kind, const std::string& actor,
                             const std::string& note, absl::Time now, const CallContext& call) {
  JIBAN_ASSIGN_OR_RETURN(auto head, s.ChainHead());
  CaseAction a{.sequence = head.first + 1,
               .case_id = c.id,
               .kind = kind,
               .actor = actor,
               .note = note,
               .time = now,
               .previous_hash = head.second};
  a.hash = ChainHash(a);
  JIBAN_RETURN_IF_ERROR(s.AppendAction(a));
  return s.CaseChanged(c, a, call);
}

namespace {
// A light or a case about order `t`: its ids, unit, district and person answerable.
template <typename T>
T About(const Tracked& t) {
  T x;
  x.order_id = t.order_id;
  x.request_id = t.request_id;
  x.tracking_number = t.tracking_number;
  x.unit_id = t.unit_id;
  x.unit_name = t.unit_name;
  x.district_code = t.district_code;
  x.answerable = t.answerable;
  return x;
}
}  // namespace

absl::StatusOr<Case> Escalation::Open(Store& s, const Tracked& t, CaseKind kind,
                                      const std::string& light_id, const std::string& actor,
                                      const std::string& note, absl::Time now,
                                      const CallContext& call) {
  Case c = About<Case>(t);
  c.id = ids_.Next();
  c.kind = kind;
  c.state = CaseState::kOpen;
  c.light_id = light_id;
  c.opened_by = actor;
  c.officer = call.subject;
  c.deadline = now + DefaultDeadline(kind);
  c.created = c.updated = now;
  JIBAN_RETURN_IF_ERROR(s.PutCase(c, /*insert=*/true));
  JIBAN_RETURN_IF_ERROR(Log(s, c, ActionKind::kOpened, actor, note, now, call));
  return c;
}

absl::Status Escalation::Raise(Store& s, const Tracked& t, Cause cause, absl::Time due,
                               absl::Time now, const CallContext& call) {
  Light l = About<Light>(t);
  l.id = ids_.Next();
  l.cause = cause;
  l.due = due;
  l.raised = now;
  JIBAN_ASSIGN_OR_RETURN(bool inserted, s.InsertLight(l));
  if (!inserted) return absl::OkStatus();  // raised before: a light never fires twice
  JIBAN_RETURN_IF_ERROR(s.Raised(l, call));
  // A red light of these causes opens a case by rule, unless the order already has one.
  const std::optional<CaseKind> kind = KindForLight(cause);
  if (!kind) return absl::OkStatus();
  JIBAN_ASSIGN_OR_RETURN(auto open, s.OpenCaseOf(t.order_id));
  if (open) return absl::OkStatus();
  return Open(s, t, *kind, l.id, "rule", "", now, call).status();
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
  if (c == "closed" || c == "cancelled" || c == "reassigned") {
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
        const bool sign_for =
            timer.kind == TimerKind::kSignForNear || timer.kind == TimerKind::kSignForDue;
        // A sign-for timer matters until the order is signed for; a handling timer while the
        // clock runs.
        if (sign_for ? t->signed_for : t->paused) continue;
        JIBAN_RETURN_IF_ERROR(Raise(s, *t, CauseOf(timer.kind), timer.due, now, {"", ""}));
        ++raised;
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
  const PageRequest request = CheckPage(page_size, token, 20, 100, v);
  if (!v.empty()) return v.Status();
  q.before_id = request.after_id;
  q.limit = request.fetch();
  JIBAN_ASSIGN_OR_RETURN(auto lights, reader_.ListLights(q));
  *next_token = CutPage(lights, request, [](const Light& l) { return l.id; });
  return lights;
}

absl::StatusOr<std::vector<Light>> Escalation::OrderHistory(const std::string& order_id) {
  if (order_id.empty() || order_id.size() > 64) {
    return InvalidArgument("INVALID_REQUEST", {{"order_id", "required, at most 64 characters"}});
  }
  return reader_.OrderLights(order_id);
}

absl::StatusOr<std::vector<LightCount>> Escalation::Counts(const std::string& unit_id,
                                                           const std::string& district_code) {
  return reader_.CountActive(unit_id, district_code);
}

namespace {
void CheckKey(const CallContext& call, Violations& v) {
  if (call.request_id.empty() || call.request_id.size() > 64) {
    v.Add("request_id", "required, 1 to 64 characters");
  }
}
absl::Status NoCase() {
  return Error(absl::StatusCode::kNotFound, "CASE_NOT_FOUND", "no supervision case with this id");
}
}  // namespace

absl::StatusOr<Case> Escalation::OpenCase(const std::string& order_id, CaseKind kind,
                                          const std::string& note, const std::string& actor,
                                          const CallContext& call) {
  Violations v;
  CheckKey(call, v);
  if (order_id.empty() || order_id.size() > 64) v.Add("order_id", "required");
  if (static_cast<int>(kind) < 1 || static_cast<int>(kind) > 4) v.Add("kind", "required");
  v.Length("note", note, 0, 500);
  if (!v.empty()) return v.Status();
  Case result;
  const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto t, s.GetOrder(order_id));
    if (!t) {
      return Error(absl::StatusCode::kNotFound, "ORDER_NOT_FOUND",
                   "escalation has not seen this work order");
    }
    JIBAN_ASSIGN_OR_RETURN(auto open, s.OpenCaseOf(order_id));
    JIBAN_ASSIGN_OR_RETURN(bool first, s.ClaimKey(call.request_id, order_id));
    if (!first && open) {  // a retry: the case it opened
      result = *open;
      return absl::OkStatus();
    }
    if (open) return Precondition("CASE_ALREADY_OPEN", "the order already has an open case");
    JIBAN_ASSIGN_OR_RETURN(result, Open(s, *t, kind, "", actor, note, clock_.Now(), call));
    return absl::OkStatus();
  });
  JIBAN_RETURN_IF_ERROR(done);
  return result;
}

absl::StatusOr<Case> Escalation::Act(const std::string& case_id, ActionKind action,
                                     const std::string& note, const std::string& actor,
                                     const CallContext& call) {
  Violations v;
  CheckKey(call, v);
  if (case_id.empty() || case_id.size() > 64) v.Add("case_id", "required");
  if (static_cast<int>(action) < 2 || static_cast<int>(action) > 8) {
    v.Add("action", "required: an action other than OPENED");
  }
  v.Length("note", note, 0, 500);
  if (!v.empty()) return v.Status();
  if (action == ActionKind::kReassignOrdered) {
    // Routing carries the order out first (idempotently, keyed by this call), then the case
    // records it: a failure leaves nothing recorded, and a retry neither reassigns twice nor logs
    // twice.
    JIBAN_ASSIGN_OR_RETURN(auto c, reader_.FindCase(case_id));
    if (!c) return NoCase();
    JIBAN_RETURN_IF_ERROR(NextState(c->kind, c->state, action).status());
    if (reassigner_ == nullptr) {
      return Precondition("ROUTING_UNAVAILABLE", "no routing service to carry out a reassignment");
    }
    JIBAN_RETURN_IF_ERROR(reassigner_->Reassign(
        c->order_id, note.empty() ? absl::StrCat("supervision case ", c->id) : note,
        absl::StrCat("case-", call.request_id)));
  }
  Case result;
  const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto c, s.GetCase(case_id));
    if (!c) return NoCase();
    JIBAN_ASSIGN_OR_RETURN(bool first, s.ClaimKey(call.request_id, case_id));
    if (!first) {
      result = *c;
      return absl::OkStatus();
    }
    JIBAN_ASSIGN_OR_RETURN(c->state, NextState(c->kind, c->state, action));
    if (c->officer.empty()) c->officer = call.subject;  // an officer takes up a rule's case
    const absl::Time now = clock_.Now();
    c->updated = now;
    JIBAN_RETURN_IF_ERROR(s.PutCase(*c, /*insert=*/false));
    JIBAN_RETURN_IF_ERROR(Log(s, *c, action, actor, note, now, call));
    result = *c;
    return absl::OkStatus();
  });
  JIBAN_RETURN_IF_ERROR(done);
  return result;
}

absl::StatusOr<std::pair<Case, std::vector<CaseAction>>> Escalation::GetCase(
    const std::string& id) {
  if (id.empty() || id.size() > 64) return InvalidArgument("INVALID_REQUEST", {{"id", "required"}});
  JIBAN_ASSIGN_OR_RETURN(auto c, reader_.FindCase(id));
  if (!c) return NoCase();
  JIBAN_ASSIGN_OR_RETURN(auto actions, reader_.Actions(id, 0, 1000));
  return std::make_pair(*c, std::move(actions));
}

absl::StatusOr<std::vector<Case>> Escalation::ListCases(CaseQuery q, int page_size,
                                                        const std::string& token,
                                                        std::string* next_token) {
  Violations v;
  const PageRequest request = CheckPage(page_size, token, 20, 100, v);
  if (!v.empty()) return v.Status();
  q.before_id = request.after_id;
  q.limit = request.fetch();
  JIBAN_ASSIGN_OR_RETURN(auto cases, reader_.ListCases(q));
  *next_token = CutPage(cases, request, [](const Case& c) { return c.id; });
  return cases;
}

absl::StatusOr<Verification> VerifyCaseLog(Reader& reader, const std::optional<Anchor>& anchor) {
  Verification v;
  std::string previous;
  int64_t after = 0;
  while (true) {
    JIBAN_ASSIGN_OR_RETURN(auto page, reader.Actions("", after, 1000));
    for (const CaseAction& a : page) {
      ++v.entries;
      if (v.intact &&
          (a.sequence != after + 1 || a.previous_hash != previous || ChainHash(a) != a.hash)) {
        v.intact = false;
        v.first_broken = a.sequence;
      }
      if (anchor && a.sequence == anchor->sequence) v.anchor_matches = a.hash == anchor->hash;
      previous = a.hash;
      after = a.sequence;
    }
    if (page.size() < 1000) return v;
  }
}

absl::StatusOr<Anchor> ParseAnchor(absl::string_view text) {
  const size_t colon = text.find(':');
  Anchor a;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(text.substr(0, colon), &a.sequence) ||
      a.sequence < 1 || text.size() - colon - 1 != 64) {
    return InvalidArgument("INVALID_REQUEST", {{"anchor", "SEQUENCE:HASH (64 hex digits)"}});
  }
  a.hash = std::string(text.substr(colon + 1));
  return a;
}

}  // namespace jiban::escalation
