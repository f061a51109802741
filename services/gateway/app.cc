#include "services/gateway/app.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "libs/server/config_file.h"
#include "libs/status/macros.h"
#include "nlohmann/json.hpp"
#include "proto/jiban/assessment/v1/assessment.pb.h"
#include "proto/jiban/bundle/v1/bundle.pb.h"
#include "proto/jiban/escalation/v1/escalation.pb.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"

namespace jiban::gateway {
namespace {

// The backends by the variable naming them, and the service each serves. Naming one message of
// each contract also links its descriptors, which the HTTP face looks methods up in.
struct Known {
  const char* variable;
  const char* service;
  const google::protobuf::Descriptor* touch;
};
std::vector<Known> KnownBackends() {
  return {{"JIBAN_INTAKE_ADDR", "jiban.intake.v1.IntakeService",
           intake::v1::SubmitRequestRequest::descriptor()},
          {"JIBAN_ROUTING_ADDR", "jiban.routing.v1.RoutingService",
           routing::v1::GetWorkOrderRequest::descriptor()},
          {"JIBAN_ESCALATION_ADDR", "jiban.escalation.v1.EscalationService",
           escalation::v1::ListLightsRequest::descriptor()},
          {"JIBAN_ASSESSMENT_ADDR", "jiban.assessment.v1.AssessmentService",
           assessment::v1::GetUnitScoreRequest::descriptor()},
          {"JIBAN_BUNDLE_ADDR", "jiban.bundle.v1.BundleService",
           bundle::v1::SubmitApplicationRequest::descriptor()}};
}

}  // namespace

GatewayConfig GatewayConfig::FromEnv(server::Env& env) {
  GatewayConfig c;
  for (const Known& k : KnownBackends()) {
    if (!env.String(k.variable, "").empty()) c.backends[k.service] = env.Address(k.variable, "");
  }
  if (c.backends.empty()) env.Required("JIBAN_INTAKE_ADDR");  // names what is missing
  const std::string auth_file = env.Required("JIBAN_AUTH_FILE");
  if (!auth_file.empty()) {
    auto text = server::ReadConfigFile(auth_file);
    c.auth_json = text.ok() ? *text : "";
  }
  if (const std::string policy = env.String("JIBAN_POLICY_FILE", ""); !policy.empty()) {
    auto text = server::ReadConfigFile(policy);
    c.policy_json = text.ok() ? *text : "{";  // unreadable: refused at start
  }
  c.http_address = env.String("JIBAN_HTTP_ADDR", "0.0.0.0:8000");
  if (!c.http_address.empty()) c.http_address = env.Address("JIBAN_HTTP_ADDR", "0.0.0.0:8000");
  c.http_threads = env.Int("JIBAN_HTTP_THREADS", 16, 1, 256);
  c.limits.principal_rate = env.Number("JIBAN_RATE_PER_PRINCIPAL", 200, 1, 100000);
  c.limits.principal_burst = 2 * c.limits.principal_rate;
  c.limits.address_rate = env.Number("JIBAN_RATE_PER_ADDRESS", 100, 1, 100000);
  c.limits.address_burst = 2 * c.limits.address_rate;
  c.limits.max_in_flight = env.Int("JIBAN_MAX_IN_FLIGHT", 1024, 1, 100000);
  c.open311.endpoint_url = env.String("JIBAN_OPEN311_URL", c.open311.endpoint_url);
  c.open311.default_district = env.String("JIBAN_OPEN311_DISTRICT", c.open311.default_district);
  return c;
}

absl::StatusOr<std::unique_ptr<GatewayApp>> GatewayApp::Create(const GatewayConfig& config,
                                                               server::Server& server) {
  auto app = std::make_unique<GatewayApp>();
  KnownBackends();  // links every contract's descriptors
  JIBAN_ASSIGN_OR_RETURN(AuthConfig auth, ParseAuthConfig(config.auth_json));
  JIBAN_ASSIGN_OR_RETURN(app->auth_, Authenticator::Create(std::move(auth)));
  JIBAN_ASSIGN_OR_RETURN(Policy policy, config.policy_json.empty()
                                            ? Policy::Default()
                                            : Policy::Parse(config.policy_json));
  app->policy_ = std::make_unique<Policy>(std::move(policy));
  for (const auto& [service, address] : config.backends) {
    app->backends_.Add(service, grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  app->gateway_ = std::make_unique<Gateway>(*app->auth_, *app->policy_, app->backends_, app->clock_,
                                            config.limits, server.identity_key());
  app->proxy_ = std::make_unique<ProxyService>(*app->gateway_);
  server.SetGenericService(app->proxy_.get());
  if (!config.http_address.empty()) {
    JIBAN_ASSIGN_OR_RETURN(app->http_, HttpFace::Start(config.http_address, *app->gateway_,
                                                       config.http_threads, config.open311));
    server.logger().Info("http face listening", {{"http_port", app->http_->port()}});
  }
  GatewayApp* self = app.get();
  server.OnDrain([self] { self->http_.reset(); });
  return app;
}

GatewayApp::~GatewayApp() = default;

absl::StatusOr<std::string> MintToken(const std::string& auth_json, const std::string& role,
                                      const std::string& subject, const std::string& unit,
                                      absl::Duration lifetime) {
  JIBAN_ASSIGN_OR_RETURN(AuthConfig config, ParseAuthConfig(auth_json));
  for (const JwtKey& key : config.keys) {
    if (key.alg != Algorithm::kHs256) continue;
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    nlohmann::json claims = {{"iss", config.issuer}, {"aud", config.audience},
                             {"sub", subject},       {"role", role},
                             {"iat", now},           {"exp", now + absl::ToInt64Seconds(lifetime)}};
    if (!unit.empty()) claims["unit"] = unit;
    return SignToken(key, "", claims.dump());
  }
  return absl::FailedPreconditionError("the auth file has no HS256 key to sign with");
}

int RunStandalone(const char* program, const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "mint") {
    std::string role, subject, unit;
    int hours = 8;
    bool ok = true;
    for (size_t i = 1; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a.rfind("--role=", 0) == 0) {
        role = a.substr(7);
      } else if (a.rfind("--subject=", 0) == 0) {
        subject = a.substr(10);
      } else if (a.rfind("--unit=", 0) == 0) {
        unit = a.substr(7);
      } else if (a.rfind("--hours=", 0) != 0 || !absl::SimpleAtoi(a.substr(8), &hours) ||
                 hours < 1 || hours > 24 * 30) {
        ok = false;
      }
    }
    server::Env env;
    const std::string file = env.Required("JIBAN_AUTH_FILE");
    if (!ok || !IsRole(role) || subject.empty() || !env.Validate().ok()) {
      std::cerr << "usage: JIBAN_AUTH_FILE=... " << program
                << " mint --role=ROLE --subject=NAME [--unit=UNIT] [--hours=N]\n";
      return 2;
    }
    auto text = server::ReadConfigFile(file);
    auto token = text.ok() ? MintToken(*text, role, subject, unit, absl::Hours(hours))
                           : absl::StatusOr<std::string>(text.status());
    if (!token.ok()) {
      std::cerr << program << ": " << token.status().message() << "\n";
      return 2;
    }
    std::cout << *token << "\n";
    return 0;
  }
  if (!args.empty()) {
    std::cerr << "usage: " << program << " [mint --role=ROLE --subject=NAME ...]\n";
    return 2;
  }
  return server::RunApp<GatewayApp, GatewayConfig>(program, "gateway", 8080, 9090);
}

}  // namespace jiban::gateway
