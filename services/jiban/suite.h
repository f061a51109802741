// The whole suite in one process on SQLite files: what `jiban dev` runs and `jiban demo` drives.
// Development only — keys for sealed data and the gateway's signing key are made once per data
// directory (production takes them from Kubernetes Secrets).
#ifndef JIBAN_SERVICES_JIBAN_SUITE_H_
#define JIBAN_SERVICES_JIBAN_SUITE_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/server/server.h"
#include "services/assessment/app.h"
#include "services/bundle/app.h"
#include "services/escalation/app.h"
#include "services/gateway/app.h"
#include "services/intake/app.h"
#include "services/routing/app.h"

namespace jiban::suite {

struct SuiteOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";
  // The standalone services' ports (gRPC 8080..8085, metrics 9090..9095, HTTP 8000); false:
  // ports the kernel chooses.
  bool standard_ports = true;
  // Drives escalation's timers and assessment's "now" (the demo's simulated time); null: the
  // system clock.
  Clock* clock = nullptr;
  std::ostream* log = nullptr;  // the services' JSON lines; null: standard output
  // The gateway's per-caller rates and sizes (a fuzzer or a load test lifts them).
  gateway::Limits gateway_limits;
};

class Suite {
 public:
  static absl::StatusOr<std::unique_ptr<Suite>> Start(const SuiteOptions& options);
  ~Suite();  // drains the followers first

  std::string gateway_address() const;
  int http_port() const { return gateway_->http_port(); }
  // The gateway's auth file (for `jiban gateway mint`) and the routing model used ("" none).
  const std::string& auth_path() const { return auth_path_; }
  const std::string& model_file() const { return model_file_; }
  // One line per service: name, gRPC address, metrics URL.
  void PrintAddresses(std::ostream& out) const;
  escalation::EscalationApp& escalation() { return *escalation_; }
  assessment::AssessmentApp& assessment() { return *assessment_; }
  bundle::BundleApp& bundle() { return *bundle_; }

  Suite() = default;  // use Start

 private:
  std::string host_;
  std::string auth_path_;
  std::string model_file_;
  std::vector<std::unique_ptr<server::Server>> servers_;
  std::unique_ptr<intake::IntakeApp> intake_;
  std::unique_ptr<routing::RoutingApp> routing_;
  std::unique_ptr<escalation::EscalationApp> escalation_;
  std::unique_ptr<assessment::AssessmentApp> assessment_;
  std::unique_ptr<bundle::BundleApp> bundle_;
  std::unique_ptr<gateway::GatewayApp> gateway_;
};

}  // namespace jiban::suite

#endif  // JIBAN_SERVICES_JIBAN_SUITE_H_
