// The server interceptor every Jiban service runs: it normalises request id and trace context
// (see call.h), records the standard gRPC server metrics (go-grpc-prometheus names:
// grpc_server_started_total, grpc_server_handled_total{grpc_code}, grpc_server_handling_seconds)
// and writes one JSON log line per RPC.
#ifndef JIBAN_LIBS_SERVER_INTERCEPTOR_H_
#define JIBAN_LIBS_SERVER_INTERCEPTOR_H_

#include <string>
#include <vector>

#include "grpcpp/support/server_interceptor.h"
#include "libs/server/logging.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace jiban::server {

// grpc-go's names for status codes, as Prometheus users expect them in grpc_code.
const char* GrpcCodeName(int code);
// go-grpc-prometheus's grpc_type: unary, client_stream, server_stream or bidi_stream.
const char* GrpcTypeName(bool client_streaming, bool server_streaming);

class RpcMetrics {
 public:
  explicit RpcMetrics(prometheus::Registry& registry);
  // Creates every (method × code) series at zero so rate() and alerts work from the first scrape.
  void Initialize(const std::string& grpc_service, const std::vector<std::string>& methods,
                  const std::vector<std::string>& types);

  prometheus::Family<prometheus::Counter>& started;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& handling_seconds;
};

class ObservabilityInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `identity_key`: when set, unsigned identity headers are dropped (server::SetIdentity).
  ObservabilityInterceptorFactory(RpcMetrics& metrics, Logger& logger, std::string identity_key)
      : metrics_(metrics), logger_(logger), identity_key_(std::move(identity_key)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  RpcMetrics& metrics_;
  Logger& logger_;
  const std::string identity_key_;
};

}  // namespace jiban::server

#endif  // JIBAN_LIBS_SERVER_INTERCEPTOR_H_
