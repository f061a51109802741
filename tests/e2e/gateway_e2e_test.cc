// The gateway over real gRPC and HTTP: a call reaches its backend with the gateway's identity (a
// caller's own x-jiban-* headers dropped), its request id, trace and a bounded deadline; callers
// without credentials, with a bad token, without the right role, or calling an internal method
// are refused with their reason; rate limits answer RESOURCE_EXHAUSTED / 429 with the wait; the
// HTTP/JSON face submits to the real intake service and refuses malformed input with 400 and a
// JSON error naming the problem, never echoing personal data.
#include <catch2/catch.hpp>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/server_builder.h"
#include "libs/crypto/sealer.h"
#include "libs/server/server.h"
#include "libs/status/status.h"
#include "libs/testing/http.h"
#include "libs/testing/test_db.h"
#include "nlohmann/json.hpp"
#include "proto/jiban/assessment/v1/assessment.pb.h"
#include "proto/jiban/bundle/v1/bundle.pb.h"
#include "proto/jiban/escalation/v1/escalation.pb.h"
#include "proto/jiban/events/v1/events.grpc.pb.h"
#include "proto/jiban/intake/v1/intake.grpc.pb.h"
#include "proto/jiban/routing/v1/routing.grpc.pb.h"
#include "services/gateway/app.h"
#include "services/intake/app.h"

namespace jiban {
namespace {

namespace iv1 = intake::v1;
using nlohmann::json;
const std::string kSecret = "gateway-test-secret-0123456789abcdef";
const std::string kAuth = absl::StrCat(
    R"({"issuer":"https://id.test","audience":"jiban","keys":[{"kid":"k1","alg":"HS256","secret":")",
    kSecret, R"("}],"apiKeys":[{"name":"hotline","sha256":")", crypto::Sha256Hex("api-key-1"),
    R"(","role":"agency_system","scopes":["jiban.intake.v1.IntakeService/*"]},{"name":"agency",)"
    R"("sha256":")",
    crypto::Sha256Hex("api-key-2"), R"(","role":"agency_system"}]})");

std::string Token(const std::string& role, const std::string& subject, int64_t exp_offset = 600) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  nlohmann::json claims = {{"iss", "https://id.test"},
                           {"aud", "jiban"},
                           {"sub", subject},
                           {"role", role},
                           {"exp", now + exp_offset}};
  if (role == "unit_staff") claims["unit"] = "dept.health";
  auto t = gateway::SignToken({.kid = "k1", .alg = gateway::Algorithm::kHs256, .secret = kSecret},
                              "", claims.dump());
  REQUIRE(t.ok());
  return *t;
}

// An intake stand-in that answers GetRequest with what reached it: role|subject|unit|request id|
// trace id, and how long it was given.
class EchoIntake final : public iv1::IntakeService::Service {
 public:
  grpc::Status GetRequest(grpc::ServerContext* ctx, const iv1::GetRequestRequest*,
                          iv1::GetRequestResponse* resp) override {
    const auto md = [&](const char* k) {
      auto it = ctx->client_metadata().find(k);
      return it == ctx->client_metadata().end() ? std::string()
                                                : std::string(it->second.data(), it->second.size());
    };
    const std::string traceparent = md("traceparent");
    resp->mutable_request()->set_title(
        absl::StrCat(md("x-jiban-role"), "|", md("x-jiban-subject"), "|", md("x-jiban-unit"), "|",
                     md("x-request-id"), "|", traceparent.substr(3, 32)));
    const absl::Duration left = absl::FromChrono(ctx->deadline()) - absl::Now();
    resp->mutable_request()->set_text(absl::StrCat(absl::ToInt64Seconds(left)));
    return grpc::Status::OK;
  }
};

// A backend on a loopback port, serving `service` (or answering anything, for `generic`).
struct Backend {
  explicit Backend(grpc::Service* service, grpc::CallbackGenericService* generic = nullptr) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    if (service != nullptr) builder.RegisterService(service);
    if (generic != nullptr) builder.RegisterCallbackGenericService(generic);
    server = builder.BuildAndStart();
    address = absl::StrCat("127.0.0.1:", port);
  }
  ~Backend() { server->Shutdown(); }
  int port = 0;
  std::string address;
  std::unique_ptr<grpc::Server> server;
};

server::ServerOptions WithKey(const char* name, const std::string& identity_key) {
  server::ServerOptions o = server::ServerOptions::Loopback(name);
  o.identity_key = identity_key;
  return o;
}

