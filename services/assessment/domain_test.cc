// Assessment's pure domain: every sub-item's formula on a hand-computed example, scheme checks,
// periods, folding routing's snapshots, rankings with ties, explanations that add up, and the same
// scores whatever order the three event streams arrive in.
#include "services/assessment/domain.h"

#include <catch2/catch.hpp>
#include <random>

#include "absl/strings/str_cat.h"
#include "libs/calendar/calendar.h"
#include "libs/status/status.h"
#include "services/assessment/app.h"
#include "services/assessment/test_support.h"

namespace jiban::assessment {
namespace {

using fixtures::At;
using fixtures::Generate;
using fixtures::Order;
using fixtures::Shipped;
using fixtures::Streams;

int64_t Points(const UnitScore& u, const std::string& id) {
  for (const SubItemScore& s : u.sub_items) {
    if (s.id == id) return s.centipoints;
  }
  FAIL("no sub-item " << id);
  return -1;
}

const SubItemScore& Item(const UnitScore& u, const std::string& id) {
  for (const SubItemScore& s : u.sub_items) {
    if (s.id == id) return s;
  }
  throw std::runtime_error("no sub-item " + id);
}

// Ten orders done well, and five that each go wrong in one way (see the expected points).
UnitFacts Example() {
  UnitFacts f{.unit_id = "u1", .unit_name = "市城管局", .unit_class = UnitClass::kDepartment};
  for (int i = 0; i < 10; ++i) {
    OrderFacts o = Order(absl::StrCat("good", i));
    o.sign_time = At(11, 3, 15);
    o.reply_time = At(11, 10);
    o.close_time = At(11, 12);
    f.orders.push_back(o);
    f.evaluations.push_back(
        {.request_id = o.request_id, .dissatisfied = false, .resolved = true, .time = At(11, 12)});
  }
  OrderFacts late = Order("late");  // signed late, replied late, rated dissatisfied, unresolved
  late.sign_time = At(11, 5);
  late.reply_time = At(11, 25);
  f.orders.push_back(late);
  f.evaluations.push_back(
      {.request_id = late.request_id, .dissatisfied = true, .resolved = false, .time = At(11, 26)});
  OrderFacts returned = Order("returned");  // returned before its sign-for deadline
  returned.return_time = At(11, 3, 16);
  f.orders.push_back(returned);
  OrderFacts extended = Order("extended");  // extension asked, deadline passed, no reply
  extended.sign_time = At(11, 3, 12);
  extended.extension_time = At(11, 15);
  f.orders.push_back(extended);
  OrderFacts running = Order("running");  // due in December: not yet due for a reply
  running.sign_time = At(11, 3, 12);
  running.deadline = At(12, 5);
  f.orders.push_back(running);
  OrderFacts cancelled = Order("cancelled");  // withdrawn: left out of everything
  cancelled.cancelled = true;
  f.orders.push_back(cancelled);
  f.lights.push_back({.light_id = "L1",
                      .order_id = "late",
                      .unit_id = "u1",
                      .red = false,
                      .raised = At(11, 4, 12)});
  f.lights.push_back({.light_id = "L2",
                      .order_id = "extended",
                      .unit_id = "u1",
                      .red = true,
                      .raised = At(11, 21)});
  f.cases.push_back({.case_id = "C1",
                     .order_id = "late",
                     .unit_id = "u1",
                     .opened = At(11, 5),
                     .deadline = At(11, 10),
                     .rectified = At(11, 9)});
  f.cases.push_back({.case_id = "C2",
                     .order_id = "extended",
                     .unit_id = "u1",
                     .opened = At(11, 21),
                     .deadline = At(11, 25)});
  return f;
}

TEST_CASE("every sub-item of the shipped scheme on a hand-computed example", "[score]") {
  auto period = ParsePeriod("2026-11");
  REQUIRE(period.ok());
  const UnitScore u = Score(Shipped(), Example(), *period, period->end);
  CHECK(u.orders == 14);
  CHECK(u.red_lights == 1);
  // Sign-for: 14 due; on time 10 + returned in time + extended + running = 13 → 13/14 = 0.92857;
  // (0.92857 − 0.8) / 0.2 × 8 points = 5.14.
  CHECK(Item(u, "sign_for_on_time").numerator == 13);
  CHECK(Item(u, "sign_for_on_time").denominator == 14);
  CHECK(Points(u, "sign_for_on_time") == 514);
  // Handled on time: due 12 (returned aside, running not due), on time 10 → 0.8333 → 1.67.
  CHECK(Item(u, "handled_on_time").denominator == 12);
  CHECK(Points(u, "handled_on_time") == 167);
  // Return rate 1/14 = 0.0714: (0.0714 − 0.25) / (0.05 − 0.25) × 6 = 5.36.
  CHECK(Points(u, "return_rate") == 536);
  // Extension rate 1/14, 4 points: 3.57.
  CHECK(Points(u, "extension_rate") == 357);
  // Lights: one yellow + one red (×4) = 5 events × 0.5 = 2.5 off 12 → 9.5.
  CHECK(Item(u, "lights").value == 5);
  CHECK(Points(u, "lights") == 950);
  // Response: 11 of 12 due answered at all → 0.9167 → (0.9167 − 0.8) / 0.2 × 10 = 5.83.
  CHECK(Points(u, "response_rate") == 583);
  // Resolution: 10 of 11 evaluated → 0.9091 → (0.9091 − 0.6) / 0.35 × 15 = 13.25.
  CHECK(Points(u, "resolution_rate") == 1325);
  // Satisfaction: 10 of 11 → (0.9091 − 0.7) / 0.28 × 20 = 14.94.
  CHECK(Points(u, "satisfaction_rate") == 1494);
  // Problems cleared: 11 of 13 (returned aside) → 0.8462 → 0.2308 × 6 = 1.38.
  CHECK(Points(u, "problems_cleared") == 138);
  // Cases: 1 of 2 rectified in time → 0.5 = floor → 0.
  CHECK(Item(u, "cases_rectified").denominator == 2);
  CHECK(Points(u, "cases_rectified") == 0);
  // Proactive work: none yet → bonus 0.
  CHECK(Points(u, "proactive_work") == 0);
  CHECK(u.total_centipoints == 6064);
}

TEST_CASE("an explanation adds up: contents sum to the total, against lists match the rates",
          "[score]") {
  auto period = ParsePeriod("2026-11");
  REQUIRE(period.ok());
  const UnitScore u = Score(Shipped(), Example(), *period, period->end);
  int64_t contents = 0;
  for (const ContentScore& c : u.contents) contents += c.centipoints;
  CHECK(contents == u.total_centipoints);
  int64_t items = 0;
  for (const SubItemScore& s : u.sub_items) items += s.centipoints;
  CHECK(items == u.total_centipoints);
  CHECK(Item(u, "handled_on_time").against == std::vector<std::string>{"late", "extended"});
  CHECK(Item(u, "return_rate").against == std::vector<std::string>{"returned"});
  CHECK(Item(u, "satisfaction_rate").against == std::vector<std::string>{"late"});
  CHECK(Item(u, "lights").against == std::vector<std::string>{"L1", "L2"});
  CHECK(Item(u, "cases_rectified").against == std::vector<std::string>{"C2"});
  for (const char* rate : {"sign_for_on_time", "handled_on_time", "response_rate",
                           "resolution_rate", "satisfaction_rate", "problems_cleared"}) {
    const SubItemScore& s = Item(u, rate);
    CHECK(static_cast<double>(s.against.size()) == s.denominator - s.numerator);
  }
}

TEST_CASE("scoring in pages gives the whole unit's score and keeps only the lists asked for",
          "[score]") {
  auto period = ParsePeriod("2026-11");
  REQUIRE(period.ok());
  const UnitFacts whole = Example();
  const UnitScore expected = Score(Shipped(), whole, *period, period->end);
  // One fact per page, kinds in any order; the unit-wide facts come first, alone.
  Scorer scorer(Shipped(), *period, period->end, Against::Of("handled_on_time"));
  UnitFacts unit = whole;
  unit.orders.clear();
  unit.evaluations.clear();
  unit.lights.clear();
  unit.cases.clear();
  scorer.Start(unit);
  CHECK(scorer.empty());
  for (const CaseFact& c : whole.cases) scorer.Add({.cases = {c}});
  for (const OrderFacts& o : whole.orders) {
    UnitFacts page{.orders = {o}};
    for (const Evaluation& e : whole.evaluations) {
      if (e.request_id == o.request_id) page.evaluations.push_back(e);
    }
    scorer.Add(page);
  }
  for (const LightFact& l : whole.lights) scorer.Add({.lights = {l}});
  CHECK_FALSE(scorer.empty());
  const UnitScore paged = scorer.Finish();
  CHECK(paged.total_centipoints == expected.total_centipoints);
  CHECK(paged.orders == expected.orders);
  CHECK(paged.red_lights == expected.red_lights);
  REQUIRE(paged.sub_items.size() == expected.sub_items.size());
  for (size_t i = 0; i < paged.sub_items.size(); ++i) {
    const SubItemScore& a = paged.sub_items[i];
    const SubItemScore& b = expected.sub_items[i];
    INFO(a.id);
    CHECK(a.centipoints == b.centipoints);
    CHECK(a.numerator == b.numerator);
    CHECK(a.denominator == b.denominator);
    CHECK(a.against_count == b.against_count);
    CHECK(a.against_count == static_cast<int64_t>(b.against.size()));
    CHECK(a.against == (a.id == "handled_on_time" ? b.against : std::vector<std::string>{}));
  }
  // Starting again forgets what was added.
  scorer.Start(unit);
  CHECK(scorer.empty());
  CHECK(scorer.Finish().orders == 0);
}

TEST_CASE("only what happened by the as-of instant counts", "[score]") {
  auto period = ParsePeriod("2026-11");
  REQUIRE(period.ok());
  // On 15 November: the late reply (25th), the red light (21st) and case C2 have not happened.
  const UnitScore u = Score(Shipped(), Example(), *period, At(11, 15));
  CHECK(u.red_lights == 0);
  CHECK(Item(u, "lights").value == 1);
  CHECK(Item(u, "handled_on_time").denominator == 10);  // nothing else due or replied yet
  CHECK(Item(u, "satisfaction_rate").denominator == 10);
  CHECK(Item(u, "cases_rectified").denominator == 1);
  CHECK(Item(u, "extension_rate").numerator == 1);  // asked on the 15th, 10:00
}

TEST_CASE("exclusions leave orders out of the rates and appeals set ratings aside", "[score]") {
  auto period = ParsePeriod("2026-11");
  REQUIRE(period.ok());
  UnitFacts f = Example();
  f.excluded_orders = {"returned"};
  f.set_aside_requests = {"r-late"};
  const UnitScore u = Score(Shipped(), f, *period, period->end);
  CHECK(u.orders == 13);
  CHECK(Item(u, "return_rate").numerator == 0);
  CHECK(Points(u, "return_rate") == 600);
  CHECK(Item(u, "satisfaction_rate").denominator == 10);
  CHECK(Points(u, "satisfaction_rate") == 2000);
  CHECK(Item(u, "lights").value == 5);  // lights are not rates: an exclusion keeps them
}

TEST_CASE("deduction and bonus rules stop at zero and at full points", "[score]") {
  Scheme s = Shipped();
  auto period = ParsePeriod("2026-11");
  REQUIRE(period.ok());
  UnitFacts f = Example();
  for (int i = 0; i < 30; ++i) {
    f.lights.push_back(
        {.light_id = absl::StrCat("X", i), .unit_id = "u1", .red = true, .raised = At(11, 6)});
  }
  f.proactive = 9;
  const UnitScore u = Score(s, f, *period, period->end);
  CHECK(Points(u, "lights") == 0);
  CHECK(Points(u, "proactive_work") == 400);
}

TEST_CASE("a unit with nothing due gets full points on rates, marked as no data", "[score]") {
  auto period = ParsePeriod("2026-11");
  REQUIRE(period.ok());
  UnitFacts f{.unit_id = "u2", .unit_name = "某区", .unit_class = UnitClass::kDistrict};
  const UnitScore u = Score(Shipped(), f, *period, period->end);
  CHECK(Item(u, "handled_on_time").no_data);
  CHECK(Points(u, "handled_on_time") == 1000);
  CHECK(u.total_centipoints == 9600);  // everything but the proactive bonus
}

TEST_CASE("the shipped scheme is valid and bad schemes name each bad field", "[scheme]") {
  REQUIRE(Validate(Shipped()).ok());
  CHECK(Shipped().sub_items.size() == 11);
  Scheme s = Shipped();
  s.sub_items[0].points = 0;
  s.sub_items[1].id = s.sub_items[2].id;
  s.sub_items[3].floor = s.sub_items[3].target;
  s.sub_items[4].per_event = 0;
  s.contents[2].content = Content::kDaily;
  s.commendation_threshold = 120;
  auto st = Validate(s);
  REQUIRE(st.code() == absl::StatusCode::kInvalidArgument);
  std::set<std::string> fields;
  for (const auto& v : FieldViolationsOf(st)) fields.insert(v.field);
  for (const char* f :
       {"scheme.sub_items[0].points", "scheme.sub_items[2].id", "scheme.sub_items[3].floor",
        "scheme.sub_items[4].per_event", "scheme.contents[2].content",
        "scheme.commendation_threshold", "scheme.contents[0].points"}) {
    CHECK(fields.contains(f));
  }
}

TEST_CASE("periods: months, quarters and years in the city's zone", "[period]") {
  auto m = ParsePeriod("2026-02");
  REQUIRE(m.ok());
  CHECK(m->start == absl::FromCivil(absl::CivilDay(2026, 2, 1), calendar::CityZone()));
  CHECK(m->end == absl::FromCivil(absl::CivilDay(2026, 3, 1), calendar::CityZone()));
  auto q = ParsePeriod("2026-Q4");
  REQUIRE(q.ok());
  CHECK(q->start == absl::FromCivil(absl::CivilDay(2026, 10, 1), calendar::CityZone()));
  CHECK(q->end == absl::FromCivil(absl::CivilDay(2027, 1, 1), calendar::CityZone()));
  auto y = ParsePeriod("2026");
  REQUIRE(y.ok());
  CHECK(y->end - y->start == absl::Hours(24 * 365));
  for (const char* bad : {"", "2026-13", "2026-Q5", "26-01", "2026-1", "2026-01-01", "abcd"}) {
    auto p = ParsePeriod(bad);
    CHECK(p.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(FieldViolationsOf(p.status()).at(0).field == "period");
  }
}

TEST_CASE("folding routing's snapshots keeps sticky facts and clears a re-handled reply",
          "[fold]") {
  // Each change is a new version of routing's order.
  auto next = [](OrderSnapshot s, const char* change, absl::Time t) {
    s.change = change;
    s.order.version++;
    s.time = t;
    return s;
  };
  OrderSnapshot s{.change = "dispatched", .order = Order("o"), .time = At(11, 3)};
  s.order.version = 1;
  OrderFacts f = Fold(std::nullopt, s);
  s = next(s, "extension_requested", At(11, 6));
  s.extension_requested = true;
  f = Fold(f, s);
  s = next(s, "replied", At(11, 8));
  s.order.reply_time = At(11, 8);
  f = Fold(f, s);
  CHECK(f.extension_time == At(11, 6));
  s = next(s, "rehandled",
           At(11, 9));  // the extension is gone from routing's order; the fact stays
  s.extension_requested = false;
  s.order.reply_time.reset();
  s.order.rehandle_count = 1;
  const OrderSnapshot rehandled = s;
  f = Fold(f, s);
  CHECK(f.extension_time == At(11, 6));
  CHECK(!f.reply_time);
  CHECK(f.rehandle_count == 1);
  s = next(s, "returned", At(11, 10));
  s.returned = true;
  f = Fold(f, s);
  s = next(s, "paused", At(11, 11));
  s.returned = false;
  f = Fold(f, s);
  CHECK(f.return_time == At(11, 10));
  // An older snapshot arriving late changes nothing.
  const OrderFacts late = Fold(f, rehandled);
  CHECK(late.version == f.version);
  CHECK(late.return_time == f.return_time);
}

TEST_CASE("objection decisions: pending → approved/refused, approved → reversed", "[objection]") {
  CHECK(*Decide(ObjectionState::kPending, Decision::kApprove) == ObjectionState::kApproved);
  CHECK(*Decide(ObjectionState::kPending, Decision::kRefuse) == ObjectionState::kRefused);
  CHECK(*Decide(ObjectionState::kApproved, Decision::kReverse) == ObjectionState::kReversed);
  CHECK(ReasonOf(Decide(ObjectionState::kApproved, Decision::kApprove).status()) ==
        "OBJECTION_NOT_PENDING");
  CHECK(ReasonOf(Decide(ObjectionState::kPending, Decision::kReverse).status()) ==
        "OBJECTION_NOT_APPROVED");
  CHECK(ReasonOf(Decide(ObjectionState::kRefused, Decision::kReverse).status()) ==
        "OBJECTION_NOT_APPROVED");
}

UnitScore WithTotal(const std::string& id, int64_t centi, int red = 0) {
  return {.unit_id = id, .total_centipoints = centi, .red_lights = red};
}

TEST_CASE("rankings share ranks on ties and list the best, the worst and the candidates",
          "[rank]") {
  Rankings r = Rank({WithTotal("d", 7000), WithTotal("b", 8500), WithTotal("a", 9500, 1),
                     WithTotal("c", 8500), WithTotal("e", 9100)},
                    3, 85);
  std::vector<std::pair<int, std::string>> got;
  for (const Ranked& x : r.all) got.emplace_back(x.rank, x.score.unit_id);
  CHECK(got ==
        std::vector<std::pair<int, std::string>>{{1, "a"}, {2, "e"}, {3, "b"}, {3, "c"}, {5, "d"}});
  REQUIRE(r.red_list.size() == 3);
  CHECK(r.red_list[2].score.unit_id == "b");
  REQUIRE(r.black_list.size() == 3);
  CHECK(r.black_list[0].score.unit_id == "d");
  CHECK(r.black_list[1].score.unit_id == "c");
  // "a" has a red light; "b" (85.00) is at the threshold.
  std::vector<std::string> candidates;
  for (const Ranked& x : r.candidates) candidates.push_back(x.score.unit_id);
  CHECK(candidates == std::vector<std::string>{"e", "b"});
  CHECK(Rank({}, 3, 90).all.empty());
}

// --- Replay: the same facts whatever order the three streams interleave in --------------------

std::vector<UnitScore> ScoreAll(const MemoryFacts& m, const Scheme& scheme) {
  auto period = ParsePeriod("2026-11");
  std::vector<UnitScore> out;
  for (const UnitFacts& f : m.Facts(period->start, period->end, "")) {
    out.push_back(Score(scheme, f, *period, period->end));
  }
  return out;
}

void ExpectSame(const std::vector<UnitScore>& a, const std::vector<UnitScore>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].unit_id == b[i].unit_id);
    CHECK(a[i].total_centipoints == b[i].total_centipoints);
    for (size_t j = 0; j < a[i].sub_items.size(); ++j) {
      CHECK(a[i].sub_items[j].centipoints == b[i].sub_items[j].centipoints);
      CHECK(a[i].sub_items[j].against == b[i].sub_items[j].against);
    }
  }
}

