#include "services/intake/domain.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/db/migrate.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "services/intake/store.h"

namespace jiban::intake {
namespace {

// Number of Unicode code points in valid UTF-8 (proto3 strings are validated on parse).
size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsDigits(const std::string& s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateSubmit(const std::string& request_id, const Request& draft) {
  std::vector<FieldViolation> bad;
  if (request_id.empty() || request_id.size() > 64) {
    bad.push_back({"request_id", "required, 1 to 64 characters"});
  } else {
    for (char c : request_id) {
      if (!(absl::ascii_isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-')) {
        bad.push_back({"request_id", "may contain only letters, digits and . _ : -"});
        break;
      }
    }
  }
  const int channel = static_cast<int>(draft.channel);
  if (channel <= 0 || channel > kMaxChannel) bad.push_back({"request.channel", "required"});
  const int nature = static_cast<int>(draft.nature);
  if (nature <= 0 || nature > kMaxNature) bad.push_back({"request.nature", "required"});
  const size_t title = CodePoints(draft.title);
  if (title == 0 || title > 100) bad.push_back({"request.title", "required, 1 to 100 characters"});
  const size_t text = CodePoints(draft.text);
  if (text == 0 || text > 5000) bad.push_back({"request.text", "required, 1 to 5000 characters"});
  const Location& loc = draft.location;
  if (!loc.district_code.empty() && !IsDigits(loc.district_code, 6)) {
    bad.push_back({"request.location.district_code", "must be a 6-digit division code"});
  }
  if (!loc.town_code.empty() && !IsDigits(loc.town_code, 9) && !IsDigits(loc.town_code, 12)) {
    bad.push_back({"request.location.town_code", "must be a 9- or 12-digit code"});
  }
  if (loc.latitude.has_value() != loc.longitude.has_value()) {
    bad.push_back({"request.location.point", "latitude and longitude go together"});
  } else if (loc.latitude.has_value() &&
             !(*loc.latitude >= -90 && *loc.latitude <= 90 && *loc.longitude >= -180 &&
               *loc.longitude <= 180)) {
    bad.push_back({"request.location.point", "latitude must be in -90..90, longitude in -180..180"});
  }
  if (bad.empty()) return absl::OkStatus();
  return InvalidArgument("INVALID_REQUEST", std::move(bad));
}

std::string Fingerprint(const Request& d) {
  // Length-prefixed fields, so no two different drafts serialise alike.
  std::string canon;
  auto add = [&canon](const std::string& s) { absl::StrAppend(&canon, s.size(), ":", s, "|"); };
  add(absl::StrCat(static_cast<int>(d.channel)));
  add(absl::StrCat(static_cast<int>(d.nature)));
  add(d.title);
  add(d.text);
  add(d.location.district_code);
  add(d.location.town_code);
  add(d.location.latitude ? absl::StrFormat("%.9f", *d.location.latitude) : "-");
  add(d.location.longitude ? absl::StrFormat("%.9f", *d.location.longitude) : "-");
  return db::Sha256Hex(canon);
}

absl::TimeZone CityZone() {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone("Asia/Shanghai", &tz)) tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

std::string TrackingNumber(absl::Time received, int64_t serial) {
  return absl::StrCat("JB", absl::FormatTime("%Y%m%d", received, CityZone()),
                      absl::StrFormat("%08d", serial % 100000000));
}

absl::StatusOr<Request> Intake::Submit(const std::string& request_id, const Request& draft,
                                       const CallContext& call) {
  JIBAN_RETURN_IF_ERROR(ValidateSubmit(request_id, draft));
  const std::string fingerprint = Fingerprint(draft);
  auto replay = [&]() -> absl::StatusOr<Request> {
    JIBAN_ASSIGN_OR_RETURN(auto stored, store_.FindByRequestId(request_id));
    if (!stored.has_value()) {
      return absl::AbortedError("request id vanished while resolving a duplicate; retry");
    }
    if (stored->fingerprint != fingerprint) {
      return Error(absl::StatusCode::kAlreadyExists, "REQUEST_ID_REUSED",
                   "request_id was already used for a different request");
    }
    return stored->request;
  };
  // Insert first: the unique key on request_id catches a retry (or a racing duplicate) without an
  // extra read on the common path.
  Request r = draft;
  r.id = ids_.Next();
  r.status = Status::kReceived;
  r.create_time = absl::FromUnixMillis(absl::ToUnixMillis(clock_.Now()));  // stored in ms
  auto created = store_.Create(request_id, fingerprint, r, call);
  if (created.status().code() == absl::StatusCode::kAlreadyExists &&
      ReasonOf(created.status()) == "DUPLICATE_REQUEST_ID") {
    return replay();
  }
  return created;
}

absl::StatusOr<Request> Intake::Get(const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return InvalidArgument("INVALID_REQUEST", {{"id", "required, at most 64 characters"}});
  }
  JIBAN_ASSIGN_OR_RETURN(auto found, store_.Get(id));
  if (!found.has_value()) {
    return Error(absl::StatusCode::kNotFound, "REQUEST_NOT_FOUND", "no request with this id");
  }
  return *found;
}

}  // namespace jiban::intake
