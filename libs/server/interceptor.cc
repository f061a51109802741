#include "libs/server/interceptor.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/server/call.h"
#include "libs/status/status.h"

namespace jiban::server {
namespace {

const prometheus::Histogram::BucketBoundaries& Buckets() {
  // client_golang's DefBuckets, which dashboards built for go-grpc-prometheus assume.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

class ObservabilityInterceptor final : public grpc::experimental::Interceptor {
 public:
  ObservabilityInterceptor(grpc::experimental::ServerRpcInfo* info, RpcMetrics& metrics,
                           Logger& logger, const std::string& identity_key)
      : metrics_(metrics), logger_(logger), identity_key_(identity_key), start_(absl::Now()) {
    // "/pkg.Service/Method"
    std::string full = info->method() ? info->method() : "";
    const size_t slash = full.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      service_ = full.substr(1, slash - 1);
      method_ = full.substr(slash + 1);
    } else {
      service_ = "unknown";
      method_ = full;
    }
    using Type = grpc::experimental::ServerRpcInfo::Type;
    type_ = GrpcTypeName(
        info->type() == Type::CLIENT_STREAMING || info->type() == Type::BIDI_STREAMING,
        info->type() == Type::SERVER_STREAMING || info->type() == Type::BIDI_STREAMING);
    metrics_.started
        .Add({{"grpc_type", type_}, {"grpc_service", service_}, {"grpc_method", method_}})
        .Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using Hook = grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_INITIAL_METADATA)) {
      NormaliseMetadata(methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_MESSAGE)) {
      unreadable_ = methods->GetRecvMessage() == nullptr;
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      const grpc::Status sent = methods->GetSendStatus();
      grpc::StatusCode code = sent.error_code();
      if (unreadable_ && code == grpc::StatusCode::INTERNAL && sent.error_details().empty()) {
        // gRPC answers a request it cannot parse (a string field that is not UTF-8, a truncated
        // message) with a bare INTERNAL before any handler runs (ours always carry details); it
        // is the caller's input.
        methods->ModifySendStatus(ToGrpcStatus(
            InvalidArgument("UNREADABLE_REQUEST",
                            {{"request", absl::StrCat("not a readable ", method_,
                                                      " request; string fields must be UTF-8")}}),
            request_id_, trace_.trace_id));
        code = grpc::StatusCode::INVALID_ARGUMENT;
      }
      Finish(code);
    }
    methods->Proceed();
  }

 private:
  // Ensures x-request-id and a valid traceparent (with a span id of this server's own) are in the
  // call's metadata. The map holds views; the strings they view live in this interceptor, which
  // outlives the handler.
  void NormaliseMetadata(std::multimap<grpc::string_ref, grpc::string_ref>* md) {
    auto request = md->find(kRequestIdHeader);
    if (request == md->end() || request->second.empty() || request->second.size() > 128) {
      if (request != md->end()) md->erase(request);
      request_id_ = NewRequestId();
      md->emplace(kRequestIdHeader, grpc::string_ref(request_id_));
    } else {
      request_id_.assign(request->second.data(), request->second.size());
    }
    auto tp = md->find(kTraceparentHeader);
    std::optional<TraceContext> incoming;
    if (tp != md->end()) {
      incoming = ParseTraceparent(absl::string_view(tp->second.data(), tp->second.size()));
      md->erase(tp);
    }
    trace_.trace_id = incoming ? incoming->trace_id : NewTraceId();
    trace_.flags = incoming ? incoming->flags : "01";
    trace_.span_id = NewSpanId();
    traceparent_ = trace_.Header();
    md->emplace(kTraceparentHeader, grpc::string_ref(traceparent_));
    if (!identity_key_.empty()) DropUnsignedIdentity(md);
  }

