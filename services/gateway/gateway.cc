#include "services/gateway/gateway.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "libs/server/call.h"
#include "libs/status/status.h"

namespace jiban::gateway {
namespace {

absl::Status RateLimited(absl::Duration wait) {
  const int seconds = std::max(1, static_cast<int>(std::ceil(absl::ToDoubleSeconds(wait))));
  absl::Status s = Error(absl::StatusCode::kResourceExhausted, "RATE_LIMITED",
                         absl::StrFormat("too many calls; retry after %d s", seconds));
  s.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(seconds)));
  return s;
}

std::string Md(const grpc::GenericCallbackServerContext& ctx, const char* key) {
  auto it = ctx.client_metadata().find(key);
  return it == ctx.client_metadata().end() ? "" : std::string(it->second.data(), it->second.size());
}

// "ipv4:127.0.0.1:5555" → "127.0.0.1"; "ipv6:[::1]:5555" → "[::1]".
std::string PeerHost(const std::string& peer) {
  std::string host = peer.substr(peer.find(':') + 1);
  const size_t colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

// One unary call forwarded as bytes; the reactor deletes itself when gRPC is done with it (the
// callback API's ownership rule).
class ProxyReactor final : public grpc::ServerGenericBidiReactor {
 public:
  ProxyReactor(grpc::GenericCallbackServerContext* ctx, Gateway& gateway)
      : ctx_(ctx), gateway_(gateway) {
    in_.method = ctx->method().substr(ctx->method().empty() || ctx->method()[0] != '/' ? 0 : 1);
    in_.authorization = Md(*ctx, "authorization");
    in_.api_key = Md(*ctx, "x-api-key");
    in_.peer = PeerHost(ctx->peer());
    in_.request_id = Md(*ctx, server::kRequestIdHeader);
    in_.traceparent = Md(*ctx, server::kTraceparentHeader);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    auto principal = gateway_.Admit(in_);
    if (!principal.ok()) {
      if (const int wait = RetryAfterSeconds(principal.status()); wait > 0) {
        ctx_->AddTrailingMetadata("retry-after", absl::StrCat(wait));
      }
      Finish(ToGrpcStatus(principal.status(), in_.request_id));
      return;
    }
    if (request_.Length() > gateway_.limits().max_message_bytes) {
      Finish(ToGrpcStatus(Error(absl::StatusCode::kResourceExhausted, "MESSAGE_TOO_LARGE",
                                "the request is larger than the gateway accepts"),
                          in_.request_id));
      return;
    }
    gateway_.Forward(in_, *principal, std::move(request_),
                     grpc::ClientContext::FromCallbackServerContext(*ctx_),
                     [this](const grpc::Status& s, grpc::ByteBuffer response) {
                       if (!s.ok()) {
                         Finish(s);
                         return;
                       }
                       response_ = std::move(response);
                       StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
                     });
  }

  void OnDone() override { delete this; }

 private:
  grpc::GenericCallbackServerContext* ctx_;
  Gateway& gateway_;
  Incoming in_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

}  // namespace

int RetryAfterSeconds(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  int seconds = 0;
  if (payload && absl::SimpleAtoi(std::string(*payload), &seconds)) return seconds;
  return 0;
}

std::optional<absl::Duration> RateLimiter::Take(const std::string& key) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (buckets_.size() > 100000) {
    // Forget the buckets that have filled up again: they are as good as new.
    absl::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.tokens + absl::ToDoubleSeconds(now - kv.second.last) * rate_ >= burst_;
    });
  }
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.last) * rate_);
  b.last = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  return absl::Seconds((1 - b.tokens) / rate_);
}

void Backends::Add(const std::string& service, std::shared_ptr<grpc::Channel> channel) {
  stubs_[service] = std::make_unique<grpc::GenericStub>(std::move(channel));
}

grpc::GenericStub* Backends::For(absl::string_view method) const {
  const size_t slash = method.find('/');
  if (slash == absl::string_view::npos) return nullptr;
  auto it = stubs_.find(method.substr(0, slash));
  return it == stubs_.end() ? nullptr : it->second.get();
}

Gateway::Gateway(const Authenticator& auth, const Policy& policy, Backends& backends,
                 const Clock& clock, Limits limits, std::string identity_key)
    : identity_key_(std::move(identity_key)),
      auth_(auth),
      policy_(policy),
      backends_(backends),
      clock_(clock),
      limits_(limits),
      by_principal_(limits.principal_rate, limits.principal_burst, clock),
      by_address_(limits.address_rate, limits.address_burst, clock) {}

