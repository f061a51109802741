// Properties of the working-day arithmetic over generated instants and counts (rapidcheck), on the
// shipped 2026 calendar with its holidays and make-up working days: a deadline is the end of a
// working day; the days from the start to the deadline touch exactly N working days; more days
// never give an earlier deadline; and N days then M more is N + M days.
#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>

#include "libs/calendar/calendar.h"
#include "libs/testing/data.h"

namespace jiban::calendar {
namespace {

TEST_CASE("working-day deadlines add up for any instant and count", "[calendar][property]") {
  auto cal = WorkCalendar::FromYearFiles(
      {testing::ReadTestFile("services/routing/defaults/calendar-2026.json")});
  REQUIRE(cal.ok());
  const absl::Time start = absl::FromCivil(absl::CivilDay(2026, 1, 1), CityZone());
  rc::prop("deadlines are the ends of working days and count exactly", [&] {
    const absl::Time t = start + absl::Minutes(*rc::gen::inRange(0, 330 * 24 * 60));
    const int n = *rc::gen::inRange(1, 25);
    const int m = *rc::gen::inRange(1, 10);
    const absl::Time deadline = cal->AddWorkingDays(t, n);
    const absl::CivilSecond end = absl::ToCivilSecond(deadline, CityZone());
    RC_ASSERT(end == absl::CivilSecond(absl::CivilDay(end)));  // midnight, city time
    RC_ASSERT(cal->IsWorkday(absl::CivilDay(end) - 1));        // ends a working day
    const absl::Time next_day =
        absl::FromCivil(absl::ToCivilDay(t, CityZone()) + 1, CityZone());  // t's day never counts
    RC_ASSERT(cal->WorkingDaysTouched(next_day, deadline) == n);
    RC_ASSERT(cal->AddWorkingDays(t, n + 1) > deadline);
    RC_ASSERT(cal->AddWorkingDays(deadline - absl::Seconds(1), m) == cal->AddWorkingDays(t, n + m));
  });
}

}  // namespace
}  // namespace jiban::calendar
