// jiban: one binary for every service (the container image runs it with the service's name) and
// the all-in-one developer mode.
//
//   jiban dev                 every service in one process on SQLite files (JIBAN_DATA_DIR)
//   jiban intake              the intake service alone (same configuration as jiban-intake)
//   jiban routing [train ...] the routing service alone (same as jiban-routing)
//   jiban escalation          the escalation service alone (same as jiban-escalation)
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/crypto/sealer.h"
#include "libs/server/server.h"
#include "services/escalation/app.h"
#include "services/intake/app.h"
#include "services/routing/app.h"

namespace {

int Usage() {
  std::cerr << "usage: jiban dev | jiban intake | jiban routing [train ...] | jiban escalation\n"
               "  dev      run every service in one process on SQLite files\n"
               "           (JIBAN_DATA_DIR, default ./jiban-data; JIBAN_DEV_HOST, default "
               "127.0.0.1)\n"
               "  intake   run the intake service (JIBAN_DB_DSN, JIBAN_GRPC_ADDR, ...)\n"
               "  routing  run the routing service (JIBAN_DB_DSN, JIBAN_INTAKE_ADDR, ...), or\n"
               "           `routing train --data=FILE --out=MODEL` to build its classifier\n"
               "  escalation  run the escalation service (JIBAN_DB_DSN, JIBAN_ROUTING_ADDR, ...)\n";
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
  jiban::server::ServerOptions intake_options{.name = "intake",
                                              .grpc_address = absl::StrCat(host, ":8081"),
                                              .metrics_address = absl::StrCat(host, ":9091"),
                                              .drain_timeout = absl::Seconds(5)};
  jiban::server::Server intake_server(intake_options, &std::cout);
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
  jiban::intake::IntakeConfig intake_config{
      .db_dsn = absl::StrCat("sqlite:", (std::filesystem::path(data_dir) / "intake.db").string()),
      .field_keys = keys.str()};
  auto intake = jiban::intake::IntakeApp::Create(intake_config, intake_server);
  if (!intake.ok()) {
    std::cerr << "jiban dev: intake: " << intake.status().message() << "\n";
    return 1;
  }
  if (auto s = intake_server.Start(); !s.ok()) {
    std::cerr << "jiban dev: intake: " << s.message() << "\n";
    return 1;
  }
  jiban::server::Server routing_server({.name = "routing",
                                        .grpc_address = absl::StrCat(host, ":8082"),
                                        .metrics_address = absl::StrCat(host, ":9092"),
                                        .drain_timeout = absl::Seconds(5)},
                                       &std::cout);
  // A classifier model trained with `jiban routing train ... --out=<data dir>/classifier.model`
  // is used when present; without one, routing places requests by its rules alone.
  const auto model_path = std::filesystem::path(data_dir) / "classifier.model";
  jiban::routing::RoutingConfig routing_config{
      .db_dsn = absl::StrCat("sqlite:", (std::filesystem::path(data_dir) / "routing.db").string()),
      .intake_address = absl::StrCat(host, ":", intake_server.grpc_port()),
      .model_file = std::filesystem::exists(model_path) ? model_path.string() : ""};
  auto routing = jiban::routing::RoutingApp::Create(routing_config, routing_server);
  if (!routing.ok()) {
    std::cerr << "jiban dev: routing: " << routing.status().message() << "\n";
    return 1;
  }
  if (auto s = routing_server.Start(); !s.ok()) {
    std::cerr << "jiban dev: routing: " << s.message() << "\n";
    return 1;
  }
  if (auto s = (*intake)->FollowRouting(absl::StrCat(host, ":", routing_server.grpc_port()),
                                        intake_server.metrics());
      !s.ok()) {
    std::cerr << "jiban dev: intake: " << s.message() << "\n";
    return 1;
  }
  jiban::server::Server escalation_server({.name = "escalation",
                                           .grpc_address = absl::StrCat(host, ":8083"),
                                           .metrics_address = absl::StrCat(host, ":9093"),
                                           .drain_timeout = absl::Seconds(5)},
                                          &std::cout);
  auto escalation = jiban::escalation::EscalationApp::Create(
      {.db_dsn =
           absl::StrCat("sqlite:", (std::filesystem::path(data_dir) / "escalation.db").string()),
       .routing_address = absl::StrCat(host, ":", routing_server.grpc_port())},
      escalation_server);
  if (!escalation.ok()) {
    std::cerr << "jiban dev: escalation: " << escalation.status().message() << "\n";
    return 1;
  }
  if (auto s = escalation_server.Start(); !s.ok()) {
    std::cerr << "jiban dev: escalation: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "\nJiban dev mode is up (data in " << data_dir << ")\n"
            << "  intake   gRPC " << host << ":" << intake_server.grpc_port()
            << "   metrics http://" << host << ":" << intake_server.metrics_port() << "/metrics\n"
            << "  routing  gRPC " << host << ":" << routing_server.grpc_port()
            << "   metrics http://" << host << ":" << routing_server.metrics_port() << "/metrics"
            << (routing_config.model_file.empty() ? "   (rules only: no classifier.model)" : "")
            << "\n"
            << "  escalation gRPC " << host << ":" << escalation_server.grpc_port()
            << "   metrics http://" << host << ":" << escalation_server.metrics_port()
            << "/metrics\n"
            << "Try:  tools/node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge \\\n"
            << "        http://" << host << ":" << intake_server.grpc_port()
            << "/jiban.intake.v1.IntakeService/SubmitRequest -d @docs/examples/submit.json\n"
            << "Stop with Ctrl-C.\n\n";
  // SIGTERM drains the followers first (each reads the previous one's stream).
  jiban::server::WaitForTerminationSignal();
  escalation_server.Shutdown();
  routing_server.Shutdown();
  intake_server.Shutdown();
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
  if (command == "routing") {
    return jiban::routing::RunStandalone("jiban routing",
                                         std::vector<std::string>(argv + 2, argv + argc));
  }
  return Usage();
}