struct Gateway {
  Gateway(const std::map<std::string, std::string>& backends, gateway::Limits limits = {},
          const std::string& identity_key = "")
      : server(WithKey("gateway", identity_key), &logs) {
    auto app = gateway::GatewayApp::Create({.backends = backends,
                                            .auth_json = kAuth,
                                            .http_address = "127.0.0.1:0",
                                            .http_threads = 4,
                                            .limits = limits},
                                           server);
    if (!app.ok()) FAIL(app.status());
    gw = std::move(*app);
    REQUIRE(server.Start().ok());
    channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.grpc_port()),
                                  grpc::InsecureChannelCredentials());
  }
  ~Gateway() { server.Shutdown(); }

  std::ostringstream logs;
  server::Server server;
  std::unique_ptr<gateway::GatewayApp> gw;
  std::shared_ptr<grpc::Channel> channel;
};

void Authorize(grpc::ClientContext& ctx, const std::string& token) {
  ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
}

TEST_CASE(
    "a call reaches its backend with the gateway's identity, request id, trace and deadline") {
  EchoIntake echo;
  Backend backend(&echo);
  Gateway g({{"jiban.intake.v1.IntakeService", backend.address}});
  auto stub = iv1::IntakeService::NewStub(g.channel);

  grpc::ClientContext ctx;
  Authorize(ctx, Token("requester", "citizen-7"));
  ctx.AddMetadata("x-jiban-role", "admin");  // a caller cannot choose its own role
  ctx.AddMetadata("x-jiban-unit", "dept.health");
  ctx.AddMetadata("x-request-id", "req-123");
  ctx.AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  iv1::GetRequestRequest req;
  req.set_id("01J00000000000000000000000");
  iv1::GetRequestResponse resp;
  const grpc::Status s = stub->GetRequest(&ctx, req, &resp);
  REQUIRE(s.ok());
  CHECK(resp.request().title() == "requester|citizen-7||req-123|4bf92f3577b34da6a3ce929d0e0e4736");
  int64_t left = 0;
  REQUIRE(absl::SimpleAtoi(resp.request().text(), &left));
  CHECK(left <= 30);  // the gateway's bound, below the caller's 60 s
  CHECK(left > 0);

  // An API key, within its scopes.
  grpc::ClientContext key_ctx;
  key_ctx.AddMetadata("x-api-key", "api-key-1");
  iv1::GetRequestResponse by_key;
  REQUIRE(stub->GetRequest(&key_ctx, req, &by_key).ok());
  CHECK(absl::StartsWith(by_key.request().title(), "agency_system|hotline||"));
}

