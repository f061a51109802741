#include "services/escalation/app.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "services/escalation/convert.h"

namespace jiban::escalation {
namespace {

const char* CauseName(Cause c) {
  switch (c) {
    case Cause::kSignForNear:
      return "sign_for_near";
    case Cause::kSignForOverdue:
      return "sign_for_overdue";
    case Cause::kHandlingNear:
      return "handling_near";
    case Cause::kHandlingOverdue:
      return "handling_overdue";
    case Cause::kFirstReturn:
      return "first_return";
    case Cause::kBouncing:
      return "bouncing";
    case Cause::kCouldNotGetDone:
      return "could_not_get_done";
    case Cause::kDissatisfiedAgain:
      return "dissatisfied_again";
  }
  return "unknown";
}

const char* ColourName(Colour c) { return c == Colour::kRed ? "red" : "yellow"; }

}  // namespace

EscalationConfig EscalationConfig::FromEnv(server::Env& env) {
  EscalationConfig c;
  server::ReadDatabaseEnv(env, c);
  c.routing_address = env.Required("JIBAN_ROUTING_ADDR");
  if (!c.routing_address.empty()) c.routing_address = env.Address("JIBAN_ROUTING_ADDR", "");
  c.policy.yellow_share = env.Number("JIBAN_YELLOW_SHARE", 0.8, 0.5, 0.99);
  c.policy.max_returns = env.Int("JIBAN_MAX_RETURNS", 2, 1, 10);
  c.scan_interval = env.Seconds("JIBAN_SCAN_SECONDS", 0.25, 0.05, 60);
  return c;
}

absl::StatusOr<std::unique_ptr<EscalationApp>> EscalationApp::Create(const EscalationConfig& config,
                                                                     server::Server& server,
                                                                     Clock* clock) {
  auto app = std::make_unique<EscalationApp>();
  app->clock_ = clock != nullptr ? clock : &app->system_clock_;
  app->ids_ = std::make_unique<IdGenerator>(*app->clock_);
  JIBAN_ASSIGN_OR_RETURN(app->db_,
                         db::Database::Open(config.db_dsn, {.pool_size = config.db_pool_size}));
  JIBAN_RETURN_IF_ERROR(db::Migrate(*app->db_, Migrations(app->db_->dialect()), config.migrate));
  app->log_ =
      std::make_unique<events::EventLog>(*app->db_, *app->clock_, *app->ids_, server.metrics());
  auto& raised = prometheus::BuildCounter()
                     .Name("jiban_escalation_lights_raised_total")
                     .Help("Lights raised, by colour and cause")
                     .Register(server.metrics());
  app->active_ = &prometheus::BuildGauge()
                      .Name("jiban_escalation_active_lights")
                      .Help("Lights not yet cleared, by colour and cause (refreshed every scan)")
                      .Register(server.metrics());
  app->open_cases_ = &prometheus::BuildGauge()
                          .Name("jiban_escalation_open_cases")
                          .Help("Supervision cases not closed, by kind (refreshed every scan)")
                          .Register(server.metrics());
  app->transactor_ =
      std::make_unique<SqlTransactor>(*app->db_, *app->log_, [&raised](const Light& l) {
        raised.Add({{"colour", ColourName(ColourOf(l.cause))}, {"cause", CauseName(l.cause)}})
            .Increment();
      });
  app->reader_ = std::make_unique<SqlReader>(*app->db_);
  auto routing_channel =
      grpc::CreateChannel(config.routing_address, grpc::InsecureChannelCredentials());
  app->reassigner_ = std::make_unique<GrpcReassigner>(routing_channel, server.identity_key());
  app->escalation_ =
      std::make_unique<Escalation>(*app->transactor_, *app->reader_, *app->clock_, *app->ids_,
                                   config.policy, app->reassigner_.get());
  app->handler_ = std::make_unique<EscalationHandler>(*app->escalation_);
  app->events_service_ = std::make_unique<events::EventLogService>(*app->log_);
  Escalation* escalation = app->escalation_.get();
  events::EventLog* log = app->log_.get();
  const SqlTransactor* transactor = app->transactor_.get();
  app->consumer_ = std::make_unique<events::Consumer>(
      events::ConsumerOptions{
          .name = "escalation<-routing",
          .source = grpc::CreateChannel(config.routing_address, grpc::InsecureChannelCredentials()),
          .on_progress = server::ConsumerProgressLog(server.logger(), "escalation<-routing")},
      *app->db_,
      [escalation, log, transactor](db::Transaction& tx,
                                    const jiban::events::v1::Event& e) -> absl::Status {
        SqlStore store(tx, *log, transactor->hook());
        for (const OrderUpdate& u : UpdatesOf(e)) {
          JIBAN_RETURN_IF_ERROR(escalation->OnUpdate(store, u, {e.request_id(), e.trace_id()}));
        }
        return absl::OkStatus();
      },
      server.metrics());
  server.AddService(app->handler_.get(), kServiceName);
  server.AddService(app->events_service_.get(), "jiban.events.v1.EventLogService");
  db::Database* db = app->db_.get();
  server.AddReadinessCheck([db] { return db->Ping(); });
  app->logger_ = &server.logger();
  EscalationApp* self = app.get();
  server.OnDrain([self] { self->Stop(); });
  app->log_->Start();
  JIBAN_RETURN_IF_ERROR(app->consumer_->Start());
  const absl::Duration interval = config.scan_interval;
  app->scanner_ = std::thread([self, interval] { self->ScanLoop(interval); });
  return app;
}

void EscalationApp::ScanLoop(absl::Duration interval) {
  int64_t head = 0;  // the case log's last entry already logged as an anchor
  while (true) {
    auto fired = escalation_->Tick(clock_->Now());
    if (!fired.ok()) {
      logger_->Warn("timer scan failed; retrying", {{"reason", ReasonOf(fired.status())}});
    }
    if (auto counts = reader_->CountActive("", ""); counts.ok()) {
      for (Cause c : {Cause::kSignForNear, Cause::kSignForOverdue, Cause::kHandlingNear,
                      Cause::kHandlingOverdue, Cause::kFirstReturn, Cause::kBouncing,
                      Cause::kCouldNotGetDone, Cause::kDissatisfiedAgain}) {
        int64_t n = 0;
        for (const LightCount& lc : *counts) n = lc.cause == c ? lc.active : n;
        active_->Add({{"colour", ColourName(ColourOf(c))}, {"cause", CauseName(c)}})
            .Set(static_cast<double>(n));
      }
    }
    if (auto open = reader_->CountOpenCases(); open.ok()) {
      for (auto [kind, name] : {std::pair{CaseKind::kDoNow, "do_now"},
                                {CaseKind::kPush, "push"},
                                {CaseKind::kOrder, "order"},
                                {CaseKind::kSupervise, "supervise"}}) {
        int64_t n = 0;
        for (const auto& [k, count] : *open) n = k == kind ? count : n;
        open_cases_->Add({{"kind", name}}).Set(static_cast<double>(n));
      }
    }
    // Every new head of the case log goes to the log, whose collector keeps it off this machine:
    // the anchors `verify-log --anchor=SEQUENCE:HASH` checks against.
    if (auto now_head = reader_->ChainHead(); now_head.ok() && now_head->first != head) {
      head = now_head->first;
      logger_->Info("case log head", {{"anchor", absl::StrCat(head, ":", now_head->second)}});
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stop_), interval)) return;
  }
}

