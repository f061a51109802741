// Intake's domain: what a request is, what makes one valid, and how submitting one behaves
// (idempotent by request id, stored with its RequestSubmitted event in one transaction). No gRPC
// or SQL types here: the handler converts protos, the store speaks SQL, time and ids are injected.
#ifndef JIBAN_SERVICES_INTAKE_DOMAIN_H_
#define JIBAN_SERVICES_INTAKE_DOMAIN_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"

namespace jiban::intake {

// Values match jiban.intake.v1.Channel / Nature / RequestStatus.
enum class Channel { kUnspecified = 0, kWindow, kHotline, kWeb, kApp, kEnterpriseCentre, kOpen311, kProxy };
enum class Nature {
  kUnspecified = 0,
  kConsultation,
  kHelp,
  kProject,
  kComplaint,
  kSuggestion,
  kReport,
  kPraise,
  kCouldNotGetDone
};
enum class Status { kUnspecified = 0, kReceived };

inline constexpr int kMaxChannel = 7;
inline constexpr int kMaxNature = 8;

struct Location {
  std::string district_code;
  std::string town_code;
  std::optional<double> latitude, longitude;
  bool operator==(const Location&) const = default;
};

struct Request {
  std::string id;               // output only
  std::string tracking_number;  // output only
  Channel channel = Channel::kUnspecified;
  Nature nature = Nature::kUnspecified;
  std::string title;
  std::string text;
  Location location;
  Status status = Status::kUnspecified;  // output only
  absl::Time create_time;                // output only
};

// Who asked, for the event envelope and error details.
struct CallContext {
  std::string request_id;
  std::string trace_id;
};

// INVALID_ARGUMENT (reason INVALID_REQUEST) naming every bad field, or OK.
absl::Status ValidateSubmit(const std::string& request_id, const Request& draft);

// A digest of everything the caller supplied; equal drafts have equal fingerprints.
std::string Fingerprint(const Request& draft);

// "JB" + yyyymmdd in the city's zone + an 8-digit serial, e.g. JB2026112600000042.
std::string TrackingNumber(absl::Time received, int64_t serial);

// The city's time zone (Asia/Shanghai; UTC+8 without DST when tzdata is absent).
absl::TimeZone CityZone();

class IntakeStore;

class Intake {
 public:
  Intake(IntakeStore& store, const Clock& clock, IdGenerator& ids)
      : store_(store), clock_(clock), ids_(ids) {}

  // Stores the request and its RequestSubmitted event. The same request_id with the same draft
  // returns the stored request; with a different draft, ALREADY_EXISTS (REQUEST_ID_REUSED).
  absl::StatusOr<Request> Submit(const std::string& request_id, const Request& draft,
                                 const CallContext& call);
  // NOT_FOUND (REQUEST_NOT_FOUND) when absent.
  absl::StatusOr<Request> Get(const std::string& id);

 private:
  IntakeStore& store_;
  const Clock& clock_;
  IdGenerator& ids_;
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_DOMAIN_H_