  // With an identity key, only a caller holding it can name who a call is for.
  void DropUnsignedIdentity(std::multimap<grpc::string_ref, grpc::string_ref>* md) {
    const auto value = [&](const char* key) {
      auto it = md->find(key);
      return it == md->end() ? std::string() : std::string(it->second.data(), it->second.size());
    };
    const std::string expected =
        IdentitySignature(identity_key_, value("x-jiban-role"), value("x-jiban-subject"),
                          value("x-jiban-unit"), request_id_);
    const std::string given = value(kIdentitySignatureHeader);
    if (given.size() == expected.size() &&
        CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0) {
      return;
    }
    for (const char* key :
         {"x-jiban-role", "x-jiban-subject", "x-jiban-unit", kIdentitySignatureHeader}) {
      md->erase(key);
    }
  }

  void Finish(grpc::StatusCode code) {
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    const char* code_name = GrpcCodeName(code);
    metrics_.handled
        .Add({{"grpc_type", type_},
              {"grpc_service", service_},
              {"grpc_method", method_},
              {"grpc_code", code_name}})
        .Increment();
    metrics_.handling_seconds
        .Add({{"grpc_type", type_}, {"grpc_service", service_}, {"grpc_method", method_}},
             Buckets())
        .Observe(seconds);
    nlohmann::json fields = {{"grpc.service", service_},  {"grpc.method", method_},
                             {"grpc.code", code_name},    {"duration_seconds", seconds},
                             {"request_id", request_id_}, {"trace_id", trace_.trace_id},
                             {"span_id", trace_.span_id}};
    if (code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
        code == grpc::StatusCode::DATA_LOSS) {
      logger_.Error("rpc", std::move(fields));
    } else {
      logger_.Info("rpc", std::move(fields));
    }
  }

  RpcMetrics& metrics_;
  Logger& logger_;
  const std::string& identity_key_;
  const absl::Time start_;
  std::string service_, method_, type_;
  std::string request_id_, traceparent_;
  TraceContext trace_;
  bool unreadable_ = false;  // the request message failed to parse
};

}  // namespace

const char* GrpcCodeName(int code) {
  static constexpr const char* kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  if (code < 0 || code > 16) return "Unknown";
  return kNames[code];
}

const char* GrpcTypeName(bool client_streaming, bool server_streaming) {
  if (client_streaming) return server_streaming ? "bidi_stream" : "client_stream";
  return server_streaming ? "server_stream" : "unary";
}

RpcMetrics::RpcMetrics(prometheus::Registry& registry)
    : started(prometheus::BuildCounter()
                  .Name("grpc_server_started_total")
                  .Help("Total number of RPCs started on the server.")
                  .Register(registry)),
      handled(prometheus::BuildCounter()
                  .Name("grpc_server_handled_total")
                  .Help("Total number of RPCs completed on the server, regardless of success or "
                        "failure.")
                  .Register(registry)),
      handling_seconds(prometheus::BuildHistogram()
                           .Name("grpc_server_handling_seconds")
                           .Help("Histogram of response latency (seconds) of gRPC that had been "
                                 "application-level handled by the server.")
                           .Register(registry)) {}

void RpcMetrics::Initialize(const std::string& grpc_service,
                            const std::vector<std::string>& methods,
                            const std::vector<std::string>& types) {
  for (size_t i = 0; i < methods.size(); ++i) {
    prometheus::Labels base{
        {"grpc_type", types[i]}, {"grpc_service", grpc_service}, {"grpc_method", methods[i]}};
    started.Add(base);
    handling_seconds.Add(base, Buckets());
    for (int code = 0; code <= 16; ++code) {
      auto labels = base;
      labels["grpc_code"] = GrpcCodeName(code);
      handled.Add(labels);
    }
  }
}

grpc::experimental::Interceptor* ObservabilityInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  // gRPC takes ownership of the interceptor and deletes it when the call ends.
  return new ObservabilityInterceptor(info, metrics_, logger_, identity_key_);
}

}  // namespace jiban::server
