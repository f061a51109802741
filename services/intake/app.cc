#include "services/intake/app.h"

#include <iostream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/create_channel.h"
#include "libs/status/macros.h"
#include "services/intake/convert.h"

namespace jiban::intake {

IntakeConfig IntakeConfig::FromEnv(server::Env& env) {
  IntakeConfig c;
  server::ReadDatabaseEnv(env, c);
  c.field_keys = env.Secret("JIBAN_FIELD_KEYS");
  for (absl::string_view d :
       absl::StrSplit(env.String("JIBAN_DISTRICTS", ""), ',', absl::SkipWhitespace())) {
    c.districts.insert(std::string(absl::StripAsciiWhitespace(d)));
  }
  if (!env.String("JIBAN_ROUTING_ADDR", "").empty()) {
    c.routing_address = env.Address("JIBAN_ROUTING_ADDR", "");
  }
  return c;
}

absl::StatusOr<std::unique_ptr<IntakeApp>> IntakeApp::Create(const IntakeConfig& config,
                                                             server::Server& server) {
  auto app = std::make_unique<IntakeApp>();
  app->ids_ = std::make_unique<IdGenerator>(app->clock_);
  JIBAN_ASSIGN_OR_RETURN(auto sealer, crypto::Sealer::FromSpec(config.field_keys));
  app->sealer_ = std::make_unique<crypto::Sealer>(std::move(sealer));
  JIBAN_ASSIGN_OR_RETURN(app->db_,
                         db::Database::Open(config.db_dsn, {.pool_size = config.db_pool_size}));
  JIBAN_RETURN_IF_ERROR(db::Migrate(*app->db_, Migrations(app->db_->dialect()), config.migrate));
  app->log_ =
      std::make_unique<events::EventLog>(*app->db_, app->clock_, *app->ids_, server.metrics());
  app->candidates_ =
      std::make_unique<CandidateCache>(*app->db_, app->clock_, DuplicatePolicy{}.window);
  JIBAN_RETURN_IF_ERROR(app->candidates_->Start());
  app->store_ =
      std::make_unique<SqlIntakeStore>(*app->db_, *app->log_, *app->sealer_, *app->candidates_);
  app->intake_ = std::make_unique<Intake>(
      *app->store_, app->clock_, *app->ids_,
      config.districts.empty() ? Districts::Kaifeng() : Districts(config.districts));
  app->handler_ = std::make_unique<IntakeHandler>(*app->intake_);
  app->events_service_ = std::make_unique<events::EventLogService>(*app->log_);

  server.AddService(app->handler_.get(), kServiceName);
  server.AddService(app->events_service_.get(), "jiban.events.v1.EventLogService");
  db::Database* db = app->db_.get();
  server.AddReadinessCheck([db] { return db->Ping(); });
  events::EventLog* log = app->log_.get();
  IntakeApp* self = app.get();
  server.OnDrain([self, log] {
    if (self->routing_consumer_) self->routing_consumer_->Stop();
    log->Stop();
  });
  app->log_->Start();
  if (!config.routing_address.empty()) {
    JIBAN_RETURN_IF_ERROR(app->FollowRouting(config.routing_address, server));
  }
  return app;
}

absl::Status IntakeApp::FollowRouting(const std::string& address, server::Server& server) {
  SqlIntakeStore* store = store_.get();
  routing_consumer_ = std::make_unique<events::Consumer>(
      events::ConsumerOptions{
          .name = "intake<-routing",
          .source = grpc::CreateChannel(address, grpc::InsecureChannelCredentials()),
          .on_progress = server::ConsumerProgressLog(server.logger(), "intake<-routing")},
      *db_,
      [store](db::Transaction& tx, const jiban::events::v1::Event& e) -> absl::Status {
        for (const RoutingProgress& p : ProgressOf(e)) {
          JIBAN_RETURN_IF_ERROR(store->ApplyProgress(tx, p));
        }
        return absl::OkStatus();
      },
      server.metrics());
  return routing_consumer_->Start();
}

IntakeApp::~IntakeApp() {
  if (routing_consumer_) routing_consumer_->Stop();
  if (candidates_) candidates_->Stop();
  if (log_) log_->Stop();
}

int RunStandalone(const char* program) {
  return server::RunApp<IntakeApp, IntakeConfig>(program, "intake", 8081, 9091);
}

}  // namespace jiban::intake
