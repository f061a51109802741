#include "libs/calendar/calendar.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/status/status.h"
#include "nlohmann/json.hpp"

namespace jiban::calendar {

absl::TimeZone CityZone() {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone("Asia/Shanghai", &tz)) tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

std::string DatedSerial(absl::string_view prefix, absl::Time t, int64_t serial) {
  return absl::StrCat(prefix, absl::FormatTime("%Y%m%d", t, CityZone()),
                      absl::StrFormat("%08d", serial % 100000000));
}

absl::StatusOr<WorkCalendar> WorkCalendar::FromYearFiles(const std::vector<std::string>& files) {
  WorkCalendar c;
  for (size_t i = 0; i < files.size(); ++i) {
    if (absl::Status s = c.AddYear(files[i]); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("calendar file #", i + 1, ": ", s.message()));
    }
  }
  return c;
}

absl::Status WorkCalendar::AddYear(absl::string_view json) {
  const auto bad = [](const std::string& what) {
    return Error(absl::StatusCode::kInvalidArgument, "CALENDAR_INVALID", what);
  };
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  if (!doc.contains("year") || !doc["year"].is_number_integer()) return bad("\"year\" missing");
  const int64_t year = doc["year"].get<int64_t>();
  if (year < 1949 || year > 9999) return bad("\"year\" out of range");
  if (!doc.contains("days") || !doc["days"].is_array()) return bad("\"days\" missing");
  absl::flat_hash_map<int64_t, bool> days;
  for (const auto& d : doc["days"]) {
    if (!d.is_object() || !d.contains("date") || !d["date"].is_string() ||
        !d.contains("isOffDay") || !d["isOffDay"].is_boolean()) {
      return bad("every day needs \"date\" (YYYY-MM-DD) and \"isOffDay\" (true/false)");
    }
    absl::CivilDay day;
    const std::string date = d["date"].get<std::string>();
    if (!absl::ParseCivilTime(date, &day) || absl::FormatCivilTime(day) != date) {
      return bad(absl::StrCat("bad date \"", date.substr(0, 16), "\""));
    }
    if (day.year() < year - 1 || day.year() > year) {
      return bad(absl::StrCat(date, " is outside year ", year));
    }
    days[Key(day)] = d["isOffDay"].get<bool>();
  }
  for (const auto& [k, off] : days) off_[k] = off;
  years_.insert(year);
  return absl::OkStatus();
}

bool WorkCalendar::IsWorkday(absl::CivilDay day) const {
  if (auto it = off_.find(Key(day)); it != off_.end()) return !it->second;
  if (!Covers(day) && on_fallback_) on_fallback_(day);
  const absl::Weekday w = absl::GetWeekday(day);
  return w != absl::Weekday::saturday && w != absl::Weekday::sunday;
}

absl::Time WorkCalendar::AddWorkingDays(absl::Time t, int n) const {
  const absl::TimeZone zone = CityZone();
  absl::CivilDay day = absl::ToCivilDay(t, zone);
  for (int counted = 0; counted < n;) {
    ++day;
    if (IsWorkday(day)) ++counted;
  }
  return absl::FromCivil(day + 1, zone);
}

int WorkCalendar::WorkingDaysTouched(absl::Time from, absl::Time to) const {
  if (to <= from) return 0;
  const absl::TimeZone zone = CityZone();
  const absl::CivilDay first = absl::ToCivilDay(from, zone);
  const absl::CivilDay last = absl::ToCivilDay(to - absl::Nanoseconds(1), zone);
  int n = 0;
  for (absl::CivilDay d = first; d <= last; ++d) n += IsWorkday(d) ? 1 : 0;
  return n;
}

}  // namespace jiban::calendar