TEST_CASE("callers are refused with their reason, and internal methods do not exist") {
  EchoIntake echo;
  Backend backend(&echo);
  const std::string& address = backend.address;
  Gateway g(
      {{"jiban.intake.v1.IntakeService", address}, {"jiban.routing.v1.RoutingService", address}},
      {.principal_rate = 1, .principal_burst = 2});
  auto stub = iv1::IntakeService::NewStub(g.channel);
  iv1::GetRequestRequest req;
  iv1::GetRequestResponse resp;
  const auto reason = [](const grpc::Status& s) { return ReasonOf(FromGrpcStatus(s)); };

  grpc::ClientContext none;
  grpc::Status s = stub->GetRequest(&none, req, &resp);
  CHECK(s.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(reason(s) == "CREDENTIALS_MISSING");
  grpc::ClientContext forged;
  Authorize(forged, Token("requester", "x") + "x");
  CHECK(reason(stub->GetRequest(&forged, req, &resp)) == "TOKEN_BAD_SIGNATURE");
  grpc::ClientContext expired;
  Authorize(expired, Token("requester", "x", -3600));
  CHECK(reason(stub->GetRequest(&expired, req, &resp)) == "TOKEN_EXPIRED");

  grpc::ClientContext denied;
  Authorize(denied, Token("requester", "citizen-8"));
  iv1::MergeRequestsRequest merge;
  iv1::MergeRequestsResponse merged;
  s = stub->MergeRequests(&denied, merge, &merged);
  CHECK(s.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(reason(s) == "ROLE_NOT_ALLOWED");

  // The event stream and routing's internal calls are not there, even for the administrator.
  auto events = events::v1::EventLogService::NewStub(g.channel);
  grpc::ClientContext stream_ctx;
  Authorize(stream_ctx, Token("admin", "root"));
  auto reader = events->StreamEvents(&stream_ctx, events::v1::StreamEventsRequest());
  events::v1::StreamEventsResponse batch;
  while (reader->Read(&batch)) {
  }
  s = reader->Finish();
  CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
  auto routing = routing::v1::RoutingService::NewStub(g.channel);
  grpc::ClientContext internal_ctx;
  Authorize(internal_ctx, Token("admin", "root"));
  routing::v1::DispatchBundlePartResponse part;
  CHECK(routing->DispatchBundlePart(&internal_ctx, routing::v1::DispatchBundlePartRequest(), &part)
            .error_code() == grpc::StatusCode::NOT_FOUND);

  // One principal, a burst of two: the third call waits.
  const std::string token = Token("requester", "citizen-9");
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ok_ctx;
    Authorize(ok_ctx, token);
    CHECK(stub->GetRequest(&ok_ctx, req, &resp).ok());
  }
  grpc::ClientContext limited;
  Authorize(limited, token);
  s = stub->GetRequest(&limited, req, &resp);
  CHECK(s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(reason(s) == "RATE_LIMITED");
  auto retry = limited.GetServerTrailingMetadata().find("retry-after");
  REQUIRE(retry != limited.GetServerTrailingMetadata().end());
  CHECK(std::string(retry->second.data(), retry->second.size()) == "1");
}

TEST_CASE("the HTTP/JSON face submits to intake and refuses malformed input with 400") {
  auto db = testing::TestDatabase::Create(db::Dialect::kSqlite);
  std::ostringstream logs;
  server::Server intake_server(server::ServerOptions::Loopback("intake"), &logs);
  auto intake = intake::IntakeApp::Create(
      {.db_dsn = db->dsn(), .field_keys = crypto::Sealer::NewSpec()}, intake_server);
  REQUIRE(intake.ok());
  REQUIRE(intake_server.Start().ok());
  Gateway g(
      {{"jiban.intake.v1.IntakeService", absl::StrCat("127.0.0.1:", intake_server.grpc_port())}},
      {.principal_rate = 1000, .principal_burst = 1000});
  const int port = g.gw->http_port();
  const std::string auth = "Authorization: Bearer " + Token("window_clerk", "clerk-1");
  const auto post = [&](const std::string& path, const std::string& body,
                        std::vector<std::string> headers) {
    auto r = testing::HttpCall(port, "POST", path, headers, body);
    REQUIRE(r.ok());
    return *r;
  };
  const std::string submit = "/v1/jiban.intake.v1.IntakeService/SubmitRequest";
  const std::string body = R"({"requestId":"http-1","request":{"channel":"CHANNEL_WINDOW",
      "nature":"NATURE_COMPLAINT","title":"小区门口路灯不亮","text":"晚上出行不便，请尽快修复。",
      "location":{"districtCode":"410202"},
      "requester":{"citizen":{"name":"李四","phone":"13800138000"}}}})";

  auto ok = post(submit, body, {auth, "X-Request-Id: http-req-1"});
  CHECK(ok.status == 200);
  CHECK((absl::StrContains(ok.body, "\"trackingNumber\": \"JB") ||
         absl::StrContains(ok.body, "\"trackingNumber\":\"JB")));

  const auto error_of = [](const testing::HttpResponse& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() ? j["error"] : nlohmann::json();
  };
  struct Case {
    std::string name, body;
    int status;
    std::string reason;
  };
  std::string deep = std::string(40, '[') + std::string(40, ']');
  for (const Case& c : std::vector<Case>{
           {"malformed", R"({"requestId": "x", )", 400, "MALFORMED_JSON"},
           {"unknown field", R"({"requestId":"x","surprise":1})", 400, "MALFORMED_JSON"},
           {"wrong type", R"({"requestId":{"a":1}})", 400, "MALFORMED_JSON"},
           {"deep", R"({"requestId":)" + deep + "}", 400, "JSON_TOO_DEEP"},
           {"too large", std::string(2 << 20, ' '), 400, "BODY_TOO_LARGE"},
           // Found by tests/fuzz/http_json_fuzz: an error quoting bytes that are not UTF-8 once
           // threw while the error body was written, ending the gateway.
           {"not UTF-8", "{\"requestId\":\"x\xff\x8d\"}", 400, "MALFORMED_JSON"},
           {"not UTF-8 outside strings", "[\x8d\x8d{\"a\":1}]", 400, "MALFORMED_JSON"}}) {
    INFO(c.name);
    auto r = post(submit, c.body, {auth});
    CHECK(r.status == c.status);
    CHECK(error_of(r)["reason"] == c.reason);
    CHECK(r.headers["content-type"] == "application/json");
  }
  // The backend's own refusal, with the field named and the value not echoed.
  std::string bad_phone = body;
  bad_phone.replace(bad_phone.find("13800138000"), 11, "1380013");
  bad_phone.replace(bad_phone.find("http-1"), 6, "http-2");
  auto refused = post(submit, bad_phone, {auth});
  CHECK(refused.status == 400);
  const auto err = error_of(refused);
  CHECK(err["code"] == "INVALID_ARGUMENT");
  bool phone_named = false;
  for (const auto& v : err["fieldViolations"]) {
    phone_named = phone_named || absl::StrContains(v["field"].get<std::string>(), "phone");
  }
  CHECK(phone_named);
  CHECK(!absl::StrContains(refused.body, "1380013"));

  // Fields a caller must not set (output only) are not taken from the caller.
  std::string forged = body;
  forged.replace(forged.find("http-1"), 6, "http-4");
  forged.replace(forged.find(R"("channel")"), 9,
                 R"("id":"01JFORGED0000000000000000","trackingNumber":"JB2099010100000001",)"
                 R"("status":"REQUEST_STATUS_CLOSED","masterId":"01JMASTER","channel")");
  auto taken = post(submit, forged, {auth});
  REQUIRE(taken.status == 200);
  const json stored = json::parse(taken.body)["request"];
  CHECK(stored["id"] != "01JFORGED0000000000000000");
  CHECK(stored["trackingNumber"] != "JB2099010100000001");
  CHECK(stored["status"] == "REQUEST_STATUS_RECEIVED");
  CHECK(stored.value("masterId", "") != "01JMASTER");  // (a real master: the same text as above)

  // A requester's request does not exist for another requester.
  std::string alices = body;
  alices.replace(alices.find("http-1"), 6, "http-3");
  auto mine = post(submit, alices, {"Authorization: Bearer " + Token("requester", "alice")});
  REQUIRE(mine.status == 200);
  const std::string id = nlohmann::json::parse(mine.body)["request"]["id"];
  const std::string get_path = "/v1/jiban.intake.v1.IntakeService/GetRequest";
  const std::string by_id = nlohmann::json{{"id", id}}.dump();
  CHECK(post(get_path, by_id, {"Authorization: Bearer " + Token("requester", "alice")}).status ==
        200);
  auto theirs = post(get_path, by_id, {"Authorization: Bearer " + Token("requester", "bob")});
  CHECK(theirs.status == 404);
  CHECK(error_of(theirs)["reason"] == "REQUEST_NOT_FOUND");

  CHECK(post(submit, body, {}).status == 401);
  CHECK(post("/v1/jiban.intake.v1.IntakeService/MergeRequests", "{}",
             {"Authorization: Bearer " + Token("requester", "c")})
            .status == 403);
  CHECK(post("/v1/jiban.intake.v1.IntakeService/NoSuchMethod", "{}", {auth}).status == 404);
  CHECK(post("/v1/jiban.events.v1.EventLogService/StreamEvents", "{}", {auth}).status == 404);
  auto get = testing::HttpGet(port, submit);
  REQUIRE(get.ok());
  CHECK(get->status == 405);
  intake_server.Shutdown();
}

