// The server platform over real gRPC on loopback: health, metrics over HTTP, request id and trace
// context, deadline propagation, rich error details and the graceful drain.
#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/server/call.h"
#include "libs/server/server.h"
#include "libs/status/status.h"
#include "libs/testing/http.h"
#include "nlohmann/json.hpp"
#include "proto/google/rpc/error_details.pb.h"
#include "proto/google/rpc/status.pb.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/jiban/bench/v1/echo.grpc.pb.h"

namespace jiban::server {
namespace {

using jiban::bench::v1::EchoRequest;
using jiban::bench::v1::EchoResponse;
using jiban::bench::v1::EchoService;

// A test service: "info" reports what the handler saw; "forward" calls `downstream` with an
// outgoing context; "fail" fails with field violations; "block" waits until released.
class TestEcho final : public EchoService::Service {
 public:
  grpc::Status Echo(grpc::ServerContext* ctx, const EchoRequest* req, EchoResponse* resp) override {
    const CallInfo info = CallInfoOf(*ctx);
    const std::string& p = req->payload();
    if (p == "info") {
      const auto remaining = ctx->deadline() - std::chrono::system_clock::now();
      const bool unbounded = ctx->deadline() == std::chrono::system_clock::time_point::max();
      resp->set_payload(absl::StrCat(
          info.request_id, "|", info.trace.trace_id, "|", info.trace.span_id, "|",
          unbounded ? -1
                    : std::chrono::duration_cast<std::chrono::milliseconds>(remaining).count()));
    } else if (p == "who") {
      resp->set_payload(absl::StrCat(info.role, "|", info.subject, "|", info.unit));
    } else if (p == "forward") {
      auto out = OutgoingContext(*ctx);
      EchoRequest down;
      down.set_payload("info");
      return downstream->Echo(out.get(), down, resp);
    } else if (p == "fail") {
      return ToGrpcStatus(InvalidArgument("BAD_PAYLOAD", {{"payload", "must not be fail"}}),
                          info.request_id, info.trace.trace_id);
    } else if (p == "block") {
      entered.Notify();
      release.WaitForNotification();
      resp->set_payload("done");
    }
    return grpc::Status::OK;
  }
  std::unique_ptr<EchoService::Stub> downstream;
  absl::Notification entered, release;
};

struct Running {
  explicit Running(std::function<absl::Status()> readiness = nullptr, std::string identity_key = "")
      : server({.name = "test",
                .grpc_address = "127.0.0.1:0",
                .metrics_address = "127.0.0.1:0",
                .drain_timeout = absl::Seconds(10),
                .readiness_interval = absl::Milliseconds(20),
                .identity_key = std::move(identity_key)},
               &logs) {
    server.AddService(&echo, "jiban.bench.v1.EchoService");
    if (readiness) server.AddReadinessCheck(readiness);
    REQUIRE(server.Start().ok());
    channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.grpc_port()),
                                  grpc::InsecureChannelCredentials());
    stub = EchoService::NewStub(channel);
    health = grpc::health::v1::Health::NewStub(channel);
  }

  grpc::Status Call(const std::string& payload, EchoResponse* resp,
                    const std::vector<std::pair<std::string, std::string>>& md = {},
                    absl::Duration deadline = absl::Seconds(10)) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    for (const auto& [k, v] : md) ctx.AddMetadata(k, v);
    EchoRequest req;
    req.set_payload(payload);
    return stub->Echo(&ctx, req, resp);
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health(const std::string& service,
                                                              grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, req, &resp);
    if (status) *status = s;
    return resp.status();
  }

  // Polls Check (each call a round trip) until it answers `want`, for at most 10 s.
  bool WaitHealth(const std::string& service,
                  grpc::health::v1::HealthCheckResponse::ServingStatus want) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (Health(service) != want) {
      if (absl::Now() > give_up) return false;
    }
    return true;
  }

  std::ostringstream logs;
  TestEcho echo;
  Server server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<EchoService::Stub> stub;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
};

using Serving = grpc::health::v1::HealthCheckResponse;

