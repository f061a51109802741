// Open311 GeoReport v2 through the gateway, with intake and routing behind it: discovery, the
// service list and definitions, POST requests with an API key (idempotent, refused without a key
// or a location), GET requests with the spec's filters, GET request, token → id — in JSON, each
// answer checked against the published GeoReport v2 JSON schemas (../shared/data), and in XML.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "libs/crypto/sealer.h"
#include "libs/events/consumer.h"
#include "libs/server/server.h"
#include "libs/testing/data.h"
#include "libs/testing/http.h"
#include "libs/testing/test_db.h"
#include "nlohmann/json.hpp"
#include "proto/jiban/routing/v1/routing.pb.h"
#include "services/gateway/app.h"
#include "services/intake/app.h"
#include "services/routing/app.h"

namespace jiban {
namespace {

using nlohmann::json;

// RFC 3339: 2026-11-27T10:00:00+08:00 (fractions allowed, Z or an offset).
bool RfcDateTime(const std::string& s) {
  absl::Time t;
  std::string err;
  for (const char* f : {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*SZ"}) {
    if (absl::ParseTime(f, s, &t, &err)) return true;
  }
  return false;
}

// The subset of JSON Schema the GeoReport v2 schemas use: $ref (a sibling file), type, required,
// properties, items, enum, anyOf, maxLength, format date-time. Appends one line per violation.
void Validate(const json& schema, const json& v, const std::string& where, const std::string& dir,
              std::vector<std::string>& errors) {
  if (schema.contains("$ref")) {
    std::ifstream in(dir + "/" + schema["$ref"].get<std::string>());
    Validate(json::parse(in), v, where, dir, errors);
    return;
  }
  if (schema.contains("anyOf")) {
    for (const json& option : schema["anyOf"]) {
      std::vector<std::string> e;
      Validate(option, v, where, dir, e);
      if (e.empty()) return;
    }
    errors.push_back(where + ": matches none of anyOf");
    return;
  }
  if (schema.contains("type")) {
    const std::string t = schema["type"];
    const bool ok = (t == "string" && v.is_string()) || (t == "number" && v.is_number()) ||
                    (t == "integer" && v.is_number_integer()) ||
                    (t == "boolean" && v.is_boolean()) || (t == "object" && v.is_object()) ||
                    (t == "array" && v.is_array()) || (t == "null" && v.is_null());
    if (!ok) {
      errors.push_back(where + ": not a " + t);
      return;
    }
  }
  if (schema.contains("enum") &&
      std::find(schema["enum"].begin(), schema["enum"].end(), v) == schema["enum"].end()) {
    errors.push_back(where + ": not one of the enum");
  }
  if (v.is_string() && schema.contains("maxLength") &&
      v.get<std::string>().size() > schema["maxLength"].get<size_t>()) {
    errors.push_back(where + ": too long");
  }
  if (v.is_string() && schema.value("format", "") == "date-time" &&
      !RfcDateTime(v.get<std::string>())) {
    errors.push_back(where + ": not an RFC 3339 date-time");
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const json& r : schema["required"]) {
        if (!v.contains(r.get<std::string>())) errors.push_back(where + ": missing " + r.dump());
      }
    }
    if (schema.contains("properties")) {
      for (const auto& [k, sub] : schema["properties"].items()) {
        if (v.contains(k)) Validate(sub, v[k], where + "." + k, dir, errors);
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < v.size(); ++i) {
      Validate(schema["items"], v[i], absl::StrCat(where, "[", i, "]"), dir, errors);
    }
  }
}

std::vector<std::string> Violations(const std::string& schema_file, const json& v) {
  const std::string dir = testing::SharedDataPath("open311_georeport_v2/open311_json_schemas");
  std::ifstream in(dir + "/" + schema_file);
  REQUIRE(in.good());
  std::vector<std::string> errors;
  Validate(json::parse(in), v, "$", dir, errors);
  return errors;
}

std::string Escape(const std::string& s) {  // percent-encodes a path segment or form value
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrCat("%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

struct Suite {
  Suite()
      : intake_db(testing::TestDatabase::Create(db::Dialect::kSqlite)),
        routing_db(testing::TestDatabase::Create(db::Dialect::kSqlite)),
        watcher_db(testing::TestDatabase::Create(db::Dialect::kSqlite,
                                                 {events::Migrations(db::Dialect::kSqlite)})),
        intake_server(server::ServerOptions::Loopback("intake"), &logs),
        routing_server(server::ServerOptions::Loopback("routing"), &logs),
        gateway_server(server::ServerOptions::Loopback("gateway"), &logs) {
    auto i = intake::IntakeApp::Create(
        {.db_dsn = intake_db->dsn(), .field_keys = crypto::Sealer::NewSpec()}, intake_server);
    if (!i.ok()) FAIL(i.status());
    intake_app = std::move(*i);
    REQUIRE(intake_server.Start().ok());
    const std::string intake_address = absl::StrCat("127.0.0.1:", intake_server.grpc_port());
    auto r = routing::RoutingApp::Create(
        {.db_dsn = routing_db->dsn(), .intake_address = intake_address}, routing_server);
    if (!r.ok()) FAIL(r.status());
    routing_app = std::move(*r);
    REQUIRE(routing_server.Start().ok());
    const std::string routing_address = absl::StrCat("127.0.0.1:", routing_server.grpc_port());
    const std::string auth = absl::StrCat(
        R"({"issuer":"i","audience":"jiban","keys":[{"kid":"k","alg":"HS256",)",
        R"("secret":"0123456789abcdef0123456789abcdef"}],"apiKeys":[{"name":"fixmystreet",)",
        R"("sha256":")", crypto::Sha256Hex("o311-key"), R"(","role":"agency_system"}]})");
    auto g = gateway::GatewayApp::Create(
        {.backends = {{"jiban.intake.v1.IntakeService", intake_address},
                      {"jiban.routing.v1.RoutingService", routing_address}},
         .auth_json = auth,
         .http_address = "127.0.0.1:0",
         .http_threads = 4},
        gateway_server);
    if (!g.ok()) FAIL(g.status());
    gateway_app = std::move(*g);
    REQUIRE(gateway_server.Start().ok());
    watcher = std::make_unique<events::Consumer>(
        events::ConsumerOptions{
            .name = "test<-routing",
            .source = grpc::CreateChannel(routing_address, grpc::InsecureChannelCredentials())},
        watcher_db->db(),
        [this](db::Transaction& tx, const events::v1::Event& e) -> absl::Status {
          routing::v1::OrdersDispatched d;
          if (e.payload().UnpackTo(&d)) {
            tx.OnCommit([this, d] {
              absl::MutexLock lock(&mu);
              for (const auto& o : d.orders()) dispatched.insert(o.request_id());
            });
          }
          return absl::OkStatus();
        },
        metrics);
    REQUIRE(watcher->Start().ok());
  }
  ~Suite() {
    watcher.reset();
    gateway_server.Shutdown();
    routing_server.Shutdown();
    intake_server.Shutdown();
  }
  bool Dispatched(const std::string& request_id) {
    absl::MutexLock lock(&mu);
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return dispatched.contains(request_id); };
    return mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30));
  }
  testing::HttpResponse Get(const std::string& path) {
    auto r = testing::HttpGet(gateway_app->http_port(), "/open311/v2/" + path);
    REQUIRE(r.ok());
    return *r;
  }
  testing::HttpResponse Post(const std::string& path, const std::string& form) {
    auto r = testing::HttpCall(gateway_app->http_port(), "POST", "/open311/v2/" + path,
                               {"Content-Type: application/x-www-form-urlencoded"}, form);
    REQUIRE(r.ok());
    return *r;
  }

