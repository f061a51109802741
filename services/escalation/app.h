// Wires escalation together: database (migrated at start), event log, the consumer of routing's
// events, the timer scanner, gRPC services, metrics, readiness and drain.
#ifndef JIBAN_SERVICES_ESCALATION_APP_H_
#define JIBAN_SERVICES_ESCALATION_APP_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/events/consumer.h"
#include "libs/events/event_log.h"
#include "libs/events/service.h"
#include "libs/server/env.h"
#include "libs/server/server.h"
#include "services/escalation/domain.h"
#include "services/escalation/handler.h"
#include "services/escalation/reassigner.h"
#include "services/escalation/sql_store.h"

namespace jiban::escalation {

inline constexpr char kServiceName[] = "jiban.escalation.v1.EscalationService";

struct EscalationConfig {
  std::string db_dsn;
  int db_pool_size = 8;
  db::MigrateMode migrate = db::MigrateMode::kApply;
  std::string routing_address;  // routing's event stream
  Policy policy;
  absl::Duration scan_interval = absl::Milliseconds(250);

  // JIBAN_DB_DSN, JIBAN_DB_POOL_SIZE, JIBAN_DB_MIGRATE, JIBAN_ROUTING_ADDR (required),
  // JIBAN_YELLOW_SHARE (0.5..0.99, default 0.8), JIBAN_MAX_RETURNS (1..10, default 2),
  // JIBAN_SCAN_SECONDS (0.05..60, default 0.25).
  static EscalationConfig FromEnv(server::Env& env);
};

// Runs escalation (or, with args "verify-log", checks the case log's hash chain in the database
// JIBAN_DB_DSN names: exit 0 intact, 1 broken, 2 bad configuration).
int RunStandalone(const char* program, const std::vector<std::string>& args = {});

class EscalationApp {
 public:
  // `clock` drives the timers (a FakeClock in tests); null: the system clock.
  static absl::StatusOr<std::unique_ptr<EscalationApp>> Create(const EscalationConfig& config,
                                                               server::Server& server,
                                                               Clock* clock = nullptr);
  EscalationApp() = default;
  ~EscalationApp();

  db::Database& database() { return *db_; }
  events::EventLog& event_log() { return *log_; }
  Escalation& escalation() { return *escalation_; }
  events::Consumer& consumer() { return *consumer_; }

 private:
  void ScanLoop(absl::Duration interval);
  void Stop();

  SystemClock system_clock_;
  Clock* clock_ = nullptr;
  std::unique_ptr<IdGenerator> ids_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<events::EventLog> log_;
  std::unique_ptr<SqlTransactor> transactor_;
  std::unique_ptr<SqlReader> reader_;
  std::unique_ptr<GrpcReassigner> reassigner_;
  std::unique_ptr<Escalation> escalation_;
  std::unique_ptr<EscalationHandler> handler_;
  std::unique_ptr<events::EventLogService> events_service_;
  std::unique_ptr<events::Consumer> consumer_;
  server::Logger* logger_ = nullptr;  // the server's: JSON lines with the service's name
  prometheus::Family<prometheus::Gauge>* active_ = nullptr;
  prometheus::Family<prometheus::Gauge>* open_cases_ = nullptr;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread scanner_;
};

}  // namespace jiban::escalation

#endif  // JIBAN_SERVICES_ESCALATION_APP_H_
