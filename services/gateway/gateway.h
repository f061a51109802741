// The gateway's one pipeline, shared by its gRPC and HTTP/JSON faces: authenticate the caller,
// apply the rate limits (per principal and per address, token buckets), check the policy (role ×
// method; internal methods do not exist from outside), then forward the request's bytes to the
// backend that owns the method — with the deadline, request id and trace carried through, the
// caller's identity set by the gateway (x-jiban-role, x-jiban-subject, x-jiban-unit; whatever the
// caller sent under those names is dropped), and no per-method code.
#ifndef JIBAN_SERVICES_GATEWAY_GATEWAY_H_
#define JIBAN_SERVICES_GATEWAY_GATEWAY_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "libs/clock/clock.h"
#include "services/gateway/auth.h"
#include "services/gateway/policy.h"

namespace jiban::gateway {

// A refusal for too many calls carries the wait, in whole seconds, as this payload (sent as the
// `retry-after` trailer over gRPC and the Retry-After header over HTTP).
inline constexpr char kRetryAfterPayload[] = "type.jiban.dev/retry-after";
int RetryAfterSeconds(const absl::Status& status);  // 0 when not set

// Token buckets by key: `rate` tokens a second, at most `burst` saved up.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst, const Clock& clock)
      : rate_(rate), burst_(burst), clock_(clock) {}
  // Takes a token for `key`: nullopt when allowed, else how long until one is available.
  std::optional<absl::Duration> Take(const std::string& key);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time last;
  };
  const double rate_;
  const double burst_;
  const Clock& clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

struct Limits {
  double principal_rate = 200;  // calls a second per authenticated principal
  double principal_burst = 400;
  double address_rate = 100;  // calls a second per client address before authentication
  double address_burst = 200;
  int max_in_flight = 1024;                             // calls being forwarded at once
  size_t max_message_bytes = 1 << 20;                   // request size
  absl::Duration default_deadline = absl::Seconds(30);  // when the caller set none
};

// What the faces know of an incoming call.
struct Incoming {
  std::string method;         // "jiban.intake.v1.IntakeService/SubmitRequest"
  std::string authorization;  // the Authorization header ("Bearer …"), or empty
  std::string api_key;        // the x-api-key header, or empty
  std::string peer;           // the client's address
  std::string request_id;
  std::string traceparent;
  absl::Time deadline = absl::InfiniteFuture();
};

// Backends by service: "jiban.intake.v1.IntakeService" → a channel.
class Backends {
 public:
  void Add(const std::string& service, std::shared_ptr<grpc::Channel> channel);
  // Null when no backend serves the method's service.
  grpc::GenericStub* For(absl::string_view method) const;

 private:
  std::map<std::string, std::unique_ptr<grpc::GenericStub>, std::less<>> stubs_;
};

class Gateway {
 public:
  // `identity_key`: signs the identity headers for the backends (server::SetIdentity).
  Gateway(const Authenticator& auth, const Policy& policy, Backends& backends, const Clock& clock,
          Limits limits = {}, std::string identity_key = "");

  // Authentication, limits and policy; UNAUTHENTICATED, RESOURCE_EXHAUSTED (RATE_LIMITED, with
  // the wait in the message), NOT_FOUND or PERMISSION_DENIED otherwise.
  absl::StatusOr<Principal> Admit(const Incoming& in);

  using Done = std::function<void(const grpc::Status&, grpc::ByteBuffer)>;
  // Forwards an admitted call on `ctx` (made from the incoming call, so that cancellation and the
  // deadline carry through, or fresh); `done` runs once, on a gRPC thread.
  void Forward(const Incoming& in, const Principal& p, grpc::ByteBuffer request,
               std::unique_ptr<grpc::ClientContext> ctx, Done done);

  // Forward for one message, waiting for the answer: `request` serialised, the answer parsed
  // into `response` (for the HTTP and Open311 faces, which speak messages, not bytes).
  absl::Status Call(const Incoming& in, const Principal& p,
                    const google::protobuf::Message& request, google::protobuf::Message* response);

  const Limits& limits() const { return limits_; }

 private:
  const std::string identity_key_;
  const Authenticator& auth_;
  const Policy& policy_;
  Backends& backends_;
  const Clock& clock_;
  const Limits limits_;
  RateLimiter by_principal_;
  RateLimiter by_address_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

// The gRPC face: every method of every backend, unary, forwarded as bytes.
class ProxyService final : public grpc::CallbackGenericService {
 public:
  explicit ProxyService(Gateway& gateway) : gateway_(gateway) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override;

 private:
  Gateway& gateway_;
};

}  // namespace jiban::gateway

#endif  // JIBAN_SERVICES_GATEWAY_GATEWAY_H_