  std::unique_ptr<testing::TestDatabase> intake_db, routing_db, watcher_db;
  std::ostringstream logs;
  server::Server intake_server, routing_server, gateway_server;
  std::unique_ptr<intake::IntakeApp> intake_app;
  std::unique_ptr<routing::RoutingApp> routing_app;
  std::unique_ptr<gateway::GatewayApp> gateway_app;
  prometheus::Registry metrics;
  std::unique_ptr<events::Consumer> watcher;
  absl::Mutex mu;
  std::set<std::string> dispatched ABSL_GUARDED_BY(mu);
};

TEST_CASE("Open311 GeoReport v2: services, a request posted and read back, in JSON and XML") {
  Suite s;
  auto discovery = s.Get("discovery.json");
  CHECK(discovery.status == 200);
  CHECK(json::parse(discovery.body)["endpoints"][0]["specification"] ==
        "http://wiki.open311.org/GeoReport_v2");

  auto services = s.Get("services.json");
  REQUIRE(services.status == 200);
  const json list = json::parse(services.body);
  CHECK(Violations("services.json", list).empty());
  std::set<std::string> codes;
  for (const json& svc : list) codes.insert(svc["service_code"]);
  CHECK(codes.contains("城乡建设"));
  CHECK(codes.size() == 7);
  auto xml = s.Get("services.xml");
  CHECK(xml.status == 200);
  CHECK(absl::StartsWith(xml.body, "<?xml"));
  CHECK(absl::StrContains(xml.body, "<services>\n<service><service_code>"));
  auto definition = s.Get("services/" + Escape("城乡建设") + ".json");
  REQUIRE(definition.status == 200);
  CHECK(Violations("service-definition.json", json::parse(definition.body)).empty());
  CHECK(s.Get("services/nope.json").status == 404);
  CHECK(s.Get("services.txt").status == 404);

  // POST: an API key is required; a location is required.
  const std::string form =
      "service_code=" + Escape("城乡建设") + "&lat=34.797&long=114.307&description=" +
      Escape("鼓楼广场东侧井盖缺失，夜间行人容易踩空，请尽快补装。") +
      "&first_name=" + Escape("明") + "&last_name=" + Escape("王") + "&phone=13900139000";
  CHECK(s.Post("requests.json", form).status == 401);
  CHECK(s.Post("requests.json", form + "&api_key=wrong").status == 401);
  auto no_place = s.Post("requests.json", "api_key=o311-key&service_code=" + Escape("城乡建设"));
  CHECK(no_place.status == 400);
  CHECK(absl::StrContains(no_place.body, "lat"));
  auto posted = s.Post("requests.json", form + "&api_key=o311-key");
  REQUIRE(posted.status == 201);
  const json created = json::parse(posted.body);
  const std::string id = created[0]["service_request_id"];
  CHECK(created[0]["token"] == id);
  CHECK(absl::StrContains(created[0]["service_notice"].get<std::string>(), "JB"));
  auto again = s.Post("requests.json", form + "&api_key=o311-key");
  REQUIRE(again.status == 201);
  CHECK(json::parse(again.body)[0]["service_request_id"] == id);  // a retry: the same request

  // Read back once routing has dispatched it: open, with the unit and the deadline.
  REQUIRE(s.Dispatched(id));
  auto one = s.Get("requests/" + id + ".json");
  REQUIRE(one.status == 200);
  const json got = json::parse(one.body);
  CHECK(Violations("requests.json", got).empty());
  REQUIRE(got.size() == 1);
  CHECK(got[0]["status"] == "open");
  CHECK(got[0]["agency_responsible"].is_string());
  CHECK(got[0]["expected_datetime"].is_string());
  CHECK(!absl::StrContains(one.body, "13900139000"));
  auto all = s.Get("requests.json");
  REQUIRE(all.status == 200);
  CHECK(Violations("requests.json", json::parse(all.body)).empty());
  CHECK(absl::StrContains(all.body, id));
  CHECK(json::parse(s.Get("requests.json?status=closed").body).empty());
  CHECK(absl::StrContains(s.Get("requests.json?status=open").body, id));
  CHECK(json::parse(s.Get("requests.json?start_date=2099-01-01T00:00:00Z").body).empty());
  CHECK(s.Get("requests.json?status=maybe").status == 400);
  // No classifier model in tests: the order has no category, so no service_code matches it.
  CHECK(!absl::StrContains(s.Get("requests.json?service_code=" + Escape("交通运输")).body, id));
  CHECK(s.Get("requests/01JNOSUCHREQUEST0000000000.json").status == 404);
  auto token = s.Get("tokens/" + id + ".json");
  REQUIRE(token.status == 200);
  CHECK(json::parse(token.body)[0]["service_request_id"] == id);
  auto as_xml = s.Get("requests/" + id + ".xml");
  CHECK(as_xml.status == 200);
  CHECK(absl::StrContains(as_xml.body, "<service_requests>\n<request><service_request_id>" + id));
  auto posted_xml =
      s.Post("requests.xml", form + "&api_key=o311-key&attribute%5Bdistrict%5D=410203");
  CHECK(posted_xml.status == 201);
  CHECK(absl::StrContains(posted_xml.body, "<service_request_id>"));
}

}  // namespace
}  // namespace jiban
