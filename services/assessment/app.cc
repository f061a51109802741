#include "services/assessment/app.h"

#include <iostream>
#include <tuple>

#include "grpcpp/create_channel.h"
#include "libs/calendar/calendar.h"
#include "libs/embedded/embedded.h"
#include "libs/server/config_file.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "services/assessment/convert.h"

namespace jiban::generated {
std::vector<EmbeddedFile> assessment_defaults();
}  // namespace jiban::generated

namespace jiban::assessment {

AssessmentConfig AssessmentConfig::FromEnv(server::Env& env) {
  AssessmentConfig c;
  server::ReadDatabaseEnv(env, c);
  for (auto [name, field] : {std::pair{"JIBAN_INTAKE_ADDR", &c.intake_address},
                             {"JIBAN_ROUTING_ADDR", &c.routing_address},
                             {"JIBAN_ESCALATION_ADDR", &c.escalation_address}}) {
    *field = env.Required(name);
    if (!field->empty()) *field = env.Address(name, "");
  }
  c.scheme_file = env.String("JIBAN_SCHEME_FILE", "");
  c.score_metrics_interval = env.Seconds("JIBAN_SCORE_METRICS_SECONDS", 60, 1, 3600);
  return c;
}

absl::StatusOr<Scheme> ParseScheme(absl::string_view json) {
  v1::Scheme p;
  JIBAN_RETURN_IF_ERROR(server::ParseConfigJson(json, &p, "scoring scheme"));
  JIBAN_ASSIGN_OR_RETURN(Scheme s, FromProto(p));
  JIBAN_RETURN_IF_ERROR(Validate(s));
  return s;
}

namespace {

// The metric label of a class of units.
const char* UnitClassName(UnitClass c) {
  switch (c) {
    case UnitClass::kDepartment:
      return "department";
    case UnitClass::kDistrict:
      return "district";
    case UnitClass::kTown:
      return "town";
    case UnitClass::kWindow:
      return "window";
    case UnitClass::kOther:
      break;
  }
  return "other";
}

}  // namespace

absl::StatusOr<Scheme> DefaultScheme() {
  for (const auto& f : generated::assessment_defaults()) return ParseScheme(f.text);
  return absl::InternalError("no shipped scheme");
}

absl::StatusOr<std::unique_ptr<AssessmentApp>> AssessmentApp::Create(const AssessmentConfig& config,
                                                                     server::Server& server,
                                                                     Clock* clock) {
  auto app = std::make_unique<AssessmentApp>();
  app->clock_ = clock != nullptr ? clock : &app->system_clock_;
  app->ids_ = std::make_unique<IdGenerator>(*app->clock_);
  Scheme scheme;
  if (config.scheme_file.empty()) {
    JIBAN_ASSIGN_OR_RETURN(scheme, DefaultScheme());
  } else {
    JIBAN_ASSIGN_OR_RETURN(std::string text, server::ReadConfigFile(config.scheme_file));
    JIBAN_ASSIGN_OR_RETURN(scheme, ParseScheme(text));
  }
  JIBAN_ASSIGN_OR_RETURN(app->db_,
                         db::Database::Open(config.db_dsn, {.pool_size = config.db_pool_size}));
  JIBAN_RETURN_IF_ERROR(db::Migrate(*app->db_, Migrations(app->db_->dialect()), config.migrate));
  app->transactor_ = std::make_unique<SqlTransactor>(*app->db_);
  app->reader_ = std::make_unique<SqlReader>(*app->db_);
  app->assessment_ =
      std::make_unique<Assessment>(*app->transactor_, *app->reader_, *app->clock_, *app->ids_);
  JIBAN_RETURN_IF_ERROR(app->assessment_->Bootstrap(std::move(scheme)));
  app->handler_ = std::make_unique<AssessmentHandler>(*app->assessment_);
  for (auto [source, name, address] : {std::tuple{"intake", kConsumers[0], &config.intake_address},
                                       {"routing", kConsumers[1], &config.routing_address},
                                       {"escalation", kConsumers[2], &config.escalation_address}}) {
    auto consumer = std::make_unique<events::Consumer>(
        events::ConsumerOptions{
            .name = name,
            .source = grpc::CreateChannel(*address, grpc::InsecureChannelCredentials()),
            .on_progress = server::ConsumerProgressLog(server.logger(), name)},
        *app->db_,
        [decoder = std::make_shared<FactDecoder>()](
            db::Transaction& tx, const jiban::events::v1::Event& e) -> absl::Status {
          SqlStore store(tx);
          Incoming in;
          decoder->Decode(e, in);
          return Apply(store, in);
        },
        server.metrics());
    app->consumers_.emplace_back(source, std::move(consumer));
  }
  server.AddService(app->handler_.get(), kServiceName);
  db::Database* db = app->db_.get();
  server.AddReadinessCheck([db] { return db->Ping(); });
  AssessmentApp* self = app.get();
  server.OnDrain([self] { self->Stop(); });
  for (auto& [source, consumer] : app->consumers_) JIBAN_RETURN_IF_ERROR(consumer->Start());
  auto& scores = prometheus::BuildGauge()
                     .Name("jiban_assessment_unit_score")
                     .Help(
                         "Each unit's running total score (points) for the current month, "
                         "refreshed every JIBAN_SCORE_METRICS_SECONDS")
                     .Register(server.metrics());
  app->score_metrics_ = std::thread([self, &scores, interval = config.score_metrics_interval] {
    self->PublishScoreMetrics(scores, interval);
  });
  return app;
}

void AssessmentApp::PublishScoreMetrics(prometheus::Family<prometheus::Gauge>& family,
                                        absl::Duration interval) {
  while (true) {
    // One scoring of every unit per round (the database away: the next round tries again).
    const std::string month = absl::FormatTime("%Y-%m", clock_->Now(), calendar::CityZone());
    if (auto scores = assessment_->AllScores(month); scores.ok()) {
      for (const UnitScore& u : *scores) {
        family.Add({{"unit", u.unit_id}, {"unit_class", UnitClassName(u.unit_class)}})
            .Set(static_cast<double>(u.total_centipoints) / 100);
      }
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval)) return;
  }
}

