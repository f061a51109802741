// The working-day clock: statutory holidays and make-up working days (调休) of the People's
// Republic of China, loaded per year from the State Council's notices, and deadline arithmetic in
// the city's zone (Asia/Shanghai).
//
// Year files use the shape of the public holiday-cn data set, so operators can drop in next year's
// file as soon as the notice is out:
//   {"year": 2026, "papers": ["https://www.gov.cn/..."],
//    "days": [{"name": "元旦", "date": "2026-01-01", "isOffDay": true}, ...]}
// isOffDay=true is a holiday rest day, false a weekend day that is worked. Days not listed are
// working days Monday to Friday. A day in a year that no file covers falls back to Monday–Friday
// and is reported to the fallback observer (a metric and a warning in the services).
#ifndef JIBAN_LIBS_CALENDAR_CALENDAR_H_
#define JIBAN_LIBS_CALENDAR_CALENDAR_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace jiban::calendar {

// Asia/Shanghai (UTC+8 if the zone database is missing: China has no daylight saving time).
absl::TimeZone CityZone();

// A human-readable number: prefix, the city's date of `t`, and the serial's last 8 digits, e.g.
// "JB2026030200000042" (intake's tracking numbers, "YJ…" for bundle applications).
std::string DatedSerial(absl::string_view prefix, absl::Time t, int64_t serial);

class WorkCalendar {
 public:
  // A calendar with no year loaded: Monday to Friday, every lookup a fallback.
  WorkCalendar() = default;

  // Parses year files (see the header comment); errors name the file's position and the field.
  static absl::StatusOr<WorkCalendar> FromYearFiles(const std::vector<std::string>& files);
  absl::Status AddYear(absl::string_view json);

  // Called with each day looked up in a year no file covers.
  void SetFallbackObserver(std::function<void(absl::CivilDay)> observer) {
    on_fallback_ = std::move(observer);
  }

  const std::set<int64_t>& years() const { return years_; }
  bool Covers(absl::CivilDay day) const { return years_.count(day.year()) > 0; }
  bool IsWorkday(absl::CivilDay day) const;

  // The deadline N working days after instant `t`: the end (24:00, city time) of the N-th working
  // day after t's day (t's own day never counts, whatever the hour). n ≥ 1.
  absl::Time AddWorkingDays(absl::Time t, int n) const;
  // How many working days the interval [from, to) touches, a started day counting whole: what a
  // pause of the clock moves a working-day deadline by.
  int WorkingDaysTouched(absl::Time from, absl::Time to) const;

 private:
  static int64_t Key(absl::CivilDay d) { return d - absl::CivilDay(1970, 1, 1); }

  absl::flat_hash_map<int64_t, bool> off_;  // listed days: true = rest, false = worked
  std::set<int64_t> years_;
  std::function<void(absl::CivilDay)> on_fallback_;
};

}  // namespace jiban::calendar

#endif  // JIBAN_LIBS_CALENDAR_CALENDAR_H_