TEST_CASE("the HTTP face answers 429 with Retry-After when a principal calls too fast") {
  EchoIntake echo;
  Backend backend(&echo);
  Gateway g({{"jiban.intake.v1.IntakeService", backend.address}},
            {.principal_rate = 1, .principal_burst = 1});
  const std::vector<std::string> auth = {"Authorization: Bearer " + Token("requester", "c")};
  const std::string path = "/v1/jiban.intake.v1.IntakeService/GetRequest";
  auto first = testing::HttpCall(g.gw->http_port(), "POST", path, auth, R"({"id":"x"})");
  REQUIRE(first.ok());
  CHECK(first->status == 200);
  auto second = testing::HttpCall(g.gw->http_port(), "POST", path, auth, R"({"id":"x"})");
  REQUIRE(second.ok());
  CHECK(second->status == 429);
  CHECK(second->headers["retry-after"] == "1");
}

// A backend that answers every method with an empty message: what reaches it was allowed.
class AnyMethod final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      Reactor() {
        grpc::Slice empty;
        response_ = grpc::ByteBuffer(&empty, 1);
        StartRead(&request_);
      }
      void OnReadDone(bool) override {
        StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
      }
      void OnDone() override { delete this; }

     private:
      grpc::ByteBuffer request_, response_;
    };
    return new Reactor();  // deletes itself in OnDone (gRPC's callback API)
  }
};

