// Intake end to end over real gRPC on both drivers: submit, idempotent retry (also racing), the
// RequestSubmitted event reaching a consumer exactly once, errors with field violations.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/events/consumer.h"
#include "libs/server/server.h"
#include "libs/status/status.h"
#include "libs/testing/test_db.h"
#include "services/intake/app.h"

namespace jiban::intake {
namespace {

using testing::TestDatabase;

struct Suite {
  explicit Suite(db::Dialect dialect)
      : intake_db(TestDatabase::Create(dialect)),
        consumer_db(TestDatabase::Create(dialect, {events::Migrations(dialect)})),
        server({.name = "intake",
                .grpc_address = "127.0.0.1:0",
                .metrics_address = "",
                .drain_timeout = absl::Seconds(5)},
               &logs) {
    auto created = IntakeApp::Create({.db_dsn = intake_db->dsn(), .db_pool_size = 16}, server);
    REQUIRE(created.ok());
    app = std::move(created).value();
    REQUIRE(server.Start().ok());
    channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.grpc_port()),
                                  grpc::InsecureChannelCredentials());
    stub = v1::IntakeService::NewStub(channel);
  }
  ~Suite() {
    consumer.reset();
    server.Shutdown();
  }

  grpc::Status Submit(const v1::SubmitRequestRequest& req, v1::SubmitRequestResponse* resp,
                      const std::string& traceparent = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    ctx.AddMetadata("x-request-id", req.request_id());
    if (!traceparent.empty()) ctx.AddMetadata("traceparent", traceparent);
    return stub->SubmitRequest(&ctx, req, resp);
  }

  void StartConsumer() {
    consumer = std::make_unique<events::Consumer>(
        events::ConsumerOptions{.name = "test<-intake", .source = channel},
        consumer_db->db(),
        [this](db::Transaction& tx, const events::v1::Event& e) -> absl::Status {
          v1::RequestSubmitted submitted;
          if (!e.payload().UnpackTo(&submitted)) return absl::InvalidArgumentError("payload");
          tx.OnCommit([this, e, submitted] {
            absl::MutexLock lock(&mu);
            received.push_back({e, submitted});
          });
          return absl::OkStatus();
        },
        metrics);
    REQUIRE(consumer->Start().ok());
  }

  bool WaitReceived(size_t n) {
    absl::MutexLock lock(&mu);
    auto done = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return received.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(30));
  }

  int64_t Count(const std::string& table) {
    return app->database().Query(absl::StrCat("SELECT COUNT(*) FROM ", table))->front().Int(0);
  }

  std::unique_ptr<TestDatabase> intake_db, consumer_db;
  std::ostringstream logs;
  server::Server server;
  std::unique_ptr<IntakeApp> app;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::IntakeService::Stub> stub;
  prometheus::Registry metrics;
  std::unique_ptr<events::Consumer> consumer;
  absl::Mutex mu;
  std::vector<std::pair<events::v1::Event, v1::RequestSubmitted>> received ABSL_GUARDED_BY(mu);
};

v1::SubmitRequestRequest Valid(const std::string& request_id) {
  v1::SubmitRequestRequest req;
  req.set_request_id(request_id);
  auto* r = req.mutable_request();
  r->set_channel(v1::CHANNEL_HOTLINE);
  r->set_nature(v1::NATURE_COMPLAINT);
  r->set_title("噪音扰民");
  r->set_text("楼下餐馆每天凌晨两点还在营业，排风机噪音很大。");
  r->mutable_location()->set_district_code("110105");
  return req;
}

TEST_CASE("submit, retry, get, and the event reaches a consumer exactly once") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite s(dialect);
  s.StartConsumer();
  v1::SubmitRequestResponse first, again;
  REQUIRE(s.Submit(Valid("req-1"), &first,
                   "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").ok());
  CHECK(first.request().tracking_number().rfind("JB", 0) == 0);
  CHECK(first.request().status() == v1::REQUEST_STATUS_RECEIVED);
  REQUIRE(s.Submit(Valid("req-1"), &again).ok());
  CHECK(again.request().id() == first.request().id());
  CHECK(again.request().tracking_number() == first.request().tracking_number());

  auto changed = Valid("req-1");
  changed.mutable_request()->set_title("另一件事");
  v1::SubmitRequestResponse ignored;
  grpc::Status reused = s.Submit(changed, &ignored);
  CHECK(reused.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK(ReasonOf(FromGrpcStatus(reused)) == "REQUEST_ID_REUSED");

  REQUIRE(s.WaitReceived(1));
  {
    absl::MutexLock lock(&s.mu);
    REQUIRE(s.received.size() == 1);
    const auto& [event, submitted] = s.received[0];
    CHECK(submitted.request().id() == first.request().id());
    CHECK(event.request_id() == "req-1");
    CHECK(event.trace_id() == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(event.aggregate_id() == first.request().id());
  }
  CHECK(s.Count("intake_requests") == 1);
  CHECK(s.Count("jiban_events") == 1);

  grpc::ClientContext ctx;
  v1::GetRequestRequest get;
  get.set_id(first.request().id());
  v1::GetRequestResponse got;
  REQUIRE(s.stub->GetRequest(&ctx, get, &got).ok());
  CHECK(got.request().text() == Valid("x").request().text());
  CHECK(got.request().create_time().seconds() == first.request().create_time().seconds());

  grpc::ClientContext ctx2;
  get.set_id("01JNOTHEREXXXXXXXXXXXXXXXX");
  grpc::Status missing = s.stub->GetRequest(&ctx2, get, &got);
  CHECK(missing.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(ReasonOf(FromGrpcStatus(missing)) == "REQUEST_NOT_FOUND");
}

TEST_CASE("racing retries with one request id create one request and one event") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite s(dialect);
  constexpr int kClients = 8;
  std::vector<std::thread> clients;
  std::vector<std::string> ids(kClients);
  std::vector<grpc::Status> statuses(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      v1::SubmitRequestResponse resp;
      statuses[i] = s.Submit(Valid("same-id"), &resp);
      ids[i] = resp.request().id();
    });
  }
  for (auto& c : clients) c.join();
  for (int i = 0; i < kClients; ++i) {
    CHECK(statuses[i].ok());
    CHECK(ids[i] == ids[0]);
  }
  CHECK(s.Count("intake_requests") == 1);
  CHECK(s.Count("jiban_events") == 1);
}

TEST_CASE("bad input is INVALID_ARGUMENT naming each field, and nothing is stored") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  Suite s(dialect);
  v1::SubmitRequestRequest req;
  req.set_request_id("bad-1");
  req.mutable_request()->set_channel(static_cast<v1::Channel>(99));
  req.mutable_request()->set_text("只有正文");
  req.mutable_request()->mutable_location()->set_district_code("x");
  v1::SubmitRequestResponse resp;
  grpc::Status st = s.Submit(req, &resp);
  REQUIRE(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  std::set<std::string> fields;
  for (const auto& v : FieldViolationsOf(FromGrpcStatus(st))) fields.insert(v.field);
  CHECK(fields == std::set<std::string>{"request.channel", "request.nature", "request.title",
                                        "request.location.district_code"});
  v1::SubmitRequestRequest empty;
  empty.set_request_id("bad-2");
  CHECK(s.Submit(empty, &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.Count("intake_requests") == 0);
  CHECK(s.Count("jiban_events") == 0);
}

}  // namespace
}  // namespace jiban::intake