absl::StatusOr<Principal> Gateway::Admit(const Incoming& in) {
  if (policy_.Internal(in.method) || backends_.For(in.method) == nullptr) {
    return Error(absl::StatusCode::kNotFound, "METHOD_NOT_FOUND", "no such method");
  }
  if (auto wait = by_address_.Take(absl::StrCat("address:", in.peer))) return RateLimited(*wait);
  absl::StatusOr<Principal> p;
  if (!in.api_key.empty()) {
    p = auth_.VerifyApiKey(in.api_key);
  } else if (absl::StartsWith(in.authorization, "Bearer ")) {
    p = auth_.VerifyToken(absl::string_view(in.authorization).substr(7), clock_.Now());
  } else {
    return Error(absl::StatusCode::kUnauthenticated, "CREDENTIALS_MISSING",
                 "send a bearer token (Authorization) or an API key (x-api-key)");
  }
  if (!p.ok()) return p.status();
  if (auto wait = by_principal_.Take(absl::StrCat(p->role, ":", p->subject))) {
    return RateLimited(*wait);
  }
  if (absl::Status s = policy_.Check(*p, in.method); !s.ok()) return s;
  return p;
}

void Gateway::Forward(const Incoming& in, const Principal& p, grpc::ByteBuffer request,
                      std::unique_ptr<grpc::ClientContext> ctx, Done done) {
  grpc::GenericStub* stub = backends_.For(in.method);
  if (stub == nullptr) {
    done(ToGrpcStatus(Error(absl::StatusCode::kNotFound, "METHOD_NOT_FOUND", "no such method"),
                      in.request_id),
         {});
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (in_flight_ >= limits_.max_in_flight) {
      done(ToGrpcStatus(Error(absl::StatusCode::kResourceExhausted, "GATEWAY_BUSY",
                              "too many calls in flight; retry shortly"),
                        in.request_id),
           {});
      return;
    }
    ++in_flight_;
  }
  const absl::Time latest = clock_.Now() + limits_.default_deadline;
  const absl::Time deadline = std::min(in.deadline, latest);
  if (absl::FromChrono(ctx->deadline()) > deadline) ctx->set_deadline(absl::ToChronoTime(deadline));
  if (!in.traceparent.empty()) ctx->AddMetadata(server::kTraceparentHeader, in.traceparent);
  server::SetIdentity(*ctx, identity_key_, p.role, p.subject, p.unit_id,
                      in.request_id.empty() ? server::NewRequestId() : in.request_id);
  struct Call {
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
  };
  auto call = std::make_shared<Call>(Call{std::move(ctx), std::move(request), {}});
  stub->UnaryCall(call->ctx.get(), absl::StrCat("/", in.method), grpc::StubOptions(),
                  &call->request, &call->response,
                  [this, call, done = std::move(done)](grpc::Status s) {
                    {
                      absl::MutexLock lock(&mu_);
                      --in_flight_;
                    }
                    done(s, std::move(call->response));
                  });
}

absl::Status Gateway::Call(const Incoming& in, const Principal& p,
                           const google::protobuf::Message& request,
                           google::protobuf::Message* response) {
  std::string bytes;
  request.SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  absl::Notification finished;
  grpc::Status status;
  grpc::ByteBuffer answer;
  Forward(in, p, grpc::ByteBuffer(&slice, 1), std::make_unique<grpc::ClientContext>(),
          [&](const grpc::Status& s, grpc::ByteBuffer r) {
            status = s;
            answer = std::move(r);
            finished.Notify();
          });
  finished.WaitForNotification();
  if (!status.ok()) return FromGrpcStatus(status);
  std::vector<grpc::Slice> slices;
  std::string raw;
  if (answer.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      raw.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  if (!response->ParseFromString(raw)) {
    return absl::InternalError("the backend's answer could not be read");
  }
  return absl::OkStatus();
}

grpc::ServerGenericBidiReactor* ProxyService::CreateReactor(
    grpc::GenericCallbackServerContext* ctx) {
  return new ProxyReactor(ctx, gateway_);  // deletes itself in OnDone (gRPC's callback API)
}

}  // namespace jiban::gateway
