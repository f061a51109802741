// Escalation's rules with an in-memory store and a simulated clock: weeks of work in
// milliseconds, each light checked against the exact working-day instant it belongs to (across
// the National Day holidays and a make-up working day), and no light raised twice.
#include "services/escalation/domain.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "catch2/catch.hpp"
#include "libs/calendar/calendar.h"
#include "libs/status/status.h"
#include "libs/testing/data.h"

namespace jiban::escalation {
namespace {

struct State {
  std::map<std::string, Case> cases;
  std::vector<CaseAction> log;
  std::set<std::string> keys;
  std::map<std::string, Tracked> orders;
  std::map<std::pair<std::string, int>, absl::Time> timers;
  std::vector<Light> lights;
  int raised_events = 0, cleared_events = 0;
};

class FakeStore final : public Store {
 public:
  explicit FakeStore(State& s) : s_(s) {}
  absl::StatusOr<std::optional<Tracked>> GetOrder(const std::string& id) override {
    auto it = s_.orders.find(id);
    if (it == s_.orders.end()) return std::nullopt;
    return it->second;
  }
  absl::Status PutOrder(const Tracked& t) override {
    s_.orders[t.order_id] = t;
    return absl::OkStatus();
  }
  absl::Status SetTimer(const Timer& t) override {
    s_.timers[{t.order_id, static_cast<int>(t.kind)}] = t.due;
    return absl::OkStatus();
  }
  absl::Status DeleteTimers(const std::string& id, const std::vector<TimerKind>& kinds) override {
    for (TimerKind k : kinds) s_.timers.erase({id, static_cast<int>(k)});
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Timer>> DueTimers(absl::Time now, int limit) override {
    std::vector<Timer> due;
    for (const auto& [key, at] : s_.timers) {
      if (at <= now) due.push_back({key.first, static_cast<TimerKind>(key.second), at});
    }
    std::sort(due.begin(), due.end(), [](const Timer& a, const Timer& b) { return a.due < b.due; });
    if (static_cast<int>(due.size()) > limit) due.resize(static_cast<size_t>(limit));
    return due;
  }
  absl::StatusOr<bool> InsertLight(const Light& l) override {
    for (const Light& x : s_.lights) {
      if (x.order_id == l.order_id && x.cause == l.cause && x.due == l.due) return false;
    }
    s_.lights.push_back(l);
    return true;
  }
  absl::StatusOr<std::vector<Light>> ActiveLights(const std::string& id) override {
    std::vector<Light> out;
    for (const Light& l : s_.lights) {
      if (l.order_id == id && l.active) out.push_back(l);
    }
    return out;
  }
  absl::Status ClearLight(const Light& l) override {
    for (Light& x : s_.lights) {
      if (x.id == l.id) x = l;
    }
    return absl::OkStatus();
  }
  absl::Status Raised(const Light&, const CallContext&) override {
    ++s_.raised_events;
    return absl::OkStatus();
  }
  absl::Status Cleared(const Light&, const CallContext&) override {
    ++s_.cleared_events;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<Case>> GetCase(const std::string& id) override {
    auto it = s_.cases.find(id);
    if (it == s_.cases.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::optional<Case>> OpenCaseOf(const std::string& order_id) override {
    for (const auto& [_, c] : s_.cases) {
      if (c.order_id == order_id && c.state != CaseState::kClosed) return c;
    }
    return std::nullopt;
  }
  absl::Status PutCase(const Case& c, bool) override {
    s_.cases[c.id] = c;
    return absl::OkStatus();
  }
  absl::StatusOr<std::pair<int64_t, std::string>> ChainHead() override {
    if (s_.log.empty()) return std::make_pair(int64_t{0}, std::string());
    return std::make_pair(s_.log.back().sequence, s_.log.back().hash);
  }
  absl::Status AppendAction(const CaseAction& a) override {
    s_.log.push_back(a);
    return absl::OkStatus();
  }
  absl::StatusOr<bool> ClaimKey(const std::string& key, const std::string&) override {
    return s_.keys.insert(key).second;
  }
  absl::Status CaseChanged(const Case&, const CaseAction&, const CallContext&) override {
    return absl::OkStatus();
  }

 private:
  State& s_;
};

class FakeDb final : public Transactor, public Reader {
 public:
  State state;
  absl::Status Run(const std::function<absl::Status(Store&)>& fn) override {
    State copy = state;
    FakeStore store(copy);
    absl::Status s = fn(store);
    if (s.ok()) state = std::move(copy);
    return s;
  }
  absl::StatusOr<std::vector<Light>> ListLights(const LightQuery&) override { return state.lights; }
  absl::StatusOr<std::vector<Light>> OrderLights(const std::string&) override {
    return state.lights;
  }
  absl::StatusOr<std::vector<LightCount>> CountActive(const std::string&,
                                                      const std::string&) override {
    return std::vector<LightCount>{};
  }
  absl::StatusOr<std::optional<Case>> FindCase(const std::string& id) override {
    auto it = state.cases.find(id);
    if (it == state.cases.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::vector<Case>> ListCases(const CaseQuery& q) override {
    std::vector<Case> out;
    for (const auto& [_, c] : state.cases) {
      if (q.officer.empty() || c.officer == q.officer) out.push_back(c);
    }
    return out;
  }
  absl::StatusOr<std::vector<std::pair<CaseKind, int64_t>>> CountOpenCases() override {
    return std::vector<std::pair<CaseKind, int64_t>>{};
  }
  absl::StatusOr<std::vector<CaseAction>> Actions(const std::string& case_id, int64_t after,
                                                  int) override {
    std::vector<CaseAction> out;
    for (const CaseAction& a : state.log) {
      if (a.sequence > after && (case_id.empty() || a.case_id == case_id)) out.push_back(a);
    }
    return out;
  }
};

const absl::TimeZone kCity = calendar::CityZone();

absl::Time City(int m, int d, int h, int min = 0) {
  return absl::FromCivil(absl::CivilSecond(2026, m, d, h, min, 0), kCity);
}

std::shared_ptr<const calendar::WorkCalendar> Calendar() {
  auto cal = calendar::WorkCalendar::FromYearFiles(
      {testing::ReadTestFile("services/routing/defaults/calendar-2026.json")});
  REQUIRE(cal.ok());
  return std::make_shared<const calendar::WorkCalendar>(*cal);
}

// Routing's side of a reassignment order, recorded; fails while `down`.
class FakeReassigner final : public OrderReassigner {
 public:
  absl::Status Reassign(const std::string& order_id, const std::string&,
                        const std::string& key) override {
    if (down) return absl::UnavailableError("routing is down");
    calls.push_back(order_id + "/" + key);
    return absl::OkStatus();
  }
  bool down = false;
  std::vector<std::string> calls;
};

struct Fixture {
  Fixture() : clock(City(9, 29, 15)), ids(clock, 3), escalation(db, db, clock, ids, {}, &routing) {}

  // What routing would send for an order dispatched now with `days` working days.
  OrderUpdate Dispatched(const std::string& id, int days) {
    const absl::Time now = clock.Now();
    return {.change = "dispatched",
            .order = {.order_id = id,
                      .request_id = "r-" + id,
                      .tracking_number = "JB1",
                      .unit_id = "dept.housing",
                      .unit_name = "市住房和城乡建设局",
                      .answerable = {"张建国", "分管副局长"},
                      .lead = true,
                      .dispatch_time = now,
                      .clock_start = now,
                      .sign_for_deadline = now + absl::Hours(24),
                      .deadline = cal->AddWorkingDays(now, days)}};
  }

  void Apply(const OrderUpdate& u) {
    REQUIRE(db.Run([&](Store& s) { return escalation.OnUpdate(s, u, {"evt", ""}); }).ok());
  }

  // Advances the simulated clock in steps, ticking after each; returns the lights raised.
  int RunUntil(absl::Time end, absl::Duration step) {
    int raised = 0;
    while (clock.Now() < end) {
      clock.Advance(step);
      auto n = escalation.Tick(clock.Now());
      REQUIRE(n.ok());
      raised += *n;
    }
    return raised;
  }

  std::vector<Light> Lights(Cause cause) {
    std::vector<Light> out;
    for (const Light& l : db.state.lights) {
      if (l.cause == cause) out.push_back(l);
    }
    return out;
  }

  std::shared_ptr<const calendar::WorkCalendar> cal = Calendar();
  FakeReassigner routing;
  FakeDb db;
  FakeClock clock;
  IdGenerator ids;
  Escalation escalation;
};

TEST_CASE("across the National Day holidays every light fires at its exact instant, once",
          "[escalation]") {
  Fixture f;
  // Dispatched Tuesday 29 September 15:00 with 5 working days: Wed 30 Sep (1), the holidays of
  // 1-7 Oct, Thu 8 (2), Fri 9 (3), the make-up Saturday 10 Oct (4), Mon 12 (5): the deadline is
  // the end of Monday 12 October.
  const OrderUpdate u = f.Dispatched("o1", 5);
  const absl::Time deadline = u.order.deadline;
  CHECK(deadline == absl::FromCivil(absl::CivilDay(2026, 10, 13), kCity));
  f.Apply(u);
  // Three simulated weeks in 10-minute steps.
  f.RunUntil(City(10, 20, 0), absl::Minutes(10));

  auto sign_near = f.Lights(Cause::kSignForNear);
  auto sign_red = f.Lights(Cause::kSignForOverdue);
  auto near = f.Lights(Cause::kHandlingNear);
  auto red = f.Lights(Cause::kHandlingOverdue);
  REQUIRE(sign_near.size() == 1);
  REQUIRE(sign_red.size() == 1);
  REQUIRE(near.size() == 1);
  REQUIRE(red.size() == 1);
  CHECK(sign_near[0].due == City(9, 29, 15) + absl::Hours(24) * 0.8);
  CHECK(sign_red[0].due == City(9, 30, 15));
  CHECK(red[0].due == deadline);
  CHECK(near[0].due == City(9, 29, 15) + (deadline - City(9, 29, 15)) * 0.8);
  // Raised within one scan step of the instant, never before it.
  for (const Light& l : {sign_near[0], sign_red[0], near[0], red[0]}) {
    CHECK(l.raised >= l.due);
    CHECK(l.raised - l.due < absl::Minutes(10));
    CHECK(l.unit_id == "dept.housing");
    CHECK(l.answerable.name == "张建国");
    CHECK(l.active);
  }
  CHECK(ColourOf(Cause::kHandlingOverdue) == Colour::kRed);
  CHECK(f.db.state.timers.empty());
  CHECK(f.db.state.raised_events == 4);
  // Ticking again (a restarted scanner) raises nothing more.
  CHECK(f.escalation.Tick(f.clock.Now()).value() == 0);
}

TEST_CASE("signing for clears the sign-for lights and stops their timers", "[escalation]") {
  Fixture f;
  OrderUpdate u = f.Dispatched("o1", 5);
  f.Apply(u);
  f.RunUntil(City(9, 30, 11), absl::Minutes(10));  // past 80% of the 24 h sign-for window
  REQUIRE(f.Lights(Cause::kSignForNear).size() == 1);
  u.change = "signed_for";
  u.order.signed_for = true;
  f.Apply(u);
  CHECK_FALSE(f.Lights(Cause::kSignForNear)[0].active);
  CHECK(f.Lights(Cause::kSignForNear)[0].clear_reason == "signed_for");
  f.RunUntil(City(10, 2, 0), absl::Minutes(30));
  CHECK(f.Lights(Cause::kSignForOverdue).empty());
}

TEST_CASE("a pause stops the handling timers and an extension re-arms them", "[escalation]") {
  Fixture f;
  OrderUpdate u = f.Dispatched("o1", 5);
  f.Apply(u);
  u.change = "signed_for";
  u.order.signed_for = true;
  f.Apply(u);
  u.change = "extension_requested";
  u.order.paused = true;
  f.Apply(u);
  f.RunUntil(City(10, 14, 0), absl::Hours(1));  // well past the original deadline
  CHECK(f.Lights(Cause::kHandlingOverdue).empty());
  // Approved: the deadline moves three working days on, and the clock runs again.
  u.change = "extension_approved";
  u.order.paused = false;
  u.order.deadline = f.cal->AddWorkingDays(f.clock.Now(), 3);
  f.Apply(u);
  f.RunUntil(City(10, 25, 0), absl::Hours(1));
  auto red = f.Lights(Cause::kHandlingOverdue);
  REQUIRE(red.size() == 1);
  CHECK(red[0].due == u.order.deadline);
  // The reply clears what is still lit.
  u.change = "replied";
  u.order.replied = true;
  u.order.open = false;
  f.Apply(u);
  CHECK_FALSE(f.Lights(Cause::kHandlingOverdue)[0].active);
}

TEST_CASE("returns, bouncing, could-not-get-done and a second dissatisfaction light up",
          "[escalation]") {
  Fixture f;
  OrderUpdate u = f.Dispatched("o1", 5);
  u.could_not_get_done = true;
  f.Apply(u);
  REQUIRE(f.Lights(Cause::kCouldNotGetDone).size() == 1);
  CHECK(ColourOf(Cause::kCouldNotGetDone) == Colour::kRed);
  u.change = "returned";
  u.request_return_count = 1;
  u.order.open = false;
  f.Apply(u);
  REQUIRE(f.Lights(Cause::kFirstReturn).size() == 1);
  CHECK(ColourOf(Cause::kFirstReturn) == Colour::kYellow);
  CHECK(f.Lights(Cause::kBouncing).empty());
  CHECK(f.db.state.timers.empty());
  OrderUpdate again = f.Dispatched("o2", 5);
  f.Apply(again);
  again.change = "returned";
  again.request_return_count = 3;  // more than the policy's 2
  f.Apply(again);
  REQUIRE(f.Lights(Cause::kBouncing).size() == 1);
  OrderUpdate third = f.Dispatched("o3", 5);
  f.Apply(third);
  third.change = "rehandled";
  third.rehandle_count = 1;
  f.Apply(third);
  CHECK(f.Lights(Cause::kDissatisfiedAgain).empty());
  third.rehandle_count = 2;
  f.Apply(third);
  CHECK(f.Lights(Cause::kDissatisfiedAgain).size() == 1);
}

TEST_CASE("a scan reads only what is due, in batches", "[escalation]") {
  Fixture f;
  for (int i = 0; i < 1200; ++i) f.Apply(f.Dispatched("o" + std::to_string(i), 5));
  CHECK(f.db.state.timers.size() == 4800);
  f.clock.Advance(absl::Hours(20));  // past 80% of every sign-for window, nothing else
  auto raised = f.escalation.Tick(f.clock.Now(), 500);
  REQUIRE(raised.ok());
  CHECK(*raised == 1200);
  CHECK(f.db.state.timers.size() == 3600);
}

TEST_CASE("red lights open the matching kind of case, once per order", "[escalation][cases]") {
  Fixture f;
  OrderUpdate u = f.Dispatched("o1", 5);
  u.could_not_get_done = true;
  f.Apply(u);
  REQUIRE(f.db.state.cases.size() == 1);
  const Case c = f.db.state.cases.begin()->second;
  CHECK(c.kind == CaseKind::kDoNow);
  CHECK(c.opened_by == "rule");
  CHECK(c.light_id == f.Lights(Cause::kCouldNotGetDone)[0].id);
  CHECK(c.deadline == f.clock.Now() + absl::Hours(24));
  CHECK(c.answerable.name == "张建国");
  // The overdue red light of the same order does not open a second case while one is open.
  f.RunUntil(City(10, 20, 0), absl::Hours(1));
  REQUIRE(f.Lights(Cause::kHandlingOverdue).size() == 1);
  CHECK(f.db.state.cases.size() == 1);
  OrderUpdate other = f.Dispatched("o2", 1);
  f.Apply(other);
  f.RunUntil(City(10, 30, 0), absl::Hours(1));
  REQUIRE(f.db.state.cases.size() == 2);
  bool supervise = false;
  for (const auto& [_, x] : f.db.state.cases)
    supervise = supervise || x.kind == CaseKind::kSupervise;
  CHECK(supervise);
}

TEST_CASE("a case moves open, acting, rectified, closed, reopened, every step chained",
          "[escalation][cases]") {
  Fixture f;
  f.Apply(f.Dispatched("o1", 5));
  auto opened = f.escalation.OpenCase("o1", CaseKind::kOrder, "推诿两次", "commission_officer",
                                      {"open-1", ""});
  REQUIRE(opened.ok());
  CHECK(opened->state == CaseState::kOpen);
  auto again = f.escalation.OpenCase("o1", CaseKind::kOrder, "推诿两次", "commission_officer",
                                     {"open-1", ""});
  REQUIRE(again.ok());
  CHECK(again->id == opened->id);  // a retry
  CHECK(ReasonOf(f.escalation.OpenCase("o1", CaseKind::kPush, "", "x", {"open-2", ""}).status()) ==
        "CASE_ALREADY_OPEN");
  const std::string id = opened->id;
  auto act = [&](ActionKind a, const std::string& key) {
    return f.escalation.Act(id, a, "", "commission_officer", {key, ""});
  };
  CHECK(ReasonOf(act(ActionKind::kVerifiedClosed, "a0").status()) == "CASE_ACTION_NOT_ALLOWED");
  REQUIRE(act(ActionKind::kReminder, "a1")->state == CaseState::kActing);
  // Reassignment goes through routing first: while routing is down nothing is recorded.
  f.routing.down = true;
  CHECK(act(ActionKind::kReassignOrdered, "a2").status().code() == absl::StatusCode::kUnavailable);
  CHECK(f.db.state.log.size() == 2);
  f.routing.down = false;
  REQUIRE(act(ActionKind::kReassignOrdered, "a2")->state == CaseState::kActing);
  CHECK(f.routing.calls == std::vector<std::string>{"o1/case-a2"});
  REQUIRE(act(ActionKind::kRectified, "a3")->state == CaseState::kRectified);
  REQUIRE(act(ActionKind::kVerifiedClosed, "a4")->state == CaseState::kClosed);
  CHECK(ReasonOf(act(ActionKind::kInterview, "a5").status()) == "CASE_ACTION_NOT_ALLOWED");
  REQUIRE(act(ActionKind::kReopened, "a6")->state == CaseState::kActing);
  CHECK(act(ActionKind::kReopened, "a6")->state == CaseState::kActing);  // retry: no new entry
  // Reassignment is for buck-passing cases only; a do-now case cannot be interviewed.
  CHECK_FALSE(Allowed(CaseKind::kSupervise, ActionKind::kReassignOrdered));
  CHECK_FALSE(Allowed(CaseKind::kDoNow, ActionKind::kInterview));
  auto got = f.escalation.GetCase(id);
  REQUIRE(got.ok());
  REQUIRE(got->second.size() == 6);  // opened + 5 accepted actions
  CHECK(got->second[0].kind == ActionKind::kOpened);
  auto verified = f.escalation.VerifyLog();
  REQUIRE(verified.ok());
  CHECK(verified->intact);
  CHECK(verified->entries == 6);
  // Editing one entry breaks the chain exactly there.
  f.db.state.log[3].note = "改过";
  verified = f.escalation.VerifyLog();
  REQUIRE(verified.ok());
  CHECK_FALSE(verified->intact);
  CHECK(verified->first_broken == 4);
  auto bad = f.escalation.Act("", ActionKind::kOpened, std::string(600, 'x'), "x", {"", ""});
  CHECK(FieldViolationsOf(bad.status()).size() == 4);
}

}  // namespace
}  // namespace jiban::escalation
