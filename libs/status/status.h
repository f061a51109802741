// Jiban's error model. Every error is an absl::Status that may carry a stable UPPER_SNAKE reason
// and, for INVALID_ARGUMENT, one violation per bad field. ToGrpcStatus is the one place where
// such a status becomes a grpc::Status with a google.rpc.Status in `grpc-status-details-bin`;
// FromGrpcStatus is its inverse for clients. Messages and violations must never carry personal
// data: name the field, describe the rule, never echo the value.
#ifndef JIBAN_LIBS_STATUS_STATUS_H_
#define JIBAN_LIBS_STATUS_STATUS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace jiban {

// The domain written into every google.rpc.ErrorInfo Jiban produces.
inline constexpr absl::string_view kErrorDomain = "jiban.dev";

struct FieldViolation {
  std::string field;        // proto path, e.g. "request.requester.phone"
  std::string description;  // the rule broken, without the offending value
  bool operator==(const FieldViolation&) const = default;
};

// An error with a stable reason. `reason` must be UPPER_SNAKE.
absl::Status Error(absl::StatusCode code, absl::string_view reason, absl::string_view message);

// INVALID_ARGUMENT naming every bad field; the message lists the field paths.
absl::Status InvalidArgument(absl::string_view reason, std::vector<FieldViolation> violations);

// Collects every bad field of a request, then becomes one INVALID_ARGUMENT (reason
// INVALID_REQUEST) naming them all.
class Violations {
 public:
  void Add(std::string field, std::string rule) {
    list_.push_back({std::move(field), std::move(rule)});
  }
  // Checks that `value` has min..max characters (Unicode code points); min 0 when optional.
  void Length(const std::string& field, absl::string_view value, size_t min, size_t max);
  bool empty() const { return list_.empty(); }
  absl::Status Status() { return InvalidArgument("INVALID_REQUEST", std::move(list_)); }

 private:
  std::vector<FieldViolation> list_;
};

// FAILED_PRECONDITION with a reason: the object's state does not allow the call.
absl::Status Precondition(absl::string_view reason, absl::string_view message);

// The reason attached to `status`, or the canonical name of its code (e.g. "UNAVAILABLE") when
// none was attached. Empty for OK.
std::string ReasonOf(const absl::Status& status);

// The field violations attached to `status` (empty when there are none).
std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status);

// Returns `status` with a different code and message but the same reason and violations.
absl::Status WithMessage(const absl::Status& status, absl::string_view message);

// Converts to a grpc::Status whose binary details are a google.rpc.Status carrying ErrorInfo
// (reason, domain), BadRequest (when there are violations) and RequestInfo (when ids are given).
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view request_id = "",
                          absl::string_view trace_id = "");

// Inverse of ToGrpcStatus: code, message, reason and field violations survive the round trip.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace jiban

#endif  // JIBAN_LIBS_STATUS_STATUS_H_