TEST_CASE("replaying each stream whole gives the scores of any interleaving", "[replay]") {
  const Scheme scheme = Shipped();
  for (uint32_t seed : {1u, 2u, 3u}) {
    const Streams s = Generate(400, seed);
    MemoryFacts replay;
    for (const auto* stream : {&s.routing, &s.intake, &s.escalation}) {
      for (const Incoming& in : *stream) REQUIRE(Apply(replay, in).ok());
    }
    MemoryFacts live;
    std::mt19937 rng(seed * 7);
    size_t r = 0, i = 0, e = 0;
    while (r < s.routing.size() || i < s.intake.size() || e < s.escalation.size()) {
      const uint32_t pick = rng() % 3;
      if (pick == 0 && r < s.routing.size()) REQUIRE(Apply(live, s.routing[r++]).ok());
      if (pick == 1 && i < s.intake.size()) REQUIRE(Apply(live, s.intake[i++]).ok());
      if (pick == 2 && e < s.escalation.size()) REQUIRE(Apply(live, s.escalation[e++]).ok());
    }
    const auto a = ScoreAll(replay, scheme);
    const auto b = ScoreAll(live, scheme);
    CHECK(a.size() == 6);
    ExpectSame(a, b);
    // Routing's own events in any order, and folded in two halves merged afterwards (as a
    // parallel replay does): the fold commutes.
    std::vector<Incoming> shuffled = s.routing;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    MemoryFacts first, second;
    for (size_t k = 0; k < shuffled.size(); ++k) {
      REQUIRE(Apply(k % 2 == 0 ? first : second, shuffled[k]).ok());
    }
    for (const auto* stream : {&s.intake, &s.escalation}) {
      for (const Incoming& in : *stream) REQUIRE(Apply(second, in).ok());
    }
    first.MergeFrom(std::move(second));
    ExpectSame(a, ScoreAll(first, scheme));
    // The totals differ between units: the comparison is not between empty scores.
    std::set<int64_t> totals;
    for (const UnitScore& u : a) totals.insert(u.total_centipoints);
    CHECK(totals.size() > 1);
  }
}

}  // namespace
}  // namespace jiban::assessment
