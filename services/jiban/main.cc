// jiban: one binary for every service (the container image runs it with the service's name) and
// the all-in-one developer mode.
//
//   jiban dev                 every service in one process on SQLite files (JIBAN_DATA_DIR)
//   jiban intake              the intake service alone (same configuration as jiban-intake)
//   jiban routing [train ...] the routing service alone (same as jiban-routing)
//   jiban escalation          the escalation service alone (same as jiban-escalation)
//   jiban assessment          the assessment service alone (same as jiban-assessment)
//   jiban bundle              the bundle service alone (same as jiban-bundle)
//   jiban gateway [mint ...]  the gateway alone (same as jiban-gateway), or a demo token
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/crypto/sealer.h"
#include "libs/server/server.h"
#include "nlohmann/json.hpp"
#include "services/assessment/app.h"
#include "services/bundle/app.h"
#include "services/escalation/app.h"
#include "services/gateway/app.h"
#include "services/intake/app.h"
#include "services/routing/app.h"

namespace {

int Usage() {
  std::cerr
      << "usage: jiban dev | jiban intake | jiban routing [train ...] | jiban escalation |\n"
         "       jiban assessment | jiban bundle\n"
         "  dev      run every service in one process on SQLite files\n"
         "           (JIBAN_DATA_DIR, default ./jiban-data; JIBAN_DEV_HOST, default "
         "127.0.0.1)\n"
         "  intake   run the intake service (JIBAN_DB_DSN, JIBAN_GRPC_ADDR, ...)\n"
         "  routing  run the routing service (JIBAN_DB_DSN, JIBAN_INTAKE_ADDR, ...), or\n"
         "           `routing train --data=FILE --out=MODEL` to build its classifier\n"
         "  escalation  run the escalation service (JIBAN_DB_DSN, JIBAN_ROUTING_ADDR, ...)\n"
         "  assessment  run the assessment service (JIBAN_DB_DSN, JIBAN_INTAKE_ADDR,\n"
         "           JIBAN_ROUTING_ADDR, JIBAN_ESCALATION_ADDR, ...)\n"
         "  bundle   run the bundle service (JIBAN_DB_DSN, JIBAN_FIELD_KEYS, JIBAN_INTAKE_ADDR,\n"
         "           JIBAN_ROUTING_ADDR, ...)\n"
         "  gateway  run the gateway (JIBAN_AUTH_FILE, JIBAN_INTAKE_ADDR, ..., JIBAN_HTTP_ADDR), "
         "or\n"
         "           `gateway mint --role=ROLE --subject=NAME` for a demo token\n";
  return 2;
}

int RunDev() {
  jiban::server::Env env;
  const std::string data_dir = env.String("JIBAN_DATA_DIR", "./jiban-data");
  const std::string host = env.String("JIBAN_DEV_HOST", "127.0.0.1");
  if (auto s = env.Validate(); !s.ok()) {
    std::cerr << "jiban dev: " << s.message() << "\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    std::cerr << "jiban dev: cannot create JIBAN_DATA_DIR " << data_dir << ": " << ec.message()
              << "\n";
    return 2;
  }
  auto sqlite = [&](const char* name) {
    return absl::StrCat("sqlite:", (std::filesystem::path(data_dir) / name).string());
  };
  // One server per service, on the ports the standalone services use by default.
  std::vector<std::unique_ptr<jiban::server::Server>> servers;
  auto server = [&](const char* name, int grpc_port) -> jiban::server::Server& {
    servers.push_back(std::make_unique<jiban::server::Server>(
        jiban::server::ServerOptions{.name = name,
                                     .grpc_address = absl::StrCat(host, ":", grpc_port),
                                     .metrics_address = absl::StrCat(host, ":", grpc_port + 1010),
                                     .drain_timeout = absl::Seconds(5)},
        &std::cout));
    return *servers.back();
  };
  auto address = [&](const jiban::server::Server& s) {
    return absl::StrCat(host, ":", s.grpc_port());
  };
  // Starts a created service; false (after saying why) when creating or starting it failed.
  auto started = [](const char* name, const auto& app, jiban::server::Server& s) {
    absl::Status status = app.ok() ? s.Start() : app.status();
    if (!status.ok()) std::cerr << "jiban dev: " << name << ": " << status.message() << "\n";
    return status.ok();
  };

  // Development keys for sealed personal data, made once per data directory (never in production:
  // there the keys come from a Kubernetes Secret).
  const auto keys_path = std::filesystem::path(data_dir) / "field-keys";
  if (!std::filesystem::exists(keys_path)) {
    std::ofstream(keys_path) << jiban::crypto::Sealer::NewSpec("dev1");
    std::filesystem::permissions(
        keys_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  std::stringstream keys;
  keys << std::ifstream(keys_path).rdbuf();
  auto& intake_server = server("intake", 8081);
  auto intake = jiban::intake::IntakeApp::Create(
      {.db_dsn = sqlite("intake.db"), .field_keys = keys.str()}, intake_server);
  if (!started("intake", intake, intake_server)) return 1;

  // A classifier model trained with `jiban routing train ... --out=<data dir>/classifier.model`
  // is used when present; without one, routing places requests by its rules alone.
  const auto model_path = std::filesystem::path(data_dir) / "classifier.model";
  auto& routing_server = server("routing", 8082);
  jiban::routing::RoutingConfig routing_config{
      .db_dsn = sqlite("routing.db"),
      .intake_address = address(intake_server),
      .model_file = std::filesystem::exists(model_path) ? model_path.string() : ""};
  auto routing = jiban::routing::RoutingApp::Create(routing_config, routing_server);
  if (!started("routing", routing, routing_server)) return 1;
  if (auto s = (*intake)->FollowRouting(address(routing_server), intake_server.metrics());
      !s.ok()) {
    std::cerr << "jiban dev: intake: " << s.message() << "\n";
    return 1;
  }

  auto& escalation_server = server("escalation", 8083);
  auto escalation = jiban::escalation::EscalationApp::Create(
      {.db_dsn = sqlite("escalation.db"), .routing_address = address(routing_server)},
      escalation_server);
  if (!started("escalation", escalation, escalation_server)) return 1;

  auto& assessment_server = server("assessment", 8084);
  auto assessment =
      jiban::assessment::AssessmentApp::Create({.db_dsn = sqlite("assessment.db"),
                                                .intake_address = address(intake_server),
                                                .routing_address = address(routing_server),
                                                .escalation_address = address(escalation_server)},
                                               assessment_server);
  if (!started("assessment", assessment, assessment_server)) return 1;

  auto& bundle_server = server("bundle", 8085);
  auto bundle = jiban::bundle::BundleApp::Create({.db_dsn = sqlite("bundle.db"),
                                                  .field_keys = keys.str(),
                                                  .intake_address = address(intake_server),
                                                  .routing_address = address(routing_server)},
                                                 bundle_server);
  if (!started("bundle", bundle, bundle_server)) return 1;

  // The gateway, with a development signing key made once per data directory: demo tokens come
  // from `jiban gateway mint` with this file (production: the city's identity provider).
  const auto auth_path = std::filesystem::path(data_dir) / "gateway-auth.json";
  if (!std::filesystem::exists(auth_path)) {
    std::ofstream(auth_path) << nlohmann::json{
        {"issuer", "jiban-dev"},
        {"audience", "jiban"},
        {"keys",
         {{{"kid", "dev1"},
           {"alg", "HS256"},
           {"secret", absl::Base64Escape(jiban::crypto::RandomBytes(
                          32))}}}}}.dump(2);
    std::filesystem::permissions(
        auth_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  std::stringstream auth;
  auth << std::ifstream(auth_path).rdbuf();
  auto& gateway_server = server("gateway", 8080);
  jiban::gateway::GatewayConfig gateway_config{.auth_json = auth.str(),
                                               .http_address = absl::StrCat(host, ":8000")};
  for (const auto& [service, s] : {std::pair{"jiban.intake.v1.IntakeService", &intake_server},
                                   {"jiban.routing.v1.RoutingService", &routing_server},
                                   {"jiban.escalation.v1.EscalationService", &escalation_server},
                                   {"jiban.assessment.v1.AssessmentService", &assessment_server},
                                   {"jiban.bundle.v1.BundleService", &bundle_server}}) {
    gateway_config.backends[service] = address(*s);
  }
  auto gateway = jiban::gateway::GatewayApp::Create(gateway_config, gateway_server);
  if (!started("gateway", gateway, gateway_server)) return 1;

  std::cerr << "\nJiban dev mode is up (data in " << data_dir << ")\n";
  for (const auto& s : servers) {
    std::cerr << "  " << absl::StrFormat("%-11s", s->name()) << " gRPC " << address(*s)
              << "   metrics http://" << host << ":" << s->metrics_port() << "/metrics\n";
  }
  if (routing_config.model_file.empty()) {
    std::cerr << "  (routing places by rules only: no classifier.model in the data directory)\n";
  }
  std::cerr << "  gateway     HTTP/JSON http://" << host << ":" << (*gateway)->http_port()
            << "/v1/<package.Service>/<Method>\n"
            << "Try:  TOKEN=$(JIBAN_AUTH_FILE=" << auth_path.string()
            << " jiban gateway mint --role=window_clerk --subject=clerk-1)\n"
            << "      curl -H \"Authorization: Bearer $TOKEN\" -d @docs/examples/submit.json \\\n"
            << "        http://" << host << ":" << (*gateway)->http_port()
            << "/v1/jiban.intake.v1.IntakeService/SubmitRequest\n"
            << "Stop with Ctrl-C.\n\n";
  // SIGTERM drains the followers first (each reads the earlier ones' streams).
  jiban::server::WaitForTerminationSignal();
  for (auto it = servers.rbegin(); it != servers.rend(); ++it) (*it)->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  jiban::server::BlockTerminationSignals();
  if (argc < 2) return Usage();
  const std::string command = argv[1];
  if (command == "dev") return RunDev();
  if (command == "intake") return jiban::intake::RunStandalone("jiban intake");
  if (command == "escalation") {
    return jiban::escalation::RunStandalone("jiban escalation",
                                            std::vector<std::string>(argv + 2, argv + argc));
  }
  if (command == "assessment") {
    return jiban::assessment::RunStandalone("jiban assessment",
                                            std::vector<std::string>(argv + 2, argv + argc));
  }
  if (command == "bundle") return jiban::bundle::RunStandalone("jiban bundle");
  if (command == "gateway") {
    return jiban::gateway::RunStandalone("jiban gateway",
                                         std::vector<std::string>(argv + 2, argv + argc));
  }
  if (command == "routing") {
    return jiban::routing::RunStandalone("jiban routing",
                                         std::vector<std::string>(argv + 2, argv + argc));
  }
  return Usage();
}
