#include "libs/server/metrics_http.h"

#include <CivetServer.h>

#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"

namespace jiban::server {

class MetricsEndpoint::Handler final : public CivetHandler {
 public:
  explicit Handler(std::shared_ptr<prometheus::Registry> registry)
      : registry_(std::move(registry)) {}

  bool handleGet(CivetServer*, mg_connection* conn) override {
    const std::string body = prometheus::TextSerializer().Serialize(registry_->Collect());
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
              "Connection: close\r\n\r\n",
              kMetricsContentType, body.size());
    mg_write(conn, body.data(), body.size());
    return true;
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry) {
  auto endpoint = std::make_unique<MetricsEndpoint>();
  endpoint->registry_ = registry;
  endpoint->handler_ = std::make_unique<Handler>(std::move(registry));
  try {
    endpoint->server_ = std::make_unique<CivetServer>(std::vector<std::string>{
        "listening_ports", address, "num_threads", "2", "enable_keep_alive", "no"});
  } catch (const CivetException&) {
    return absl::UnavailableError(absl::StrCat("cannot listen for /metrics on ", address));
  }
  endpoint->server_->addHandler("/metrics", endpoint->handler_.get());
  auto ports = endpoint->server_->getListeningPorts();
  endpoint->port_ = ports.empty() ? 0 : ports.front();
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  if (server_) server_->close();
}

}  // namespace jiban::server
