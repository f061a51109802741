// The bootstrap every Jiban service uses: a gRPC server with health checking and reflection, the
// observability interceptor (metrics, JSON logs, request id and trace context), Prometheus
// /metrics on its own port, readiness that follows the service's dependencies, and a graceful
// shutdown: NOT_SERVING → drain hooks → in-flight calls finish (up to the drain timeout) → exit.
#ifndef JIBAN_LIBS_SERVER_SERVER_H_
#define JIBAN_LIBS_SERVER_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"
#include "libs/server/env.h"
#include "libs/server/interceptor.h"
#include "libs/server/logging.h"
#include "libs/server/metrics_http.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace jiban::server {

struct ServerOptions {
  std::string name;  // e.g. "intake"; the `service` field of every log line
  std::string grpc_address = "0.0.0.0:8080";
  std::string metrics_address = "0.0.0.0:9090";  // empty: no /metrics endpoint
  absl::Duration drain_timeout = absl::Seconds(20);
  absl::Duration readiness_interval = absl::Seconds(2);
  bool reflection = true;
  // When set, identity headers without a valid x-jiban-identity signature are dropped (see
  // server::SetIdentity); outgoing calls are signed with it. A secret.
  std::string identity_key;
  // absl::Mutex lock-order (deadlock) checking. Debian's Abseil checks on every lock, through a
  // process-wide graph; a server turns it off unless asked (tests keep it on).
  bool deadlock_detection = false;

  // JIBAN_GRPC_ADDR, JIBAN_METRICS_ADDR, JIBAN_DRAIN_SECONDS, JIBAN_REFLECTION,
  // JIBAN_IDENTITY_KEY(_FILE) (optional), JIBAN_DEADLOCK_DETECTION (false).
  static ServerOptions FromEnv(Env& env, std::string name, int default_grpc_port,
                               int default_metrics_port);
  // On 127.0.0.1 with a port the system picks, no /metrics endpoint, a 5 s drain, deadlock
  // detection on: what tests run.
  static ServerOptions Loopback(std::string name);
};

class Server {
 public:
  Server(ServerOptions options, std::ostream* log_out);
  ~Server();

  prometheus::Registry& metrics() { return *registry_; }
  Logger& logger() { return logger_; }

  // Registers a service before Start(). Its health status follows readiness under its full name.
  void AddService(grpc::Service* service, const std::string& full_name);
  // Serves every method no registered service has (the gateway's proxy), before Start().
  void SetGenericService(grpc::CallbackGenericService* service) { generic_ = service; }
  // A dependency check (e.g. the database) polled while running; any failure → NOT_SERVING.
  void AddReadinessCheck(std::function<absl::Status()> check);
  // Called at shutdown after health turns NOT_SERVING and before the server drains calls
  // (e.g. ending event streams so they do not hold the drain open).
  void OnDrain(std::function<void()> hook);

  absl::Status Start();
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  const std::string& name() const { return options_.name; }
  const std::string& identity_key() const { return options_.identity_key; }

  // Idempotent; safe from any thread.
  void Shutdown();
  // Blocks until SIGTERM or SIGINT, then shuts down. Call BlockTerminationSignals() first thing
  // in main(), before any thread starts, so the signal reaches this wait.
  void RunUntilSignalled();

 private:
  void ReadinessLoop();
  void SetServing(bool serving);

  const ServerOptions options_;
  Logger logger_;
  std::shared_ptr<prometheus::Registry> registry_;
  RpcMetrics rpc_metrics_;
  prometheus::Gauge* ready_;  // jiban_ready: 1 while every readiness check passes
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  grpc::CallbackGenericService* generic_ = nullptr;
  std::vector<std::function<absl::Status()>> checks_;
  std::vector<std::function<void()>> drain_hooks_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;

  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  std::thread readiness_;
};

// Blocks SIGTERM and SIGINT in the calling thread (and threads it later creates).
void BlockTerminationSignals();
// Waits for SIGTERM or SIGINT (blocked beforehand with BlockTerminationSignals); returns it.
int WaitForTerminationSignal();

// How a service is built on a server once its configuration is read (the returned object keeps
// the service alive while the server runs).
using ServiceFactory = std::function<absl::StatusOr<std::shared_ptr<void>>(Server&)>;

// A service's whole standalone life: `configure` reads the service's variables from `env` and
// returns its factory; RunService validates every variable (exit 2 naming them), builds and starts
// the service (exit 1 on failure), and serves until SIGTERM/SIGINT, then drains (exit 0).
int RunService(const char* program, const std::string& name, int default_grpc_port,
               int default_metrics_port, const std::function<ServiceFactory(Env&)>& configure);

// RunService for the usual shape: `Config::FromEnv(env)` and `App::Create(config, server)`.
template <typename App, typename Config>
int RunApp(const char* program, const std::string& name, int default_grpc_port,
           int default_metrics_port) {
  return RunService(program, name, default_grpc_port, default_metrics_port,
                    [](Env& env) -> ServiceFactory {
                      const Config config = Config::FromEnv(env);
                      return [config](Server& s) -> absl::StatusOr<std::shared_ptr<void>> {
                        auto app = App::Create(config, s);
                        if (!app.ok()) return app.status();
                        return std::shared_ptr<void>(std::move(*app));
                      };
                    });
}

}  // namespace jiban::server

#endif  // JIBAN_LIBS_SERVER_SERVER_H_
