// Wires intake together: database (migrated at start), event log, store, domain, gRPC services,
// readiness and drain. main.cc and `jiban dev` both build an IntakeApp; tests do too.
#ifndef JIBAN_SERVICES_INTAKE_APP_H_
#define JIBAN_SERVICES_INTAKE_APP_H_

#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/crypto/sealer.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/events/consumer.h"
#include "libs/events/event_log.h"
#include "libs/events/service.h"
#include "libs/server/env.h"
#include "libs/server/server.h"
#include "services/intake/domain.h"
#include "services/intake/handler.h"
#include "services/intake/sql_store.h"

namespace jiban::intake {

inline constexpr char kServiceName[] = "jiban.intake.v1.IntakeService";

struct IntakeConfig {
  std::string db_dsn;
  int db_pool_size = 16;
  db::MigrateMode migrate = db::MigrateMode::kApply;
  std::string field_keys;           // crypto::Sealer spec (a secret)
  std::set<std::string> districts;  // empty: Kaifeng's
  std::string routing_address;      // routing's event stream; empty: timelines show "received"

  // JIBAN_DB_DSN (required), JIBAN_DB_POOL_SIZE, JIBAN_DB_MIGRATE (apply|check),
  // JIBAN_FIELD_KEYS_FILE or JIBAN_FIELD_KEYS (one is required), JIBAN_DISTRICTS (comma list),
  // JIBAN_ROUTING_ADDR (optional).
  static IntakeConfig FromEnv(server::Env& env);
};

// Runs intake alone, configured from the environment, until SIGTERM/SIGINT; returns the process
// exit code (2 for bad configuration, 1 for a failed start).
int RunStandalone(const char* program);

class IntakeApp {
 public:
  // Opens and migrates the database and registers intake's services on `server` (not started).
  static absl::StatusOr<std::unique_ptr<IntakeApp>> Create(const IntakeConfig& config,
                                                           server::Server& server);
  IntakeApp() = default;  // use Create
  ~IntakeApp();

  db::Database& database() { return *db_; }
  // Follows routing's event stream at `address` (exactly once, in intake's database): request
  // statuses and timelines show what routing did. Create calls it when routing_address is set;
  // `jiban dev` calls it once routing is up.
  absl::Status FollowRouting(const std::string& address, server::Server& server);
  // The consumer of routing's events, when following (for tests and tools).
  events::Consumer* routing_consumer() { return routing_consumer_.get(); }
  events::EventLog& event_log() { return *log_; }

 private:
  SystemClock clock_;
  std::unique_ptr<IdGenerator> ids_;
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<events::EventLog> log_;
  std::unique_ptr<CandidateCache> candidates_;
  std::unique_ptr<SqlIntakeStore> store_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<IntakeHandler> handler_;
  std::unique_ptr<events::EventLogService> events_service_;
  std::unique_ptr<events::Consumer> routing_consumer_;
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_APP_H_
