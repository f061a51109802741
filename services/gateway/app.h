// Wires the gateway: the auth file and the policy (read and checked at start), the backends'
// channels, the gRPC face (a generic proxy beside the gateway's own health and reflection), the
// HTTP/JSON face on its own port, metrics and drain.
#ifndef JIBAN_SERVICES_GATEWAY_APP_H_
#define JIBAN_SERVICES_GATEWAY_APP_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libs/clock/clock.h"
#include "libs/server/env.h"
#include "libs/server/server.h"
#include "services/gateway/auth.h"
#include "services/gateway/gateway.h"
#include "services/gateway/http.h"
#include "services/gateway/policy.h"

namespace jiban::gateway {

struct GatewayConfig {
  // Backend addresses by service ("jiban.intake.v1.IntakeService" → "host:port").
  std::map<std::string, std::string> backends;
  std::string auth_json;                      // the auth file's contents (a secret)
  std::string policy_json;                    // empty: the shipped policy
  std::string http_address = "0.0.0.0:8000";  // empty: no HTTP face
  int http_threads = 16;
  Limits limits;
  Open311Options open311;

  // JIBAN_INTAKE_ADDR, JIBAN_ROUTING_ADDR, JIBAN_ESCALATION_ADDR, JIBAN_ASSESSMENT_ADDR,
  // JIBAN_BUNDLE_ADDR (at least one), JIBAN_AUTH_FILE (required), JIBAN_POLICY_FILE,
  // JIBAN_HTTP_ADDR (default 0.0.0.0:8000), JIBAN_HTTP_THREADS (1..256, 16),
  // JIBAN_RATE_PER_PRINCIPAL (1..100000 calls/s, 200), JIBAN_RATE_PER_ADDRESS (1..100000, 100),
  // JIBAN_MAX_IN_FLIGHT (1..100000, 1024), JIBAN_OPEN311_URL (the endpoint discovery names),
  // JIBAN_OPEN311_DISTRICT (the district of an Open311 request that names none, 6 digits).
  static GatewayConfig FromEnv(server::Env& env);
};

// A development token signed with the auth file's first HS256 key (`jiban gateway mint`, the
// guided demo); production tokens come from the city's identity provider.
absl::StatusOr<std::string> MintToken(const std::string& auth_json, const std::string& role,
                                      const std::string& subject, const std::string& unit,
                                      absl::Duration lifetime);

// Runs the gateway until SIGTERM (jiban-gateway, `jiban gateway`), or, with args
// `mint --role=R --subject=S [--unit=U] [--hours=N]`, prints a token signed with the auth file's
// first HS256 key (development: demo tokens; exit 2 on bad arguments).
int RunStandalone(const char* program, const std::vector<std::string>& args = {});

class GatewayApp {
 public:
  static absl::StatusOr<std::unique_ptr<GatewayApp>> Create(const GatewayConfig& config,
                                                            server::Server& server);
  GatewayApp() = default;
  ~GatewayApp();
  int http_port() const { return http_ ? http_->port() : 0; }

 private:
  SystemClock clock_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<Policy> policy_;
  Backends backends_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<ProxyService> proxy_;
  std::unique_ptr<HttpFace> http_;
};

}  // namespace jiban::gateway

#endif  // JIBAN_SERVICES_GATEWAY_APP_H_
