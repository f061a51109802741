#include "libs/calendar/calendar.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "catch2/catch.hpp"
#include "libs/status/status.h"
#include "libs/testing/data.h"

namespace jiban::calendar {
namespace {

absl::Time CityTime(int y, int m, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), CityZone());
}

const char* kMini = R"({"year": 2026, "days": [
  {"name": "国庆节", "date": "2026-10-01", "isOffDay": true},
  {"name": "国庆节", "date": "2026-10-02", "isOffDay": true},
  {"name": "国庆节", "date": "2026-10-05", "isOffDay": true},
  {"name": "国庆节", "date": "2026-10-10", "isOffDay": false}]})";

TEST_CASE("working days skip holidays and count make-up days", "[calendar]") {
  auto cal = WorkCalendar::FromYearFiles({kMini});
  REQUIRE(cal.ok());
  CHECK_FALSE(cal->IsWorkday(absl::CivilDay(2026, 10, 1)));
  CHECK(cal->IsWorkday(absl::CivilDay(2026, 10, 10)));  // a Saturday that is worked
  CHECK_FALSE(cal->IsWorkday(absl::CivilDay(2026, 10, 11)));
  // Dispatched on Wednesday 30 September at 16:00: 1 Oct, 2 Oct (holidays), 3-4 (weekend), 5
  // (holiday) do not count; Tuesday 6 October is the first working day.
  CHECK(cal->AddWorkingDays(CityTime(2026, 9, 30, 16), 1) == CityTime(2026, 10, 7, 0));
  // ...and the make-up Saturday 10 October is the fifth.
  CHECK(cal->AddWorkingDays(CityTime(2026, 9, 30, 16), 4) == CityTime(2026, 10, 10, 0));
  CHECK(cal->AddWorkingDays(CityTime(2026, 9, 30, 16), 5) == CityTime(2026, 10, 11, 0));
  // The dispatch day never counts, even at one minute past midnight.
  CHECK(cal->AddWorkingDays(CityTime(2026, 10, 6, 0, 1), 1) == CityTime(2026, 10, 8, 0));
}

TEST_CASE("a pause moves the deadline by the working days it touched", "[calendar]") {
  auto cal = WorkCalendar::FromYearFiles({kMini});
  REQUIRE(cal.ok());
  CHECK(cal->WorkingDaysTouched(CityTime(2026, 9, 30, 16), CityTime(2026, 10, 6, 9)) == 2);
  CHECK(cal->WorkingDaysTouched(CityTime(2026, 10, 3, 9), CityTime(2026, 10, 4, 18)) == 0);
  CHECK(cal->WorkingDaysTouched(CityTime(2026, 10, 6, 9), CityTime(2026, 10, 6, 9)) == 0);
  CHECK(cal->WorkingDaysTouched(CityTime(2026, 10, 6, 9), CityTime(2026, 10, 7, 0)) == 1);
}

TEST_CASE("beyond the loaded years the calendar falls back to Monday-Friday and says so",
          "[calendar]") {
  auto cal = WorkCalendar::FromYearFiles({kMini});
  REQUIRE(cal.ok());
  std::vector<absl::CivilDay> reported;
  cal->SetFallbackObserver([&](absl::CivilDay d) { reported.push_back(d); });
  CHECK(cal->IsWorkday(absl::CivilDay(2027, 1, 1)));  // a Friday; 2027 not loaded
  CHECK_FALSE(cal->IsWorkday(absl::CivilDay(2027, 1, 2)));
  CHECK(cal->IsWorkday(absl::CivilDay(2026, 12, 31)));
  CHECK(reported.size() == 2);
  CHECK(cal->Covers(absl::CivilDay(2026, 3, 1)));
  CHECK_FALSE(cal->Covers(absl::CivilDay(2027, 3, 1)));
}

TEST_CASE("malformed year files are refused with the reason", "[calendar]") {
  WorkCalendar cal;
  for (const char* bad :
       {"", "[]", R"({"days": []})", R"({"year": 2026})",
        R"({"year": 2026, "days": [{"date": "2026-02-30", "isOffDay": true}]})",
        R"({"year": 2026, "days": [{"date": "2024-02-01", "isOffDay": true}]})",
        R"({"year": 2026, "days": [{"date": "2026-02-01", "isOffDay": "yes"}]})"}) {
    absl::Status s = cal.AddYear(bad);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(ReasonOf(s) == "CALENDAR_INVALID");
  }
  CHECK(cal.years().empty());
}

// The arithmetic against every day of 2007–2026 as published (holiday-cn, derived day list).
TEST_CASE("every day of 2007-2026 agrees with the published calendar", "[calendar][data]") {
  const std::string dir = jiban::testing::SharedDataPath("holiday_cn");
  std::vector<std::string> files;
  for (int y = 2007; y <= 2026; ++y)
    files.push_back(testing::ReadTestFile(dir + "/json/" + std::to_string(y) + ".json"));
  auto cal = WorkCalendar::FromYearFiles(files);
  REQUIRE(cal.ok());
  REQUIRE(cal->years().size() == 20);
  int fallbacks = 0;
  cal->SetFallbackObserver([&](absl::CivilDay) { ++fallbacks; });

  std::vector<absl::CivilDay> days;
  std::vector<bool> work;
  std::ifstream csv(dir + "/workday_calendar_derived.csv");
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    REQUIRE(f.size() >= 3);
    absl::CivilDay d;
    REQUIRE(absl::ParseCivilTime(f[0], &d));
    days.push_back(d);
    work.push_back(f[2] == "true");
  }
  REQUIRE(days.size() == 7305);
  int mismatches = 0;
  for (size_t i = 0; i < days.size(); ++i) {
    if (cal->IsWorkday(days[i]) != work[i]) ++mismatches;
  }
  CHECK(mismatches == 0);
  // N working days after an instant on every day, for typical limits, as the list counts them.
  for (int n : {1, 2, 3, 5, 10, 15}) {
    int wrong = 0;
    for (size_t i = 0; i < days.size(); ++i) {
      size_t j = i;
      int counted = 0;
      while (counted < n && ++j < days.size()) counted += work[j] ? 1 : 0;
      if (counted < n) break;  // past the end of the list
      const absl::Time expected = absl::FromCivil(days[j] + 1, CityZone());
      for (int hour : {0, 9, 23}) {
        const absl::CivilDay d = days[i];
        if (cal->AddWorkingDays(CityTime(static_cast<int>(d.year()), d.month(), d.day(), hour),
                                n) != expected) {
          ++wrong;
        }
      }
    }
    INFO("n = " << n);
    CHECK(wrong == 0);
  }
  CHECK(fallbacks == 0);
}

TEST_CASE("the shipped calendar agrees with the State Council's notice as published",
          "[calendar][data]") {
  const std::string dir = jiban::testing::SharedDataPath("holiday_cn");
  auto shipped = WorkCalendar::FromYearFiles(
      {testing::ReadTestFile("services/routing/defaults/calendar-2026.json")});
  auto published = WorkCalendar::FromYearFiles({testing::ReadTestFile(dir + "/json/2026.json")});
  REQUIRE(shipped.ok());
  REQUIRE(published.ok());
  for (absl::CivilDay d(2026, 1, 1); d.year() == 2026; ++d) {
    INFO(absl::FormatCivilTime(d));
    CHECK(shipped->IsWorkday(d) == published->IsWorkday(d));
  }
}

}  // namespace
}  // namespace jiban::calendar
