// jiban: one binary for every service (the container image runs it with the service's name) and
// the all-in-one developer mode.
//
//   jiban dev                 every service in one process on SQLite files (JIBAN_DATA_DIR)
//   jiban demo                the guided demo (services/jiban/demo.h)
//   jiban intake              the intake service alone (same configuration as jiban-intake)
//   jiban routing [train ...] the routing service alone (same as jiban-routing)
//   jiban escalation          the escalation service alone (same as jiban-escalation)
//   jiban assessment          the assessment service alone (same as jiban-assessment)
//   jiban bundle              the bundle service alone (same as jiban-bundle)
//   jiban gateway [mint ...]  the gateway alone (same as jiban-gateway), or a demo token
//   jiban <service> migrate   apply the service's database migrations and exit
//   jiban ctl ...             the command-line client (same as jibanctl)
#include <iostream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/server/server.h"
#include "services/assessment/app.h"
#include "services/assessment/sql_store.h"
#include "services/bundle/app.h"
#include "services/bundle/sql_store.h"
#include "services/cli/cli.h"
#include "services/escalation/app.h"
#include "services/escalation/sql_store.h"
#include "services/gateway/app.h"
#include "services/intake/app.h"
#include "services/intake/sql_store.h"
#include "services/jiban/demo.h"
#include "services/jiban/suite.h"
#include "services/routing/app.h"
#include "services/routing/sql_store.h"

namespace {

int Usage() {
  std::cerr
      << "usage: jiban dev | jiban intake | jiban routing [train ...] | jiban escalation |\n"
         "       jiban assessment | jiban bundle\n"
         "  dev      run every service in one process on SQLite files\n"
         "           (JIBAN_DATA_DIR, default ./jiban-data; JIBAN_DEV_HOST, default "
         "127.0.0.1)\n"
         "  demo     a guided tour: the suite in-process, a few dozen requests through it\n"
         "           ([--pace=SECONDS] [--model=CLASSIFIER] [--data-dir=DIR])\n"
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
         "           `gateway mint --role=ROLE --subject=NAME` for a demo token\n"
         "  <service> migrate  apply the service's migrations to JIBAN_DB_DSN and exit\n"
         "  ctl      the command-line client over the gateway (`jiban ctl --help`)\n";
  return 2;
}

int RunDev() {
  jiban::server::Env env;
  const std::string data_dir = env.String("JIBAN_DATA_DIR", "./jiban-data");
  const std::string host = env.String("JIBAN_DEV_HOST", "127.0.0.1");
  // The README's ports (gRPC 8080-8085, HTTP 8000, metrics 9090-9095) unless told to take any
  // free ones (tests, or a second copy beside the first).
  const bool any_ports = env.Bool("JIBAN_DEV_ANY_PORTS", false);
  if (auto s = env.Validate(); !s.ok()) {
    std::cerr << "jiban dev: " << s.message() << "\n";
    return 2;
  }
  auto suite = jiban::suite::Suite::Start(
      {.data_dir = data_dir, .host = host, .standard_ports = !any_ports});
  if (!suite.ok()) {
    std::cerr << "jiban dev: " << suite.status().message() << "\n";
    return 1;
  }
  std::cerr << "\nJiban dev mode is up (data in " << data_dir << ")\n";
  (*suite)->PrintAddresses(std::cerr);
  if ((*suite)->model_file().empty()) {
    std::cerr << "  (routing places by rules only: no classifier.model in the data directory)\n";
  }
  const std::string http = absl::StrCat("http://", host, ":", (*suite)->http_port());
  std::cerr
      << "  gateway     HTTP/JSON " << http << "/v1/<package.Service>/<Method>\n"
      << "Try:  export JIBAN_TOKEN=$(JIBAN_AUTH_FILE=" << (*suite)->auth_path()
      << " jiban gateway mint --role=window_clerk --subject=clerk-1)\n"
      << "      jibanctl submit --title=路灯不亮 --text=小区门口路灯坏了一周 \\\n"
      << "        --district=410202 --name=张三 --phone=13800138000\n"
      << "      curl -H \"Authorization: Bearer $JIBAN_TOKEN\" -d @docs/examples/submit.json \\\n"
      << "        " << http << "/v1/jiban.intake.v1.IntakeService/SubmitRequest\n"
      << "Stop with Ctrl-C.\n\n";
  jiban::server::WaitForTerminationSignal();
  return 0;  // the suite drains as it goes out of scope
}

// `jiban <service> migrate`: applies the service's pending migrations to the database
// JIBAN_DB_DSN names and exits (0 done, 1 failed, 2 bad configuration) — the Kubernetes migration
// Job, run with a user that owns the schema, before the service starts with JIBAN_DB_MIGRATE=check.
int RunMigrate(const std::string& service) {
  using Migrations = std::vector<jiban::db::MigrationSet> (*)(jiban::db::Dialect);
  const std::map<std::string, Migrations> services = {{"intake", jiban::intake::Migrations},
                                                      {"routing", jiban::routing::Migrations},
                                                      {"escalation", jiban::escalation::Migrations},
                                                      {"assessment", jiban::assessment::Migrations},
                                                      {"bundle", jiban::bundle::Migrations}};
  const auto it = services.find(service);
  if (it == services.end()) return Usage();
  jiban::server::Env env;
  const std::string dsn = env.Secret("JIBAN_DB_DSN");
  if (auto s = env.Validate(); !s.ok()) {
    std::cerr << "jiban " << service << " migrate: " << s.message() << "\n";
    return 2;
  }
  auto db = jiban::db::Database::Open(dsn, {.pool_size = 1});
  absl::Status done =
      db.ok() ? jiban::db::Migrate(**db, it->second((*db)->dialect())) : db.status();
  if (!done.ok()) {
    std::cerr << "jiban " << service << " migrate: " << done.message() << "\n";
    return 1;
  }
  std::cout << "jiban " << service << " migrate: schema up to date\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  jiban::server::BlockTerminationSignals();
  if (argc < 2) return Usage();
  const std::string command = argv[1];
  if (command == "dev") return RunDev();
  if (command == "demo") {
    return jiban::suite::RunDemo(std::vector<std::string>(argv + 2, argv + argc), std::cout);
  }
  if (argc == 3 && std::string(argv[2]) == "migrate") return RunMigrate(command);
  if (command == "ctl") {
    return jiban::cli::Run(std::vector<std::string>(argv + 2, argv + argc), std::cout, std::cerr);
  }
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
