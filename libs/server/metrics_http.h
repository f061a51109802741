// GET /metrics in the Prometheus text format on its own port. Written over civetweb instead of
// prometheus-cpp's Exposer because the Exposer (1.0.1) answers without `version=0.0.4` in its
// Content-Type, which strict scrapers reject.
#ifndef JIBAN_LIBS_SERVER_METRICS_HTTP_H_
#define JIBAN_LIBS_SERVER_METRICS_HTTP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/registry.h"

class CivetServer;

namespace jiban::server {

inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

class MetricsEndpoint {
 public:
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address, std::shared_ptr<prometheus::Registry> registry);
  MetricsEndpoint() = default;  // use Start
  ~MetricsEndpoint();
  int port() const { return port_; }

  class Handler;  // civetweb request handler (defined in the .cc)

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<CivetServer> server_;
  int port_ = 0;
};

}  // namespace jiban::server

#endif  // JIBAN_LIBS_SERVER_METRICS_HTTP_H_
