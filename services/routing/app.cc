#include "services/routing/app.h"

#include <iostream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/create_channel.h"
#include "libs/embedded/embedded.h"
#include "libs/server/config_file.h"
#include "libs/server/timestamp.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "services/routing/convert.h"
#include "services/routing/train.h"

namespace jiban::generated {
std::vector<EmbeddedFile> routing_defaults();
}  // namespace jiban::generated

namespace jiban::routing {
namespace {

std::string Shipped(absl::string_view name) {
  for (const auto& f : generated::routing_defaults()) {
    if (name == f.name) return f.text;
  }
  return "";
}

// The file's text, or the shipped default when no path is configured.
absl::StatusOr<std::string> FileOrShipped(const std::string& path, absl::string_view shipped) {
  if (path.empty()) return Shipped(shipped);
  return server::ReadConfigFile(path);
}

absl::StatusOr<std::shared_ptr<const TextClassifier>> LoadModel(const std::string& path) {
  JIBAN_ASSIGN_OR_RETURN(std::string text, server::ReadConfigFile(path));
  JIBAN_ASSIGN_OR_RETURN(TextClassifier model, TextClassifier::Parse(text));
  return std::make_shared<const TextClassifier>(std::move(model));
}

}  // namespace

RoutingConfig RoutingConfig::FromEnv(server::Env& env) {
  RoutingConfig c;
  server::ReadDatabaseEnv(env, c);
  c.intake_address = env.Required("JIBAN_INTAKE_ADDR");
  if (!c.intake_address.empty()) c.intake_address = env.Address("JIBAN_INTAKE_ADDR", "");
  c.units_file = env.String("JIBAN_UNITS_FILE", "");
  c.dispatch_list_file = env.String("JIBAN_DISPATCH_LIST_FILE", "");
  for (absl::string_view f :
       absl::StrSplit(env.String("JIBAN_CALENDAR_FILES", ""), ',', absl::SkipWhitespace())) {
    c.calendar_files.emplace_back(absl::StripAsciiWhitespace(f));
  }
  c.model_file = env.String("JIBAN_CLASSIFIER_MODEL", "");
  return c;
}

absl::Status ApplyIntakeEvent(Routing& routing, Store& store,
                              const jiban::events::v1::Event& event) {
  namespace iv1 = jiban::intake::v1;
  const CallContext call{event.request_id(), event.trace_id()};
  const auto& payload = event.payload();
  if (payload.Is<iv1::RequestSubmitted>()) {
    iv1::RequestSubmitted e;
    if (!payload.UnpackTo(&e)) return absl::DataLossError("unreadable RequestSubmitted");
    return routing.OnSubmitted(store, FactsOf(e.request()), call);
  }
  if (payload.Is<iv1::RequestWithdrawn>()) {
    iv1::RequestWithdrawn e;
    if (!payload.UnpackTo(&e)) return absl::DataLossError("unreadable RequestWithdrawn");
    return routing.OnWithdrawn(store, e.id(), call);
  }
  if (payload.Is<iv1::RequestsMerged>()) {
    iv1::RequestsMerged e;
    if (!payload.UnpackTo(&e)) return absl::DataLossError("unreadable RequestsMerged");
    for (const std::string& member : e.member_ids()) {
      JIBAN_RETURN_IF_ERROR(e.unmerged() ? routing.OnUnmerged(store, member, call)
                                         : routing.OnMerged(store, member, call));
    }
    return absl::OkStatus();
  }
  if (payload.Is<iv1::RequestEvaluated>()) {
    iv1::RequestEvaluated e;
    if (!payload.UnpackTo(&e)) return absl::DataLossError("unreadable RequestEvaluated");
    return routing.OnEvaluated(store, e.id(), e.evaluation().dissatisfied(), call);
  }
  return absl::OkStatus();  // supplements and future kinds: nothing to route
}

absl::StatusOr<std::unique_ptr<RoutingApp>> RoutingApp::Create(const RoutingConfig& config,
                                                               server::Server& server) {
  auto app = std::make_unique<RoutingApp>();
  app->ids_ = std::make_unique<IdGenerator>(app->clock_);

  // The calendar: the configured year files, or the shipped ones.
  std::vector<std::string> years;
  if (config.calendar_files.empty()) {
    for (const auto& f : generated::routing_defaults()) {
      if (absl::StartsWith(f.name, "calendar-")) years.emplace_back(f.text);
    }
  } else {
    for (const std::string& path : config.calendar_files) {
      JIBAN_ASSIGN_OR_RETURN(std::string text, server::ReadConfigFile(path));
      years.push_back(std::move(text));
    }
  }
  JIBAN_ASSIGN_OR_RETURN(calendar::WorkCalendar cal, calendar::WorkCalendar::FromYearFiles(years));
  auto& fallback =
      prometheus::BuildCounter()
          .Name("jiban_routing_calendar_fallback_total")
          .Help("Days looked up in a year no calendar file covers (Monday-Friday used)")
          .Register(server.metrics())
          .Add({});
  auto warned = std::make_shared<std::pair<absl::Mutex, std::set<int64_t>>>();
  server::Logger* logger = &server.logger();
  cal.SetFallbackObserver([&fallback, warned, logger](absl::CivilDay d) {
    fallback.Increment();
    absl::MutexLock l(&warned->first);
    if (warned->second.insert(d.year()).second) {
      logger->Warn("calendar year not loaded; counting Monday to Friday as working days",
                   {{"year", d.year()}});
    }
  });
  auto calendar = std::make_shared<const calendar::WorkCalendar>(std::move(cal));

  JIBAN_ASSIGN_OR_RETURN(app->db_,
                         db::Database::Open(config.db_dsn, {.pool_size = config.db_pool_size}));
  JIBAN_RETURN_IF_ERROR(db::Migrate(*app->db_, Migrations(app->db_->dialect()), config.migrate));
  app->log_ =
      std::make_unique<events::EventLog>(*app->db_, app->clock_, *app->ids_, server.metrics());
  app->transactor_ = std::make_unique<SqlTransactor>(*app->db_, *app->log_);
  app->reader_ = std::make_unique<SqlReader>(*app->db_);
  app->config_store_ = std::make_unique<ConfigStore>(*app->db_, *app->ids_, app->clock_);
  app->routing_ = std::make_unique<Routing>(*app->transactor_, *app->reader_, *app->config_store_,
                                            app->clock_, *app->ids_, calendar);

  JIBAN_ASSIGN_OR_RETURN(std::string units_text, FileOrShipped(config.units_file, "units.json"));
  JIBAN_ASSIGN_OR_RETURN(std::string list_text,
                         FileOrShipped(config.dispatch_list_file, "dispatch_list.json"));
  JIBAN_ASSIGN_OR_RETURN(auto units, ParseUnitDirectory(units_text));
  JIBAN_ASSIGN_OR_RETURN(auto list, ParseDispatchList(list_text));
  JIBAN_RETURN_IF_ERROR(app->routing_->LoadConfiguration(
      units, list, config.units_file.empty() ? "shipped defaults" : "configuration files"));
  const std::string model_file = config.model_file;
  if (!model_file.empty()) {
    JIBAN_ASSIGN_OR_RETURN(auto model, LoadModel(model_file));
    app->routing_->SetClassifier(std::move(model));
  }

  app->handler_ = std::make_unique<RoutingHandler>(
      *app->routing_, [model_file]() -> absl::StatusOr<std::shared_ptr<const TextClassifier>> {
        if (model_file.empty()) {
          return Precondition("NO_MODEL_CONFIGURED", "JIBAN_CLASSIFIER_MODEL is not set");
        }
        return LoadModel(model_file);
      });
  app->events_service_ = std::make_unique<events::EventLogService>(*app->log_);
  Routing* routing = app->routing_.get();
  events::EventLog* log = app->log_.get();
  // Receipt (the event's time in intake) to placed: orders created or the triage desk reached.
  prometheus::Histogram* lag =
      &prometheus::BuildHistogram()
           .Name("jiban_routing_dispatch_lag_seconds")
           .Help("Seconds from a request's receipt in intake to routing placing it")
           .Register(server.metrics())
           .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5, 1, 2.5, 5, 10, 30, 60});
  app->consumer_ = std::make_unique<events::Consumer>(
      events::ConsumerOptions{
          .name = "routing<-intake",
          .source = grpc::CreateChannel(config.intake_address, grpc::InsecureChannelCredentials()),
          .on_progress = server::ConsumerProgressLog(server.logger(), "routing<-intake")},
      *app->db_,
      [routing, log, lag](db::Transaction& tx, const jiban::events::v1::Event& e) {
        SqlStore store(tx, *log);
        JIBAN_RETURN_IF_ERROR(ApplyIntakeEvent(*routing, store, e));
        if (e.payload().Is<jiban::intake::v1::RequestSubmitted>()) {
          // Observed once placed for good (a transaction retried after a conflict counts once).
          const absl::Time received = server::FromTimestamp(e.occurred_time());
          tx.OnCommit(
              [lag, received] { lag->Observe(absl::ToDoubleSeconds(absl::Now() - received)); });
        }
        return absl::OkStatus();
      },
      server.metrics());

  server.AddService(app->handler_.get(), kServiceName);
  server.AddService(app->events_service_.get(), "jiban.events.v1.EventLogService");
  db::Database* db = app->db_.get();
  server.AddReadinessCheck([db] { return db->Ping(); });
  events::Consumer* consumer = app->consumer_.get();
  server.OnDrain([consumer, log] {
    consumer->Stop();
    log->Stop();
  });
  app->log_->Start();
  JIBAN_RETURN_IF_ERROR(app->consumer_->Start());
  return app;
}

RoutingApp::~RoutingApp() {
  if (consumer_) consumer_->Stop();
  if (log_) log_->Stop();
}

int RunStandalone(const char* program, const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "train") {
    return RunTrainCommand({args.begin() + 1, args.end()}, std::cout);
  }
  if (!args.empty()) {
    std::cerr << "usage: " << program << " [train --data=FILE --out=MODEL ...]\n";
    return 2;
  }
  return server::RunApp<RoutingApp, RoutingConfig>(program, "routing", 8082, 9092);
}

}  // namespace jiban::routing
