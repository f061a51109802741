#include "services/bundle/app.h"

#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "libs/server/call.h"
#include "libs/server/config_file.h"
#include "libs/server/timestamp.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "prometheus/counter.h"
#include "services/bundle/convert.h"

namespace jiban::bundle {

BundleConfig BundleConfig::FromEnv(server::Env& env) {
  BundleConfig c;
  server::ReadDatabaseEnv(env, c);
  c.field_keys = env.Secret("JIBAN_FIELD_KEYS");
  for (auto [name, field] : {std::pair{"JIBAN_INTAKE_ADDR", &c.intake_address},
                             {"JIBAN_ROUTING_ADDR", &c.routing_address}}) {
    *field = env.Required(name);
    if (!field->empty()) *field = env.Address(name, "");
  }
  c.catalogue_file = env.String("JIBAN_CATALOGUE_FILE", "");
  c.retry_interval = env.Seconds("JIBAN_DISPATCH_RETRY_SECONDS", 1, 0.05, 60);
  return c;
}

absl::StatusOr<DispatchedOrder> GrpcPartDispatcher::Dispatch(const PartOrder& order) {
  jiban::routing::v1::DispatchBundlePartRequest req;
  req.set_request_id(order.item_id);
  req.set_item_id(order.item_id);
  req.set_tracking_number(order.tracking_number);
  req.set_title(order.title);
  req.set_unit_id(order.unit_id);
  req.set_working_days(order.working_days);
  req.set_district_code(order.district_code);
  *req.mutable_receive_time() = server::ToTimestamp(order.receive_time);
  jiban::routing::v1::DispatchBundlePartResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  server::SetIdentity(ctx, identity_key_, "agency_system", "bundle", "", order.item_id);
  JIBAN_RETURN_IF_ERROR(FromGrpcStatus(stub_->DispatchBundlePart(&ctx, req, &resp)));
  return DispatchedOrder{.order_id = resp.order().id(),
                         .unit_id = resp.order().unit_id(),
                         .deadline = server::FromTimestamp(resp.order().deadline())};
}

absl::StatusOr<std::unique_ptr<BundleApp>> BundleApp::Create(const BundleConfig& config,
                                                             server::Server& server) {
  auto app = std::make_unique<BundleApp>();
  app->ids_ = std::make_unique<IdGenerator>(app->clock_);
  Catalogue catalogue;
  if (config.catalogue_file.empty()) {
    JIBAN_ASSIGN_OR_RETURN(catalogue, DefaultCatalogue());
  } else {
    JIBAN_ASSIGN_OR_RETURN(std::string text, server::ReadConfigFile(config.catalogue_file));
    JIBAN_ASSIGN_OR_RETURN(catalogue, ParseCatalogue(text));
  }
  JIBAN_ASSIGN_OR_RETURN(auto keys, crypto::Sealer::FromSpec(config.field_keys));
  app->sealer_ = std::make_unique<crypto::Sealer>(std::move(keys));
  JIBAN_ASSIGN_OR_RETURN(app->db_,
                         db::Database::Open(config.db_dsn, {.pool_size = config.db_pool_size}));
  JIBAN_RETURN_IF_ERROR(db::Migrate(*app->db_, Migrations(app->db_->dialect()), config.migrate));
  app->log_ =
      std::make_unique<events::EventLog>(*app->db_, app->clock_, *app->ids_, server.metrics());
  app->transactor_ = std::make_unique<SqlTransactor>(*app->db_, *app->log_, *app->sealer_);
  app->reader_ = std::make_unique<SqlReader>(*app->db_);
  app->dispatcher_ = std::make_unique<GrpcPartDispatcher>(
      grpc::CreateChannel(config.routing_address, grpc::InsecureChannelCredentials()),
      server.identity_key());
  BundleApp* self = app.get();
  app->bundles_ =
      std::make_unique<Bundles>(*app->transactor_, *app->reader_, app->clock_, *app->ids_,
                                *app->dispatcher_, [self] { self->Wake(); });
  JIBAN_RETURN_IF_ERROR(app->bundles_->LoadCatalogue(
      catalogue, config.catalogue_file.empty() ? "shipped catalogue" : config.catalogue_file));
  app->handler_ = std::make_unique<BundleHandler>(*app->bundles_);
  app->events_service_ = std::make_unique<events::EventLogService>(*app->log_);
  Bundles* bundles = app->bundles_.get();
  events::EventLog* log = app->log_.get();
  const crypto::Sealer* sealer = app->sealer_.get();
  app->consumer_ = std::make_unique<events::Consumer>(
      events::ConsumerOptions{
          .name = "bundle<-routing",
          .source = grpc::CreateChannel(config.routing_address, grpc::InsecureChannelCredentials()),
          .on_progress = server::ConsumerProgressLog(server.logger(), "bundle<-routing")},
      *app->db_,
      [bundles, log, sealer](db::Transaction& tx,
                             const jiban::events::v1::Event& e) -> absl::Status {
        SqlStore store(tx, *log, *sealer);
        for (const OrderNews& n : NewsOf(e)) {
          JIBAN_RETURN_IF_ERROR(bundles->OnOrder(store, n, {e.request_id(), e.trace_id(), ""}));
        }
        for (const auto& [request_id, category] : CategoriesOf(e)) {
          JIBAN_RETURN_IF_ERROR(bundles->OnCategory(store, request_id, category));
        }
        return absl::OkStatus();
      },
      server.metrics());
  app->intake_consumer_ = std::make_unique<events::Consumer>(
      events::ConsumerOptions{
          .name = "bundle<-intake",
          .source = grpc::CreateChannel(config.intake_address, grpc::InsecureChannelCredentials()),
          .on_progress = server::ConsumerProgressLog(server.logger(), "bundle<-intake")},
      *app->db_,
      [bundles, log, sealer](db::Transaction& tx,
                             const jiban::events::v1::Event& e) -> absl::Status {
        if (auto signal = SignalOf(e)) {
          SqlStore store(tx, *log, *sealer);
          return bundles->OnRequest(store, *signal);
        }
        return absl::OkStatus();
      },
      server.metrics());
  server.AddService(app->handler_.get(), kServiceName);
  server.AddService(app->events_service_.get(), "jiban.events.v1.EventLogService");
  db::Database* db = app->db_.get();
  server.AddReadinessCheck([db] { return db->Ping(); });
  app->logger_ = &server.logger();
  server.OnDrain([self] { self->Stop(); });
  app->log_->Start();
  JIBAN_RETURN_IF_ERROR(app->consumer_->Start());
  JIBAN_RETURN_IF_ERROR(app->intake_consumer_->Start());
  app->dispatched_ = &prometheus::BuildCounter()
                          .Name("jiban_bundle_parts_dispatched_total")
                          .Help("Application parts routing accepted")
                          .Register(server.metrics())
                          .Add({});
  const absl::Duration retry = config.retry_interval;
  app->dispatch_thread_ = std::thread([self, retry] { self->DispatchLoop(retry); });
  return app;
}

void BundleApp::Wake() {
  absl::MutexLock lock(&mu_);
  work_ = true;
}

void BundleApp::DispatchLoop(absl::Duration retry) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      work_ = false;
    }
    // Rounds continue while they make progress; a round that sends nothing waits for a new
    // application or the retry interval.
    auto sent = bundles_->DispatchPending(100);
    if (sent.ok()) dispatched_->Increment(*sent);
    if (!sent.ok()) {
      logger_->Warn("dispatching application parts failed; retrying",
                    {{"reason", ReasonOf(sent.status())}});
    }
    absl::MutexLock lock(&mu_);
    ++rounds_;
    if (sent.ok() && *sent > 0 && !stop_) continue;
    mu_.AwaitWithTimeout(absl::Condition(this, &BundleApp::Woken), retry);
    if (stop_) return;
  }
}

bool BundleApp::WaitForRound(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const int64_t target = rounds_ + 2;  // the round running now may have started before the call
  work_ = true;
  auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return rounds_ >= target; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

void BundleApp::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (dispatch_thread_.joinable()) dispatch_thread_.join();
  if (intake_consumer_) intake_consumer_->Stop();
  if (consumer_) consumer_->Stop();
  if (log_) log_->Stop();
}

BundleApp::~BundleApp() { Stop(); }

int RunStandalone(const char* program) {
  return server::RunApp<BundleApp, BundleConfig>(program, "bundle", 8085, 9095);
}

}  // namespace jiban::bundle
