#include "libs/status/status.h"

#include <catch2/catch.hpp>

#include "absl/status/statusor.h"
#include "libs/status/macros.h"
#include "proto/google/rpc/error_details.pb.h"
#include "proto/google/rpc/status.pb.h"

namespace jiban {
namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return Error(absl::StatusCode::kInvalidArgument, "ODD", "odd input");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  JIBAN_ASSIGN_OR_RETURN(int h, Half(x));
  JIBAN_ASSIGN_OR_RETURN(h, Half(h));
  return h;
}

absl::Status CheckEven(int x) {
  JIBAN_RETURN_IF_ERROR(Half(x));
  JIBAN_RETURN_IF_ERROR(absl::OkStatus());
  return absl::OkStatus();
}

TEST_CASE("macros return early with the first error") {
  CHECK(Quarter(8).value() == 2);
  CHECK(ReasonOf(Quarter(6).status()) == "ODD");
  CHECK(CheckEven(4).ok());
  CHECK(CheckEven(3).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("reason defaults to the canonical code name") {
  CHECK(ReasonOf(absl::UnavailableError("db down")) == "UNAVAILABLE");
  CHECK(ReasonOf(absl::OkStatus()).empty());
  CHECK(ReasonOf(Error(absl::StatusCode::kNotFound, "REQUEST_NOT_FOUND", "x")) ==
        "REQUEST_NOT_FOUND");
}

TEST_CASE("invalid argument names every bad field") {
  auto s = InvalidArgument("INVALID_REQUEST", {{"request.title", "must not be empty"},
                                                {"request.channel", "must be set"}});
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(s.message() == "invalid field(s): request.title, request.channel");
  auto v = FieldViolationsOf(s);
  REQUIRE(v.size() == 2);
  CHECK(v[1] == FieldViolation{"request.channel", "must be set"});
}

TEST_CASE("grpc status carries a google.rpc.Status in its binary details") {
  auto s = InvalidArgument("INVALID_REQUEST", {{"request.text", "too long"}});
  grpc::Status g = ToGrpcStatus(s, "req-1", "0af7651916cd43dd8448eb211c80319c");
  CHECK(g.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status rpc;
  REQUIRE(rpc.ParseFromString(g.error_details()));
  CHECK(rpc.code() == static_cast<int>(g.error_code()));
  CHECK(rpc.message() == g.error_message());
  REQUIRE(rpc.details_size() == 3);
  google::rpc::ErrorInfo info;
  REQUIRE(rpc.details(0).UnpackTo(&info));
  CHECK(info.reason() == "INVALID_REQUEST");
  CHECK(info.domain() == "jiban.dev");
  google::rpc::BadRequest bad;
  REQUIRE(rpc.details(1).UnpackTo(&bad));
  REQUIRE(bad.field_violations_size() == 1);
  CHECK(bad.field_violations(0).field() == "request.text");
  google::rpc::RequestInfo req;
  REQUIRE(rpc.details(2).UnpackTo(&req));
  CHECK(req.request_id() == "req-1");
}

TEST_CASE("FromGrpcStatus inverts ToGrpcStatus") {
  auto original = InvalidArgument("INVALID_REQUEST", {{"a", "x"}, {"b.c", "y"}});
  auto back = FromGrpcStatus(ToGrpcStatus(original));
  CHECK(back.code() == original.code());
  CHECK(back.message() == original.message());
  CHECK(ReasonOf(back) == "INVALID_REQUEST");
  CHECK(FieldViolationsOf(back) == FieldViolationsOf(original));

  auto plain = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "gone"));
  CHECK(plain.code() == absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(plain) == "UNAVAILABLE");
  CHECK(FromGrpcStatus(grpc::Status::OK).ok());
  CHECK(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST_CASE("WithMessage keeps reason and violations") {
  auto s = WithMessage(InvalidArgument("R", {{"f", "d"}}), "other");
  CHECK(s.message() == "other");
  CHECK(ReasonOf(s) == "R");
  CHECK(FieldViolationsOf(s).size() == 1);
}

}  // namespace
}  // namespace jiban
