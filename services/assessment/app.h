// Wires assessment together: database (migrated at start), the default scheme, the consumers of
// intake's, routing's and escalation's events, gRPC services, readiness and drain.
#ifndef JIBAN_SERVICES_ASSESSMENT_APP_H_
#define JIBAN_SERVICES_ASSESSMENT_APP_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/events/consumer.h"
#include "libs/server/env.h"
#include "libs/server/server.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "services/assessment/domain.h"
#include "services/assessment/handler.h"
#include "services/assessment/sql_store.h"

namespace jiban::assessment {

inline constexpr char kServiceName[] = "jiban.assessment.v1.AssessmentService";

struct AssessmentConfig {
  std::string db_dsn;
  int db_pool_size = 8;
  db::MigrateMode migrate = db::MigrateMode::kApply;
  std::string intake_address;      // intake's event stream (evaluations)
  std::string routing_address;     // routing's event stream (orders)
  std::string escalation_address;  // escalation's event stream (lights, cases)
  std::string scheme_file;         // the scheme stored when none is; empty: the shipped default
  absl::Duration score_metrics_interval = absl::Minutes(1);  // jiban_assessment_unit_score

  // JIBAN_DB_DSN, JIBAN_DB_POOL_SIZE, JIBAN_DB_MIGRATE, JIBAN_INTAKE_ADDR, JIBAN_ROUTING_ADDR and
  // JIBAN_ESCALATION_ADDR (required), JIBAN_SCHEME_FILE, JIBAN_SCORE_METRICS_SECONDS.
  static AssessmentConfig FromEnv(server::Env& env);
};

// Runs assessment from the environment until SIGTERM (jiban-assessment, `jiban assessment`), or,
// with args "rebuild", forgets the facts of the database JIBAN_DB_DSN names so that the next start
// replays the event logs from sequence 0 (exit 0 done, 1 failed, 2 bad configuration).
int RunStandalone(const char* program, const std::vector<std::string>& args = {});

// The scheme that ships with the product (services/assessment/defaults/scheme.json).
absl::StatusOr<Scheme> DefaultScheme();
// Parses a scheme file (ProtoJSON of jiban.assessment.v1.Scheme) and validates it.
absl::StatusOr<Scheme> ParseScheme(absl::string_view json);

class AssessmentApp {
 public:
  static absl::StatusOr<std::unique_ptr<AssessmentApp>> Create(const AssessmentConfig& config,
                                                               server::Server& server,
                                                               Clock* clock = nullptr);
  AssessmentApp() = default;
  ~AssessmentApp();

  db::Database& database() { return *db_; }
  Assessment& assessment() { return *assessment_; }
  // The consumers, by source: "intake", "routing", "escalation".
  events::Consumer& consumer(const std::string& source);

 private:
  void Stop();
  // Every `interval` until Stop(): each unit's running score this month into
  // jiban_assessment_unit_score{unit,unit_class} (points).
  void PublishScoreMetrics(prometheus::Family<prometheus::Gauge>& family, absl::Duration interval);

  SystemClock system_clock_;
  Clock* clock_ = nullptr;
  std::unique_ptr<IdGenerator> ids_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<SqlTransactor> transactor_;
  std::unique_ptr<SqlReader> reader_;
  std::unique_ptr<Assessment> assessment_;
  std::unique_ptr<AssessmentHandler> handler_;
  std::vector<std::pair<std::string, std::unique_ptr<events::Consumer>>> consumers_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread score_metrics_;
};

}  // namespace jiban::assessment

#endif  // JIBAN_SERVICES_ASSESSMENT_APP_H_