events::Consumer& AssessmentApp::consumer(const std::string& source) {
  for (auto& [name, consumer] : consumers_) {
    if (name == source) return *consumer;
  }
  return *consumers_.front().second;
}

void AssessmentApp::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& [source, consumer] : consumers_) consumer->Stop();
}

AssessmentApp::~AssessmentApp() {
  Stop();
  if (score_metrics_.joinable()) score_metrics_.join();
}

int RunStandalone(const char* program, const std::vector<std::string>& args) {
  if (args.size() == 1 && args[0] == "rebuild") {
    server::Env env;
    const std::string dsn = env.Secret("JIBAN_DB_DSN");
    if (auto s = env.Validate(); !s.ok()) {
      std::cerr << program << ": " << s.message() << "\n";
      return 2;
    }
    auto db = db::Database::Open(dsn, {.pool_size = 1});
    absl::Status done = db.ok() ? ForgetFacts(**db) : db.status();
    if (!done.ok()) {
      std::cerr << program << ": " << done.message() << "\n";
      return 1;
    }
    std::cout << "facts forgotten: the next start replays intake's, routing's and escalation's"
                 " events from sequence 0; its log shows each replay's progress every 5 s"
                 " (\"consumer catching up\", then \"consumer caught up\")\n";
    return 0;
  }
  if (!args.empty()) {
    std::cerr << "usage: " << program << " [rebuild]\n";
    return 2;
  }
  return server::RunApp<AssessmentApp, AssessmentConfig>(program, "assessment", 8084, 9094);
}

}  // namespace jiban::assessment