TEST_CASE("health: overall, per service and liveness, unknown names NOT_FOUND") {
  Running r;
  CHECK(r.Health("") == Serving::SERVING);
  CHECK(r.Health("jiban.bench.v1.EchoService") == Serving::SERVING);
  CHECK(r.Health("liveness") == Serving::SERVING);
  CHECK(r.Health("readiness") == Serving::SERVING);
  grpc::Status status;
  r.Health("no.such.Service", &status);
  CHECK(status.error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("readiness follows the dependency check but liveness does not") {
  absl::Mutex mu;
  bool db_up = true;
  Running r([&]() -> absl::Status {
    absl::MutexLock lock(&mu);
    return db_up ? absl::OkStatus() : absl::UnavailableError("db down");
  });
  CHECK(r.Health("") == Serving::SERVING);
  {
    absl::MutexLock lock(&mu);
    db_up = false;
  }
  // The readiness loop re-checks every 20 ms; wait (bounded) for the flip.
  CHECK(r.WaitHealth("", Serving::NOT_SERVING));
  CHECK(r.Health("readiness") == Serving::NOT_SERVING);
  CHECK(r.Health("liveness") == Serving::SERVING);
  auto ready_metric = [&r] {
    auto http = testing::HttpGet(r.server.metrics_port(), "/metrics");
    return http.ok() && http->body.find("\njiban_ready 1\n") != std::string::npos;
  };
  CHECK_FALSE(ready_metric());
  {
    absl::MutexLock lock(&mu);
    db_up = true;
  }
  CHECK(r.WaitHealth("", Serving::SERVING));
  CHECK(ready_metric());
  CHECK(r.Health("jiban.bench.v1.EchoService") == Serving::SERVING);
}

TEST_CASE("request id and trace context: kept when valid, minted when absent or invalid") {
  Running r;
  EchoResponse resp;
  REQUIRE(r.Call("info", &resp,
                 {{"x-request-id", "req-42"},
                  {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}})
              .ok());
  std::vector<std::string> parts = absl::StrSplit(resp.payload(), '|');
  REQUIRE(parts.size() == 4);
  CHECK(parts[0] == "req-42");
  CHECK(parts[1] == "0af7651916cd43dd8448eb211c80319c");
  CHECK(parts[2] != "b7ad6b7169203331");  // this server's own span
  CHECK(parts[2].size() == 16);

  REQUIRE(r.Call("info", &resp, {{"traceparent", "00-ZZZ-bad-01"}}).ok());
  parts = absl::StrSplit(resp.payload(), '|');
  CHECK(parts[0].size() == 32);  // minted request id
  CHECK(ParseTraceparent(absl::StrCat("00-", parts[1], "-", parts[2], "-01")).has_value());
}

TEST_CASE("with an identity key, only signed identity headers reach the handler") {
  Running open;  // no key (development): the headers are taken as they come
  EchoResponse resp;
  REQUIRE(open.Call("who", &resp, {{"x-jiban-role", "admin"}, {"x-jiban-subject", "x"}}).ok());
  CHECK(resp.payload() == "admin|x|");

  Running guarded(nullptr, "a-deployment-identity-key-32-bytes!!");
  REQUIRE(guarded.Call("who", &resp, {{"x-jiban-role", "admin"}, {"x-jiban-subject", "x"}}).ok());
  CHECK(resp.payload() == "||");  // unsigned: dropped
  const std::string sig = IdentitySignature("a-deployment-identity-key-32-bytes!!", "unit_staff",
                                            "staff-1", "dept.health", "req-7");
  REQUIRE(guarded
              .Call("who", &resp,
                    {{"x-jiban-role", "unit_staff"},
                     {"x-jiban-subject", "staff-1"},
                     {"x-jiban-unit", "dept.health"},
                     {"x-request-id", "req-7"},
                     {"x-jiban-identity", sig}})
              .ok());
  CHECK(resp.payload() == "unit_staff|staff-1|dept.health");
  // The same signature on another request id, or with the role raised: dropped.
  REQUIRE(guarded
              .Call("who", &resp,
                    {{"x-jiban-role", "unit_staff"},
                     {"x-jiban-subject", "staff-1"},
                     {"x-jiban-unit", "dept.health"},
                     {"x-request-id", "req-8"},
                     {"x-jiban-identity", sig}})
              .ok());
  CHECK(resp.payload() == "||");
  REQUIRE(guarded
              .Call("who", &resp,
                    {{"x-jiban-role", "admin"},
                     {"x-jiban-subject", "staff-1"},
                     {"x-jiban-unit", "dept.health"},
                     {"x-request-id", "req-7"},
                     {"x-jiban-identity", sig}})
              .ok());
  CHECK(resp.payload() == "||");
  // What SetIdentity sends is accepted.
  grpc::ClientContext ctx;
  SetIdentity(ctx, "a-deployment-identity-key-32-bytes!!", "task_force", "tf-1", "", "req-9");
  EchoRequest req;
  req.set_payload("who");
  REQUIRE(guarded.stub->Echo(&ctx, req, &resp).ok());
  CHECK(resp.payload() == "task_force|tf-1|");
}

TEST_CASE("outgoing calls carry the deadline, request id and trace downstream") {
  Running downstream;
  Running upstream;
  upstream.echo.downstream = EchoService::NewStub(downstream.channel);
  EchoResponse resp;
  REQUIRE(upstream
              .Call("forward", &resp,
                    {{"x-request-id", "req-7"},
                     {"traceparent", "00-11111111111111111111111111111111-2222222222222222-01"}},
                    absl::Seconds(3))
              .ok());
  std::vector<std::string> parts = absl::StrSplit(resp.payload(), '|');
  REQUIRE(parts.size() == 4);
  CHECK(parts[0] == "req-7");
  CHECK(parts[1] == "11111111111111111111111111111111");
  const int remaining_ms = std::stoi(parts[3]);
  CHECK(remaining_ms > 0);
  // Never more time downstream than upstream, within the skew of gRPC's deadline arithmetic: the
  // timeout travels rounded up to whole units and each hop converts it between its monotonic and
  // real clocks (a CI run measured 3,009 ms).
  CHECK(remaining_ms <= 3000 + 50);
}

TEST_CASE("errors carry google.rpc.Status details any gRPC client can read") {
  Running r;
  EchoResponse resp;
  grpc::Status s = r.Call("fail", &resp, {{"x-request-id", "req-err"}});
  REQUIRE(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  REQUIRE(details.ParseFromString(s.error_details()));
  CHECK(details.code() == 3);
  bool saw_violation = false, saw_request = false;
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    google::rpc::RequestInfo info;
    if (any.UnpackTo(&bad)) saw_violation = bad.field_violations(0).field() == "payload";
    if (any.UnpackTo(&info)) saw_request = info.request_id() == "req-err";
  }
  CHECK(saw_violation);
  CHECK(saw_request);
}

TEST_CASE("metrics: standard gRPC families over HTTP, pre-initialised, with the right type") {
  Running r;
  EchoResponse resp;
  REQUIRE(r.Call("x", &resp).ok());
  REQUIRE(r.Call("fail", &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  auto http = testing::HttpGet(r.server.metrics_port(), "/metrics");
  REQUIRE(http.ok());
  CHECK(http->status == 200);
  CHECK(absl::StartsWith(http->headers["content-type"], "text/plain; version=0.0.4"));
  const std::string& body = http->body;
  auto has = [&body](const std::string& s) { return body.find(s) != std::string::npos; };
  CHECK(has("# TYPE grpc_server_handled_total counter"));
  CHECK(has("# TYPE grpc_server_handling_seconds histogram"));
  CHECK(
      has("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Echo\","
          "grpc_service=\"jiban.bench.v1.EchoService\",grpc_type=\"unary\"} 1"));
  CHECK(
      has("grpc_server_handled_total{grpc_code=\"InvalidArgument\",grpc_method=\"Echo\","
          "grpc_service=\"jiban.bench.v1.EchoService\",grpc_type=\"unary\"} 1"));
  // Never-seen codes exist at zero from the first scrape.
  CHECK(
      has("grpc_server_handled_total{grpc_code=\"Unavailable\",grpc_method=\"Echo\","
          "grpc_service=\"jiban.bench.v1.EchoService\",grpc_type=\"unary\"} 0"));
  CHECK(
      has("grpc_server_started_total{grpc_method=\"Echo\",grpc_service=\"jiban.bench.v1."
          "EchoService\",grpc_type=\"unary\"} 2"));
  CHECK(has("process_start_time_seconds"));
}

TEST_CASE("one JSON log line per RPC with request id, trace id and code") {
  Running r;
  EchoResponse resp;
  REQUIRE(r.Call("x", &resp, {{"x-request-id", "req-log"}}).ok());
  r.server.Shutdown();
  bool found = false;
  std::istringstream lines(r.logs.str());
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);  // every line is JSON
    if (j["msg"] == "rpc" && j.value("request_id", "") == "req-log") {
      found = true;
      CHECK(j["grpc.service"] == "jiban.bench.v1.EchoService");
      CHECK(j["grpc.method"] == "Echo");
      CHECK(j["grpc.code"] == "OK");
      CHECK(j["trace_id"].get<std::string>().size() == 32);
      CHECK(j["duration_seconds"].get<double>() >= 0);
    }
  }
  CHECK(found);
}

TEST_CASE("shutdown drains: the in-flight call finishes, new calls are refused") {
  Running r;
  EchoResponse blocked_resp;
  grpc::Status blocked_status;
  std::thread client([&] { blocked_status = r.Call("block", &blocked_resp); });
  r.echo.entered.WaitForNotification();
  std::thread stopper([&] { r.server.Shutdown(); });
  // Wait (bounded) until the server refuses new work, then let the in-flight call finish.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  EchoResponse probe;
  grpc::Status probe_status;
  do {
    probe_status = r.Call("x", &probe, {}, absl::Milliseconds(500));
  } while (probe_status.ok() && absl::Now() < give_up);
  CHECK_FALSE(probe_status.ok());
  r.echo.release.Notify();
  client.join();
  stopper.join();
  CHECK(blocked_status.ok());
  CHECK(blocked_resp.payload() == "done");
}

}  // namespace
}  // namespace jiban::server
