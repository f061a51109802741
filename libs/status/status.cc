#include "libs/status/status.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/google/rpc/error_details.pb.h"
#include "proto/google/rpc/status.pb.h"

namespace jiban {
namespace {

constexpr absl::string_view kTypePrefix = "type.googleapis.com/";

std::string TypeUrl(const google::protobuf::Message& m) {
  return absl::StrCat(kTypePrefix, m.GetDescriptor()->full_name());
}

template <typename M>
void SetDetail(absl::Status& status, const M& detail) {
  status.SetPayload(TypeUrl(detail), absl::Cord(detail.SerializeAsString()));
}

template <typename M>
bool GetDetail(const absl::Status& status, M* detail) {
  auto payload = status.GetPayload(TypeUrl(*detail));
  return payload.has_value() && detail->ParseFromString(std::string(*payload));
}

void SetViolations(absl::Status& status, const std::vector<FieldViolation>& violations) {
  google::rpc::BadRequest bad;
  for (const auto& v : violations) {
    auto* fv = bad.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
  }
  SetDetail(status, bad);
}

}  // namespace

absl::Status Error(absl::StatusCode code, absl::string_view reason, absl::string_view message) {
  absl::Status status(code, message);
  if (status.ok()) return status;
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  SetDetail(status, info);
  return status;
}

absl::Status InvalidArgument(absl::string_view reason, std::vector<FieldViolation> violations) {
  std::vector<std::string> fields;
  fields.reserve(violations.size());
  for (const auto& v : violations) fields.push_back(v.field);
  absl::Status status = Error(absl::StatusCode::kInvalidArgument, reason,
                              absl::StrCat("invalid field(s): ", absl::StrJoin(fields, ", ")));
  SetViolations(status, violations);
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  if (status.ok()) return "";
  google::rpc::ErrorInfo info;
  if (GetDetail(status, &info) && !info.reason().empty()) return info.reason();
  return absl::StatusCodeToString(status.code());
}

std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  google::rpc::BadRequest bad;
  if (!GetDetail(status, &bad)) return out;
  for (const auto& fv : bad.field_violations()) out.push_back({fv.field(), fv.description()});
  return out;
}

absl::Status WithMessage(const absl::Status& status, absl::string_view message) {
  absl::Status out(status.code(), message);
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view request_id,
                          absl::string_view trace_id) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(std::string(status.message()));

  google::rpc::ErrorInfo info;
  info.set_reason(ReasonOf(status));
  info.set_domain(std::string(kErrorDomain));
  rpc.add_details()->PackFrom(info);

  google::rpc::BadRequest bad;
  if (GetDetail(status, &bad) && bad.field_violations_size() > 0) rpc.add_details()->PackFrom(bad);

  if (!request_id.empty() || !trace_id.empty()) {
    google::rpc::RequestInfo req;
    req.set_request_id(std::string(request_id));
    req.set_serving_data(std::string(trace_id));
    rpc.add_details()->PackFrom(req);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), rpc.message(),
                      rpc.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  auto code = static_cast<absl::StatusCode>(status.error_code());
  google::rpc::Status rpc;
  if (status.error_details().empty() || !rpc.ParseFromString(status.error_details())) {
    return absl::Status(code, status.error_message());
  }
  std::string reason;
  std::vector<FieldViolation> violations;
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&info)) {
      reason = info.reason();
    } else if (any.UnpackTo(&bad)) {
      for (const auto& fv : bad.field_violations()) {
        violations.push_back({fv.field(), fv.description()});
      }
    }
  }
  absl::Status out = reason.empty() ? absl::Status(code, status.error_message())
                                    : Error(code, reason, status.error_message());
  if (!violations.empty()) SetViolations(out, violations);
  return out;
}

void Violations::Length(const std::string& field, absl::string_view value, size_t min, size_t max) {
  size_t n = 0;
  for (char c : value) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  if (n < min || n > max) {
    Add(field, min == 0 ? absl::StrCat("at most ", max, " characters")
                        : absl::StrCat("required, ", min, " to ", max, " characters"));
  }
}

absl::Status Precondition(absl::string_view reason, absl::string_view message) {
  return Error(absl::StatusCode::kFailedPrecondition, reason, message);
}

}  // namespace jiban