TEST_CASE("every RPC as every role through the gateway: allowed and refused as the policy says") {
  AnyMethod any;
  Backend backend(nullptr, &any);
  const std::string& address = backend.address;
  std::map<std::string, std::string> backends;
  std::vector<std::string> methods;
  for (const google::protobuf::FileDescriptor* f :
       {iv1::SubmitRequestRequest::descriptor()->file(),
        routing::v1::GetWorkOrderRequest::descriptor()->file(),
        escalation::v1::ListLightsRequest::descriptor()->file(),
        assessment::v1::GetUnitScoreRequest::descriptor()->file(),
        bundle::v1::SubmitApplicationRequest::descriptor()->file(),
        events::v1::StreamEventsRequest::descriptor()->file()}) {
    for (int i = 0; i < f->service_count(); ++i) {
      backends[f->service(i)->full_name()] = address;
      for (int m = 0; m < f->service(i)->method_count(); ++m) {
        if (f->service(i)->method(m)->server_streaming()) continue;  // the event stream
        methods.push_back(
            absl::StrCat(f->service(i)->full_name(), "/", f->service(i)->method(m)->name()));
      }
    }
  }
  Gateway g(
      backends,
      {.principal_rate = 1e5, .principal_burst = 1e5, .address_rate = 1e5, .address_burst = 1e5});
  auto policy = gateway::Policy::Default();
  REQUIRE(policy.ok());
  grpc::GenericStub stub(g.channel);
  int allowed = 0, refused = 0;
  for (const char* role : gateway::kRoles) {
    const bool api_key = std::string(role) == "agency_system";
    const std::string token = api_key ? "" : Token(role, absl::StrCat(role, "-1"));
    for (const std::string& method : methods) {
      INFO(role << " " << method);
      grpc::ClientContext ctx;
      if (api_key) {
        ctx.AddMetadata("x-api-key", "api-key-2");
      } else {
        Authorize(ctx, token);
      }
      grpc::Slice empty;
      grpc::ByteBuffer request(&empty, 1), response;
      absl::Notification done;
      grpc::Status status;
      stub.UnaryCall(&ctx, "/" + method, grpc::StubOptions(), &request, &response,
                     [&](grpc::Status s) {
                       status = std::move(s);
                       done.Notify();
                     });
      done.WaitForNotification();
      const absl::Status expected =
          policy->Check({.subject = "x", .role = role, .unit_id = "dept.health"}, method);
      CHECK(status.error_code() == static_cast<grpc::StatusCode>(expected.code()));
      (status.ok() ? allowed : refused)++;
    }
  }
  CHECK(allowed > 100);
  CHECK(refused > 100);
}

TEST_CASE("with an identity key, a backend takes the gateway's identity and drops a forged one") {
  const std::string key = "deployment-identity-key-0123456789ab";
  EchoIntake echo;
  std::ostringstream logs;
  server::Server backend(WithKey("intake", key), &logs);
  backend.AddService(&echo, "jiban.intake.v1.IntakeService");
  REQUIRE(backend.Start().ok());
  const std::string address = absl::StrCat("127.0.0.1:", backend.grpc_port());
  Gateway g({{"jiban.intake.v1.IntakeService", address}}, {}, key);
  iv1::GetRequestRequest req;
  req.set_id("01J00000000000000000000000");
  iv1::GetRequestResponse resp;
  grpc::ClientContext through;
  Authorize(through, Token("requester", "citizen-7"));
  REQUIRE(iv1::IntakeService::NewStub(g.channel)->GetRequest(&through, req, &resp).ok());
  CHECK(absl::StartsWith(resp.request().title(), "requester|citizen-7||"));
  // Straight to the backend, naming a role without the key: the backend hears no one.
  grpc::ClientContext straight;
  straight.AddMetadata("x-jiban-role", "admin");
  straight.AddMetadata("x-jiban-subject", "intruder");
  REQUIRE(
      iv1::IntakeService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))
          ->GetRequest(&straight, req, &resp)
          .ok());
  CHECK(absl::StartsWith(resp.request().title(), "|||"));
  backend.Shutdown();
}

}  // namespace
}  // namespace jiban
