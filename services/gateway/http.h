// The HTTP faces: Open311 GeoReport v2 under /open311/v2/ (services/gateway/open311.h), and
// HTTP/JSON: every public RPC as `POST /v1/<package.Service>/<Method>` with the request as
// ProtoJSON (proto3's JSON mapping) and the response likewise; errors as an HTTP status with a JSON
// body carrying the gRPC code, the stable reason and the field violations. The body goes through
// the gateway's one pipeline (authentication, limits, policy, forwarding) as bytes.
//
// Refused with 400 before anything is forwarded: a body larger than the limit, JSON nested deeper
// than 32 levels, malformed JSON, unknown fields, wrong types. Parser messages are passed on with
// every quoted piece of the input removed (the body may hold personal data).
#ifndef JIBAN_SERVICES_GATEWAY_HTTP_H_
#define JIBAN_SERVICES_GATEWAY_HTTP_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"
#include "services/gateway/gateway.h"
#include "services/gateway/open311.h"

class CivetServer;

namespace jiban::gateway {

// The one mapping of gRPC codes to HTTP statuses (400, 401, 403, 404, 409, 429, 499, 500, 501,
// 503, 504).
int HttpStatusOf(absl::StatusCode code);
// {"error": {"code", "httpStatus", "reason", "message", "fieldViolations", "requestId"}}.
std::string ErrorBody(const absl::Status& status, absl::string_view request_id);
// INVALID_ARGUMENT when objects and arrays nest deeper than `max_depth`.
absl::Status CheckNesting(absl::string_view json, int max_depth);
// A request body (ProtoJSON) into `request`: unknown fields refused; INVALID_ARGUMENT
// MALFORMED_JSON saying what is wrong, never echoing the body's values.
absl::Status ParseJsonBody(const std::string& body, google::protobuf::Message& request);

class HttpFace {
 public:
  // Listens on `address` ("127.0.0.1:0" picks a port) with `threads` workers.
  static absl::StatusOr<std::unique_ptr<HttpFace>> Start(const std::string& address,
                                                         Gateway& gateway, int threads,
                                                         Open311Options open311 = {});
  HttpFace() = default;  // use Start
  ~HttpFace();
  int port() const { return port_; }

  class Handler;  // civetweb's request handlers (defined in the .cc)
  class Open311Handler;

 private:
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<Open311Handler> open311_;
  std::unique_ptr<CivetServer> server_;
  int port_ = 0;
};

}  // namespace jiban::gateway

#endif  // JIBAN_SERVICES_GATEWAY_HTTP_H_
