#include "libs/server/server.h"

#include <csignal>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "prometheus/gauge.h"
#include "proto/grpc/health/v1/health.pb.h"

namespace jiban::server {
namespace {

// Health names the Kubernetes probes ask for (CONVENTIONS.md B1): "liveness" stays SERVING until
// shutdown; "" (overall), "readiness" and every service follow the dependency checks.
constexpr char kLiveness[] = "liveness";
constexpr char kReadiness[] = "readiness";

}  // namespace

ServerOptions ServerOptions::Loopback(std::string name) {
  return {.name = std::move(name),
          .grpc_address = "127.0.0.1:0",
          .metrics_address = "",
          .drain_timeout = absl::Seconds(5),
          .deadlock_detection = true};
}

ServerOptions ServerOptions::FromEnv(Env& env, std::string name, int default_grpc_port,
                                     int default_metrics_port) {
  ServerOptions o;
  o.name = std::move(name);
  o.grpc_address = env.Address("JIBAN_GRPC_ADDR", absl::StrCat("0.0.0.0:", default_grpc_port));
  o.metrics_address =
      env.Address("JIBAN_METRICS_ADDR", absl::StrCat("0.0.0.0:", default_metrics_port));
  o.drain_timeout = env.Seconds("JIBAN_DRAIN_SECONDS", 20, 0, 600);
  o.reflection = env.Bool("JIBAN_REFLECTION", true);
  o.deadlock_detection = env.Bool("JIBAN_DEADLOCK_DETECTION", false);
  if (!env.String("JIBAN_IDENTITY_KEY", "").empty() ||
      !env.String("JIBAN_IDENTITY_KEY_FILE", "").empty()) {
    o.identity_key = env.Secret("JIBAN_IDENTITY_KEY");
  }
  return o;
}

Server::Server(ServerOptions options, std::ostream* log_out)
    : options_(std::move(options)),
      logger_(options_.name, log_out),
      registry_(std::make_shared<prometheus::Registry>()),
      rpc_metrics_(*registry_) {
  if (!options_.deadlock_detection) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  prometheus::BuildGauge()
      .Name("process_start_time_seconds")
      .Help("Start time of the process since unix epoch in seconds.")
      .Register(*registry_)
      .Add({})
      .Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  prometheus::BuildGauge()
      .Name("jiban_build_info")
      .Help("Always 1; labels name the service")
      .Register(*registry_)
      .Add({{"service", options_.name}})
      .Set(1);
  ready_ = &prometheus::BuildGauge()
                .Name("jiban_ready")
                .Help("1 while every readiness check (e.g. the database) passes, else 0")
                .Register(*registry_)
                .Add({});
}

Server::~Server() { Shutdown(); }

void Server::AddService(grpc::Service* service, const std::string& full_name) {
  services_.emplace_back(service, full_name);
}

void Server::AddReadinessCheck(std::function<absl::Status()> check) {
  checks_.push_back(std::move(check));
}

void Server::OnDrain(std::function<void()> hook) { drain_hooks_.push_back(std::move(hook)); }

absl::Status Server::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  if (options_.reflection) {
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    // Link the health contract's descriptor so reflection can describe grpc.health.v1.Health
    // (libgrpc++ serves health without a protobuf descriptor of its own).
    (void)grpc::health::v1::HealthCheckRequest::descriptor();
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.grpc_address, grpc::InsecureServerCredentials(), &grpc_port_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<ObservabilityInterceptorFactory>(rpc_metrics_, logger_,
                                                                       options_.identity_key));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  if (generic_ != nullptr) builder.RegisterCallbackGenericService(generic_);
  for (auto& [service, full_name] : services_) {
    builder.RegisterService(service);
    const auto* desc =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
    if (desc == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown service ", full_name));
    }
    std::vector<std::string> methods, types;
    for (int i = 0; i < desc->method_count(); ++i) {
      const auto* m = desc->method(i);
      methods.push_back(m->name());
      types.push_back(GrpcTypeName(m->client_streaming(), m->server_streaming()));
    }
    rpc_metrics_.Initialize(full_name, methods, types);
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", options_.grpc_address));
  }
  if (!options_.metrics_address.empty()) {
    auto endpoint = MetricsEndpoint::Start(options_.metrics_address, registry_);
    if (!endpoint.ok()) {
      server_->Shutdown();
      return endpoint.status();
    }
    metrics_endpoint_ = std::move(endpoint).value();
    metrics_port_ = metrics_endpoint_->port();
  }
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(kLiveness, true);
  SetServing(false);
  // The first readiness verdict is taken before Start returns, so a ready service is SERVING at
  // once; afterwards the loop re-checks every readiness_interval.
  bool ready = true;
  for (auto& check : checks_) ready = ready && check().ok();
  SetServing(ready);
  readiness_ = std::thread([this] { ReadinessLoop(); });
  logger_.Info("started", {{"grpc_port", grpc_port_}, {"metrics_port", metrics_port_}});
  return absl::OkStatus();
}

void Server::SetServing(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_ || server_ == nullptr) return;
  if (serving != serving_) {
    logger_.Info(serving ? "serving" : "not serving");
  }
  serving_ = serving;
  ready_->Set(serving ? 1 : 0);
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(serving);  // "" and every registered service name
  health->SetServingStatus(kReadiness, serving);
  health->SetServingStatus(kLiveness, true);
  for (auto& [service, full_name] : services_) health->SetServingStatus(full_name, serving);
}

void Server::ReadinessLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&shutting_down_), options_.readiness_interval);
      if (shutting_down_) return;
    }
    bool ready = true;
    for (auto& check : checks_) ready = ready && check().ok();
    SetServing(ready);
  }
}

void Server::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_ || server_ == nullptr) {
      shutting_down_ = true;
      return;
    }
    shutting_down_ = true;
  }
  logger_.Info("draining",
               {{"drain_timeout_seconds", absl::ToDoubleSeconds(options_.drain_timeout)}});
  // Every name NOT_SERVING, and it stays so (the convention for a server going away).
  server_->GetHealthCheckService()->Shutdown();
  for (auto& hook : drain_hooks_) hook();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.drain_timeout));
  server_->Wait();
  if (readiness_.joinable()) readiness_.join();
  metrics_endpoint_.reset();
  logger_.Info("stopped");
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

void Server::RunUntilSignalled() {
  const int sig = WaitForTerminationSignal();
  logger_.Info("signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  Shutdown();
}

int RunService(const char* program, const std::string& name, int default_grpc_port,
               int default_metrics_port, const std::function<ServiceFactory(Env&)>& configure) {
  Env env;
  auto options = ServerOptions::FromEnv(env, name, default_grpc_port, default_metrics_port);
  ServiceFactory factory = configure(env);
  if (auto s = env.Validate(); !s.ok()) {
    std::cerr << program << ": " << s.message() << "\n";
    return 2;
  }
  Server server(options, &std::cout);
  auto service = factory(server);
  absl::Status started = service.ok() ? server.Start() : service.status();
  if (!started.ok()) {
    std::cerr << program << ": cannot start: " << started.message() << "\n";
    return 1;
  }
  server.RunUntilSignalled();
  return 0;
}

}  // namespace jiban::server
