// Test fixtures shared by assessment's unit and SQL tests: times in November 2026 (city zone),
// orders, and generated event streams of a month's work.
#ifndef JIBAN_SERVICES_ASSESSMENT_TEST_SUPPORT_H_
#define JIBAN_SERVICES_ASSESSMENT_TEST_SUPPORT_H_

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/calendar/calendar.h"
#include "services/assessment/app.h"
#include "services/assessment/domain.h"

namespace jiban::assessment::fixtures {

inline absl::Time At(int month, int day, int hour = 10) {
  return absl::FromCivil(absl::CivilHour(2026, month, day, hour), calendar::CityZone());
}

inline Scheme Shipped() {
  auto s = DefaultScheme();
  if (!s.ok()) throw std::runtime_error(std::string(s.status().message()));
  s->version = 1;
  return *s;
}

// An order of unit "u1" dispatched on 3 November: sign-for by the 4th, reply by the 20th.
inline OrderFacts Order(const std::string& id) {
  return {.order_id = id,
          .request_id = "r-" + id,
          .tracking_number = "T" + id,
          .unit_id = "u1",
          .unit_name = "市城管局",
          .unit_class = UnitClass::kDepartment,
          .lead = true,
          .dispatch_time = At(11, 3),
          .sign_for_deadline = At(11, 4),
          .deadline = At(11, 20)};
}

struct Streams {
  std::vector<Incoming> routing, intake, escalation;
};

// A month of work for `n` orders over 6 units: each order's life as routing reports it, its
// evaluation (intake) and its lights and cases (escalation).
inline Streams Generate(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  Streams s;
  for (int i = 0; i < n; ++i) {
    OrderFacts o = Order(absl::StrCat("o", 1000 + i));
    o.unit_id = absl::StrCat("u", i % 6);
    o.unit_class = i % 6 < 3 ? UnitClass::kDepartment : UnitClass::kDistrict;
    o.dispatch_time = At(11, 1 + static_cast<int>(rng() % 28), 9);
    o.sign_for_deadline = o.dispatch_time + absl::Hours(24);
    o.deadline = o.dispatch_time + absl::Hours(24 * 10);
    absl::Time t = o.dispatch_time;
    auto emit = [&](const std::string& change, bool returned = false, bool closed = false,
                    bool extension = false) {
      o.version++;
      s.routing.push_back({.orders = {{.change = change,
                                       .order = o,
                                       .returned = returned,
                                       .closed = closed,
                                       .extension_requested = extension,
                                       .time = t}}});
    };
    emit("dispatched");
    t += absl::Hours(chance(80) ? 3 : 30);
    if (chance(8)) {
      emit("returned", true);
      continue;
    }
    o.sign_time = t;
    emit("signed_for");
    const bool extension = chance(10);
    if (extension) {
      t += absl::Hours(48);
      emit("extension_requested", false, false, true);
    }
    if (chance(15)) {
      s.escalation.push_back({.lights = {{.light_id = absl::StrCat("L", i),
                                          .order_id = o.order_id,
                                          .unit_id = o.unit_id,
                                          .red = chance(40),
                                          .raised = t + absl::Hours(1)}}});
    }
    if (chance(10)) {
      CaseUpdate c{.fact = {.case_id = absl::StrCat("C", i),
                            .order_id = o.order_id,
                            .unit_id = o.unit_id,
                            .opened = t + absl::Hours(2),
                            .deadline = t + absl::Hours(50)},
                   .time = t + absl::Hours(2)};
      s.escalation.push_back({.cases = {c}});
      if (chance(60)) {
        c.mark = CaseUpdate::Mark::kRectified;
        c.time = t + absl::Hours(chance(70) ? 20 : 80);
        s.escalation.push_back({.cases = {c}});
      }
    }
    if (chance(10)) continue;  // still open
    t += absl::Hours(static_cast<int>(rng() % 300));
    o.reply_time = t;
    emit("replied", false, false, extension);
    t += absl::Hours(24);
    s.intake.push_back({.evaluations = {{.request_id = o.request_id,
                                         .dissatisfied = chance(12),
                                         .resolved = chance(85),
                                         .time = t}}});
    emit("closed", false, true, extension);
  }
  return s;
}

}  // namespace jiban::assessment::fixtures

#endif  // JIBAN_SERVICES_ASSESSMENT_TEST_SUPPORT_H_
