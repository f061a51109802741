// Wires routing together: database (migrated at start), event log, stores, configuration (unit
// directory, dispatch list, calendar, classifier), the consumer of intake's events, gRPC services,
// readiness and drain. main.cc and `jiban dev` both build a RoutingApp; tests do too.
#ifndef JIBAN_SERVICES_ROUTING_APP_H_
#define JIBAN_SERVICES_ROUTING_APP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/events/consumer.h"
#include "libs/events/event_log.h"
#include "libs/events/service.h"
#include "libs/server/env.h"
#include "libs/server/server.h"
#include "proto/jiban/events/v1/events.pb.h"
#include "services/routing/domain.h"
#include "services/routing/handler.h"
#include "services/routing/sql_store.h"

namespace jiban::routing {

inline constexpr char kServiceName[] = "jiban.routing.v1.RoutingService";

struct RoutingConfig {
  std::string db_dsn;
  int db_pool_size = 16;
  db::MigrateMode migrate = db::MigrateMode::kApply;
  std::string intake_address;               // where intake's event stream is served
  std::string units_file;                   // empty: the shipped directory
  std::string dispatch_list_file;           // empty: the shipped starter list
  std::vector<std::string> calendar_files;  // empty: the shipped years
  std::string model_file;                   // empty: rules only

  // JIBAN_DB_DSN (required), JIBAN_DB_POOL_SIZE, JIBAN_DB_MIGRATE (apply|check),
  // JIBAN_INTAKE_ADDR (required), JIBAN_UNITS_FILE, JIBAN_DISPATCH_LIST_FILE,
  // JIBAN_CALENDAR_FILES (comma list), JIBAN_CLASSIFIER_MODEL.
  static RoutingConfig FromEnv(server::Env& env);
};

// Applies one of intake's events to routing (inside the consumer's transaction).
absl::Status ApplyIntakeEvent(Routing& routing, Store& store,
                              const jiban::events::v1::Event& event);

// Runs routing alone (or `train`), configured from the environment; returns the exit code.
int RunStandalone(const char* program, const std::vector<std::string>& args);

class RoutingApp {
 public:
  static absl::StatusOr<std::unique_ptr<RoutingApp>> Create(const RoutingConfig& config,
                                                            server::Server& server);
  RoutingApp() = default;  // use Create
  ~RoutingApp();

  db::Database& database() { return *db_; }
  events::EventLog& event_log() { return *log_; }
  Routing& routing() { return *routing_; }

 private:
  SystemClock clock_;
  std::unique_ptr<IdGenerator> ids_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<events::EventLog> log_;
  std::unique_ptr<SqlTransactor> transactor_;
  std::unique_ptr<SqlReader> reader_;
  std::unique_ptr<ConfigStore> config_store_;
  std::unique_ptr<Routing> routing_;
  std::unique_ptr<RoutingHandler> handler_;
  std::unique_ptr<events::EventLogService> events_service_;
  std::unique_ptr<events::Consumer> consumer_;
};

}  // namespace jiban::routing

#endif  // JIBAN_SERVICES_ROUTING_APP_H_
