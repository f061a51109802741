// Wires the bundle service together: database (migrated at start), the catalogue (the file's
// stored as a new version when it differs), the dispatcher that fans applications out through
// routing, the consumer of routing's events, gRPC services, metrics, readiness and drain.
#ifndef JIBAN_SERVICES_BUNDLE_APP_H_
#define JIBAN_SERVICES_BUNDLE_APP_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/crypto/sealer.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/events/consumer.h"
#include "libs/events/event_log.h"
#include "libs/events/service.h"
#include "libs/server/env.h"
#include "libs/server/server.h"
#include "prometheus/counter.h"
#include "proto/jiban/routing/v1/routing.grpc.pb.h"
#include "services/bundle/domain.h"
#include "services/bundle/handler.h"
#include "services/bundle/sql_store.h"

namespace jiban::bundle {

inline constexpr char kServiceName[] = "jiban.bundle.v1.BundleService";

struct BundleConfig {
  std::string db_dsn;
  int db_pool_size = 8;
  db::MigrateMode migrate = db::MigrateMode::kApply;
  std::string field_keys;       // crypto::Sealer spec (a secret): seals application forms
  std::string intake_address;   // intake's event stream (the hot-spot miner's requests)
  std::string routing_address;  // DispatchBundlePart and routing's event stream
  std::string catalogue_file;   // empty: the shipped catalogue
  absl::Duration retry_interval = absl::Seconds(1);

  // JIBAN_DB_DSN, JIBAN_DB_POOL_SIZE, JIBAN_DB_MIGRATE, JIBAN_FIELD_KEYS(_FILE) (required),
  // JIBAN_INTAKE_ADDR and JIBAN_ROUTING_ADDR (required), JIBAN_CATALOGUE_FILE,
  // JIBAN_DISPATCH_RETRY_SECONDS (0.05..60, default 1).
  static BundleConfig FromEnv(server::Env& env);
};

// Runs the bundle service from the environment until SIGTERM (jiban-bundle, `jiban bundle`).
int RunStandalone(const char* program);

// routing.v1.DispatchBundlePart with a deadline; the item id is the idempotency key.
class GrpcPartDispatcher final : public PartDispatcher {
 public:
  // `identity_key`: signs the bundle service's identity for routing (server::SetIdentity).
  GrpcPartDispatcher(std::shared_ptr<grpc::Channel> routing, std::string identity_key)
      : stub_(jiban::routing::v1::RoutingService::NewStub(std::move(routing))),
        identity_key_(std::move(identity_key)) {}
  absl::StatusOr<DispatchedOrder> Dispatch(const PartOrder& order) override;

 private:
  std::unique_ptr<jiban::routing::v1::RoutingService::Stub> stub_;
  const std::string identity_key_;
};

class BundleApp {
 public:
  static absl::StatusOr<std::unique_ptr<BundleApp>> Create(const BundleConfig& config,
                                                           server::Server& server);
  BundleApp() = default;
  ~BundleApp();

  db::Database& database() { return *db_; }
  Bundles& bundles() { return *bundles_; }
  events::Consumer& consumer() { return *consumer_; }  // routing's events
  events::Consumer& intake_consumer() { return *intake_consumer_; }
  // Blocks until a dispatch round that started after the call has finished (or `timeout`
  // passes: false). For tests and orderly hand-overs.
  bool WaitForRound(absl::Duration timeout);

 private:
  void DispatchLoop(absl::Duration retry);
  void Wake();
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || work_; }
  void Stop();

  SystemClock clock_;
  std::unique_ptr<IdGenerator> ids_;
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<events::EventLog> log_;
  std::unique_ptr<SqlTransactor> transactor_;
  std::unique_ptr<SqlReader> reader_;
  std::unique_ptr<GrpcPartDispatcher> dispatcher_;
  std::unique_ptr<Bundles> bundles_;
  std::unique_ptr<BundleHandler> handler_;
  std::unique_ptr<events::EventLogService> events_service_;
  std::unique_ptr<events::Consumer> consumer_;
  std::unique_ptr<events::Consumer> intake_consumer_;
  server::Logger* logger_ = nullptr;
  prometheus::Counter* dispatched_ = nullptr;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool work_ ABSL_GUARDED_BY(mu_) = false;   // an application was submitted since the last round
  int64_t rounds_ ABSL_GUARDED_BY(mu_) = 0;  // dispatch rounds finished
  std::thread dispatch_thread_;
};

}  // namespace jiban::bundle

#endif  // JIBAN_SERVICES_BUNDLE_APP_H_