void EscalationApp::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (scanner_.joinable()) scanner_.join();
  if (consumer_) consumer_->Stop();
  if (log_) log_->Stop();
}

EscalationApp::~EscalationApp() { Stop(); }

int RunStandalone(const char* program, const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "verify-log" && args.size() <= 2) {
    server::Env env;
    const std::string dsn = env.Secret("JIBAN_DB_DSN");
    if (auto s = env.Validate(); !s.ok()) {
      std::cerr << program << ": " << s.message() << "\n";
      return 2;
    }
    std::optional<Anchor> anchor;
    if (args.size() == 2) {
      auto a =
          args[1].rfind("--anchor=", 0) == 0 ? ParseAnchor(args[1].substr(9)) : ParseAnchor("");
      if (!a.ok()) {
        std::cerr << "usage: " << program << " verify-log [--anchor=SEQUENCE:HASH]\n";
        return 2;
      }
      anchor = *a;
    }
    auto db = db::Database::Open(dsn, {.pool_size = 1});
    if (!db.ok()) {
      std::cerr << program << ": " << db.status().message() << "\n";
      return 2;
    }
    SqlReader reader(**db);
    auto v = VerifyCaseLog(reader, anchor);
    if (!v.ok()) {
      std::cerr << program << ": " << v.status().message() << "\n";
      return 2;
    }
    std::cout << (v->intact ? "intact" : "BROKEN") << ": " << v->entries << " entries"
              << (v->intact ? "" : absl::StrCat(", first broken at sequence ", v->first_broken))
              << (!anchor             ? ""
                  : v->anchor_matches ? "; anchor matches"
                                      : "; ANCHOR DOES NOT MATCH")
              << "\n";
    return v->intact && (!anchor || v->anchor_matches) ? 0 : 1;
  }
  if (!args.empty()) {
    std::cerr << "usage: " << program << " [verify-log [--anchor=SEQUENCE:HASH]]\n";
    return 2;
  }
  return server::RunApp<EscalationApp, EscalationConfig>(program, "escalation", 8083, 9093);
}

}  // namespace jiban::escalation
