#include "services/jiban/suite.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/crypto/sealer.h"
#include "libs/status/macros.h"
#include "nlohmann/json.hpp"

namespace jiban::suite {
namespace {

namespace fs = std::filesystem;

// Reads `path`, first writing it (owner-only) with `make()` when it does not exist.
std::string MadeOnce(const fs::path& path, const std::function<std::string()>& make) {
  if (!fs::exists(path)) {
    std::ofstream(path) << make();
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  }
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Suite>> Suite::Start(const SuiteOptions& options) {
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", options.data_dir, ": ", ec.message()));
  }
  auto suite = std::make_unique<Suite>();
  suite->host_ = options.host;
  std::ostream* log = options.log != nullptr ? options.log : &std::cout;
  auto sqlite = [&](const char* name) {
    return absl::StrCat("sqlite:", (fs::path(options.data_dir) / name).string());
  };
  auto make_server = [&](const char* name, int grpc_port) -> server::Server& {
    const int metrics_port = options.standard_ports ? grpc_port + 1010 : 0;
    if (!options.standard_ports) grpc_port = 0;
    suite->servers_.push_back(std::make_unique<server::Server>(
        server::ServerOptions{.name = name,
                              .grpc_address = absl::StrCat(options.host, ":", grpc_port),
                              .metrics_address = absl::StrCat(options.host, ":", metrics_port),
                              .drain_timeout = absl::Seconds(5)},
        log));
    return *suite->servers_.back();
  };
  auto address = [&](const server::Server& s) {
    return absl::StrCat(options.host, ":", s.grpc_port());
  };
  // Creates, keeps and starts one service.
  auto start = [](const char* name, auto app, auto& keep, server::Server& s) -> absl::Status {
    absl::Status status = app.ok() ? s.Start() : app.status();
    if (!status.ok())
      return absl::Status(status.code(), absl::StrCat(name, ": ", status.message()));
    keep = std::move(*app);
    return absl::OkStatus();
  };

  const std::string keys = MadeOnce(fs::path(options.data_dir) / "field-keys",
                                    [] { return crypto::Sealer::NewSpec("dev1"); });
  auto& intake_server = make_server("intake", 8081);
  JIBAN_RETURN_IF_ERROR(start(
      "intake",
      intake::IntakeApp::Create({.db_dsn = sqlite("intake.db"), .field_keys = keys}, intake_server),
      suite->intake_, intake_server));

  // A classifier model trained with `jiban routing train ... --out=<data dir>/classifier.model`
  // is used when present; without one, routing places requests by its rules alone.
  const auto model_path = fs::path(options.data_dir) / "classifier.model";
  suite->model_file_ = fs::exists(model_path) ? model_path.string() : "";
  auto& routing_server = make_server("routing", 8082);
  JIBAN_RETURN_IF_ERROR(start("routing",
                              routing::RoutingApp::Create({.db_dsn = sqlite("routing.db"),
                                                           .intake_address = address(intake_server),
                                                           .model_file = suite->model_file_},
                                                          routing_server),
                              suite->routing_, routing_server));
  JIBAN_RETURN_IF_ERROR(suite->intake_->FollowRouting(address(routing_server), intake_server));

  auto& escalation_server = make_server("escalation", 8083);
  JIBAN_RETURN_IF_ERROR(
      start("escalation",
            escalation::EscalationApp::Create(
                {.db_dsn = sqlite("escalation.db"), .routing_address = address(routing_server)},
                escalation_server, options.clock),
            suite->escalation_, escalation_server));

  auto& assessment_server = make_server("assessment", 8084);
  JIBAN_RETURN_IF_ERROR(
      start("assessment",
            assessment::AssessmentApp::Create({.db_dsn = sqlite("assessment.db"),
                                               .intake_address = address(intake_server),
                                               .routing_address = address(routing_server),
                                               .escalation_address = address(escalation_server)},
                                              assessment_server, options.clock),
            suite->assessment_, assessment_server));

  auto& bundle_server = make_server("bundle", 8085);
  JIBAN_RETURN_IF_ERROR(
      start("bundle",
            bundle::BundleApp::Create({.db_dsn = sqlite("bundle.db"),
                                       .field_keys = keys,
                                       .intake_address = address(intake_server),
                                       .routing_address = address(routing_server)},
                                      bundle_server),
            suite->bundle_, bundle_server));

  // The gateway, with a development signing key: demo tokens come from `jiban gateway mint` with
  // this file (production: the city's identity provider).
  suite->auth_path_ = (fs::path(options.data_dir) / "gateway-auth.json").string();
  const std::string auth = MadeOnce(suite->auth_path_, [] {
    return nlohmann::json{{"issuer", "jiban-dev"},
                          {"audience", "jiban"},
                          {"keys",
                           {{{"kid", "dev1"},
                             {"alg", "HS256"},
                             {"secret", absl::Base64Escape(crypto::RandomBytes(32))}}}}}
        .dump(2);
  });
  auto& gateway_server = make_server("gateway", 8080);
  gateway::GatewayConfig gateway_config{
      .auth_json = auth,
      .http_address = absl::StrCat(options.host, ":", options.standard_ports ? 8000 : 0),
      .limits = options.gateway_limits};
  for (const auto& [service, s] : {std::pair{"jiban.intake.v1.IntakeService", &intake_server},
                                   {"jiban.routing.v1.RoutingService", &routing_server},
                                   {"jiban.escalation.v1.EscalationService", &escalation_server},
                                   {"jiban.assessment.v1.AssessmentService", &assessment_server},
                                   {"jiban.bundle.v1.BundleService", &bundle_server}}) {
    gateway_config.backends[service] = address(*s);
  }
  JIBAN_RETURN_IF_ERROR(start("gateway",
                              gateway::GatewayApp::Create(gateway_config, gateway_server),
                              suite->gateway_, gateway_server));
  return suite;
}

Suite::~Suite() {
  // Followers first: each reads the earlier ones' event streams.
  for (auto it = servers_.rbegin(); it != servers_.rend(); ++it) (*it)->Shutdown();
}

std::string Suite::gateway_address() const {
  return absl::StrCat(host_, ":", servers_.back()->grpc_port());
}

void Suite::PrintAddresses(std::ostream& out) const {
  for (const auto& s : servers_) {
    out << "  " << absl::StrFormat("%-11s", s->name()) << " gRPC " << host_ << ":" << s->grpc_port()
        << "   metrics http://" << host_ << ":" << s->metrics_port() << "/metrics\n";
  }
}

}  // namespace jiban::suite
