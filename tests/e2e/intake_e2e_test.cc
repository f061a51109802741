// Intake end to end over real gRPC on both drivers: submit, idempotent retry (also racing), the
// RequestSubmitted event reaching a consumer exactly once, errors with field violations.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/crypto/sealer.h"
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
        server(server::ServerOptions::Loopback("intake"), &logs) {
    auto created = IntakeApp::Create(
        {.db_dsn = intake_db->dsn(), .db_pool_size = 16, .field_keys = crypto::Sealer::NewSpec()},
        server);
    if (!created.ok()) FAIL(created.status());
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
        events::ConsumerOptions{.name = "test<-intake", .source = channel}, consumer_db->db(),
        [this](db::Transaction& tx, const events::v1::Event& e) -> absl::Status {
          v1::RequestSubmitted submitted;
          e.payload().UnpackTo(&submitted);  // other event types leave it empty
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

  // A unary call with an optional x-jiban-role.
  template <typename Req, typename Resp>
  grpc::Status Rpc(grpc::Status (v1::IntakeService::Stub::*method)(grpc::ClientContext*, const Req&,
                                                                   Resp*),
                   const Req& req, Resp* resp, const std::string& role = "") {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    if (!role.empty()) ctx.AddMetadata("x-jiban-role", role);
    return (stub.get()->*method)(&ctx, req, resp);
  }

  std::vector<std::string> ReceivedTypes() {
    absl::MutexLock lock(&mu);
    std::vector<std::string> out;
    for (const auto& [e, s] : received) out.push_back(e.payload().type_url().substr(36));
    return out;
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
  r->mutable_location()->set_district_code("410202");
  r->mutable_location()->set_address("开封市龙亭区中山路北段12号");
  auto* citizen = r->mutable_requester()->mutable_citizen();
  citizen->set_name("张三");
  citizen->set_phone("+86 138 0013 8000");
  citizen->set_id_number("11010519491231002X");
  return req;
}

TEST_CASE("submit, retry, get, and the event reaches a consumer exactly once") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite s(dialect);
  s.StartConsumer();
  v1::SubmitRequestResponse first, again;
  REQUIRE(
      s.Submit(Valid("req-1"), &first, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
          .ok());
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
    // Events leave the service without personal data.
    CHECK(submitted.request().location().address().empty());
    CHECK(submitted.SerializeAsString().find("13800138000") == std::string::npos);
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
                                        "request.location.district_code", "request.requester"});
  v1::SubmitRequestRequest empty;
  empty.set_request_id("bad-2");
  CHECK(s.Submit(empty, &resp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(s.Count("intake_requests") == 0);
  CHECK(s.Count("jiban_events") == 0);
}

TEST_CASE("a request gRPC cannot parse is INVALID_ARGUMENT and not INTERNAL") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  Suite s(dialect);
  v1::SubmitRequestRequest req;
  req.set_request_id("utf8-1");
  auto* r = req.mutable_request();
  r->set_channel(v1::CHANNEL_APP);
  r->set_nature(v1::NATURE_SUGGESTION);
  r->set_title("建议");
  r->set_text(std::string("希望增加公交") + "\xe7\x8f");  // cut inside a character: not UTF-8
  r->mutable_location()->set_district_code("410204");
  r->mutable_requester()->set_anonymous(true);
  v1::SubmitRequestResponse resp;
  grpc::Status st = s.Submit(req, &resp);  // the client sends it (protobuf only logs)
  REQUIRE(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  const absl::Status back = FromGrpcStatus(st);
  CHECK(ReasonOf(back) == "UNREADABLE_REQUEST");
  REQUIRE(FieldViolationsOf(back).size() == 1);
  CHECK(FieldViolationsOf(back)[0].field == "request");
  CHECK(s.Count("intake_requests") == 0);
  // The same request with the character whole is taken.
  r->set_text("希望增加公交");
  CHECK(s.Submit(req, &resp).ok());
  CHECK(s.Count("intake_requests") == 1);
}

TEST_CASE("every RPC over gRPC: roles see what they may, personal data is sealed, events flow") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite s(dialect);
  s.StartConsumer();
  using Stub = v1::IntakeService::Stub;

  // Submit: the caller without a role sees masked personal data.
  v1::SubmitRequestResponse sub;
  REQUIRE(s.Rpc(&Stub::SubmitRequest, Valid("all-1"), &sub).ok());
  const v1::Request& masked = sub.request();
  CHECK(masked.requester().citizen().phone() == "138****8000");
  CHECK(masked.requester().citizen().name() == "张*");
  CHECK(masked.requester().citizen().id_number() == "110***********002X");
  CHECK(masked.location().address() == "开封市龙亭区***");
  const std::string id = masked.id();

  // Get: a window clerk sees it whole; a confidential request only a commission officer does.
  v1::GetRequestRequest get;
  get.set_id(id);
  v1::GetRequestResponse got;
  REQUIRE(s.Rpc(&Stub::GetRequest, get, &got, "window_clerk").ok());
  CHECK(got.request().requester().citizen().phone() == "13800138000");
  CHECK(got.request().location().address() == "开封市龙亭区中山路北段12号");
  auto conf = Valid("all-2");
  conf.mutable_request()->set_confidential(true);
  conf.mutable_request()->set_title("举报某单位工作人员吃拿卡要");
  conf.mutable_request()->set_text("在办理营业执照时被要求请客吃饭。");
  conf.mutable_request()->set_nature(v1::NATURE_REPORT);
  conf.mutable_request()->mutable_location()->set_district_code("410203");
  v1::SubmitRequestResponse conf_resp;
  REQUIRE(s.Rpc(&Stub::SubmitRequest, conf, &conf_resp).ok());
  get.set_id(conf_resp.request().id());
  REQUIRE(s.Rpc(&Stub::GetRequest, get, &got, "window_clerk").ok());
  CHECK(got.request().requester().citizen().phone() == "138****8000");
  REQUIRE(s.Rpc(&Stub::GetRequest, get, &got, "commission_officer").ok());
  CHECK(got.request().requester().citizen().phone() == "13800138000");
  // That read is on record (the clerk's masked read is not).
  auto reads = s.app->database().Query(
      "SELECT reader FROM intake_sealed_reads WHERE request_id = ?", {conf_resp.request().id()});
  REQUIRE(reads.ok());
  REQUIRE(reads->size() == 1);
  CHECK((*reads)[0].Text(0) == "commission_officer");

  // Sealed at rest: no column of any row holds the phone, name, ID number or address in clear.
  auto rows = s.app->database().Query("SELECT * FROM intake_requests");
  REQUIRE(rows.ok());
  for (const auto& row : *rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string v = row.Text(i);
      CHECK(v.find("13800138000") == std::string::npos);
      CHECK(v.find("张三") == std::string::npos);
      CHECK(v.find("11010519491231002X") == std::string::npos);
      CHECK(v.find("中山路") == std::string::npos);
    }
  }

  // List: filters, the blind index for repeat callers, and permission for it.
  v1::ListRequestsRequest list;
  list.set_requester_phone("138-0013-8000");
  v1::ListRequestsResponse listed;
  CHECK(s.Rpc(&Stub::ListRequests, list, &listed).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  REQUIRE(s.Rpc(&Stub::ListRequests, list, &listed, "window_clerk").ok());
  CHECK(listed.requests_size() == 2);
  list.Clear();
  list.set_nature(v1::NATURE_REPORT);
  REQUIRE(s.Rpc(&Stub::ListRequests, list, &listed).ok());
  REQUIRE(listed.requests_size() == 1);
  CHECK(listed.requests(0).id() == conf_resp.request().id());
  list.Clear();
  list.set_district_code("410202");
  list.set_page_size(1);
  REQUIRE(s.Rpc(&Stub::ListRequests, list, &listed).ok());
  CHECK(listed.requests_size() == 1);
  CHECK(listed.next_page_token().empty());

  // Supplement (retried with the same request id: once), track, withdraw.
  v1::SupplementRequestRequest supp;
  supp.set_request_id("supp-1");
  supp.set_id(id);
  supp.mutable_supplement()->set_text("补充：晚上8点以后完全不亮。");
  v1::SupplementRequestResponse supp_resp;
  REQUIRE(s.Rpc(&Stub::SupplementRequest, supp, &supp_resp).ok());
  REQUIRE(s.Rpc(&Stub::SupplementRequest, supp, &supp_resp).ok());
  CHECK(supp_resp.request().supplements_size() == 1);
  CHECK(s.Count("intake_supplements") == 1);
  v1::WithdrawRequestRequest withdraw;
  withdraw.set_id(id);
  v1::WithdrawRequestResponse withdrawn;
  REQUIRE(s.Rpc(&Stub::WithdrawRequest, withdraw, &withdrawn).ok());
  CHECK(withdrawn.request().status() == v1::REQUEST_STATUS_WITHDRAWN);
  v1::TrackRequestRequest track;
  track.set_tracking_number(masked.tracking_number());
  v1::TrackRequestResponse tracked;
  REQUIRE(s.Rpc(&Stub::TrackRequest, track, &tracked).ok());
  CHECK(tracked.status() == v1::REQUEST_STATUS_WITHDRAWN);
  REQUIRE(tracked.timeline_size() == 3);
  CHECK(tracked.timeline(1).description() == "supplemented");

  // A consultation answered on the spot, evaluated as dissatisfied.
  auto consult = Valid("all-3");
  consult.mutable_request()->set_nature(v1::NATURE_CONSULTATION);
  consult.mutable_request()->set_title("怎么办理营业执照");
  consult.mutable_request()->set_text("想开一家小吃店，营业执照在哪里办？");
  consult.mutable_request()->set_answer("市民之家一楼3号窗口，带身份证原件。");
  v1::SubmitRequestResponse consulted;
  REQUIRE(s.Rpc(&Stub::SubmitRequest, consult, &consulted).ok());
  CHECK(consulted.request().status() == v1::REQUEST_STATUS_ANSWERED);
  v1::EvaluateRequestRequest eval;
  eval.set_id(consulted.request().id());
  eval.mutable_evaluation()->set_satisfaction(v1::SATISFACTION_VERY_DISSATISFIED);
  eval.mutable_evaluation()->set_resolution(v1::RESOLUTION_NOT_RESOLVED);
  v1::EvaluateRequestResponse evaluated;
  REQUIRE(s.Rpc(&Stub::EvaluateRequest, eval, &evaluated).ok());
  CHECK(evaluated.request().evaluation().dissatisfied());
  grpc::Status twice = s.Rpc(&Stub::EvaluateRequest, eval, &evaluated);
  CHECK(twice.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(FromGrpcStatus(twice)) == "ALREADY_EVALUATED");

  // Merge two open requests, then separate them again.
  auto other = Valid("all-4");
  other.mutable_request()->set_title("供暖不热");
  other.mutable_request()->set_text("家里暖气温度只有15度。");
  other.mutable_request()->mutable_location()->set_district_code("410204");
  v1::SubmitRequestResponse other_resp;
  REQUIRE(s.Rpc(&Stub::SubmitRequest, other, &other_resp).ok());
  v1::MergeRequestsRequest merge;
  merge.set_master_id(conf_resp.request().id());
  merge.add_member_ids(other_resp.request().id());
  v1::MergeRequestsResponse merged;
  REQUIRE(s.Rpc(&Stub::MergeRequests, merge, &merged).ok());
  CHECK(merged.members(0).master_id() == conf_resp.request().id());
  v1::UnmergeRequestRequest unmerge;
  unmerge.set_id(other_resp.request().id());
  v1::UnmergeRequestResponse unmerged;
  REQUIRE(s.Rpc(&Stub::UnmergeRequest, unmerge, &unmerged).ok());
  CHECK(unmerged.request().master_id().empty());

  // Every change reached the consumer, once, in order.
  REQUIRE(s.WaitReceived(9));
  CHECK(s.ReceivedTypes() ==
        std::vector<std::string>{"RequestSubmitted", "RequestSubmitted", "RequestSupplemented",
                                 "RequestWithdrawn", "RequestSubmitted", "RequestEvaluated",
                                 "RequestSubmitted", "RequestsMerged", "RequestsMerged"});
}

TEST_CASE("a near-duplicate submitted over gRPC is linked to its open master") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite s(dialect);
  using Stub = v1::IntakeService::Stub;
  auto first = Valid("dup-1");
  first.mutable_request()->mutable_location()->set_town_code("410202001");
  v1::SubmitRequestResponse a, b, c;
  REQUIRE(s.Rpc(&Stub::SubmitRequest, first, &a).ok());
  CHECK(a.request().master_id().empty());
  auto again = first;
  again.set_request_id("dup-2");
  again.mutable_request()->set_text("楼下餐馆每天凌晨两点还在营业，排风机噪音很大，影响休息。");
  again.mutable_request()->mutable_requester()->mutable_citizen()->set_phone("13900139000");
  REQUIRE(s.Rpc(&Stub::SubmitRequest, again, &b).ok());
  CHECK(b.request().master_id() == a.request().id());
  // Once the master is withdrawn, a new report of the same problem starts afresh.
  v1::WithdrawRequestRequest withdraw;
  withdraw.set_id(a.request().id());
  v1::WithdrawRequestResponse withdrawn;
  REQUIRE(s.Rpc(&Stub::WithdrawRequest, withdraw, &withdrawn).ok());
  v1::WithdrawRequestRequest withdraw_member;
  withdraw_member.set_id(b.request().id());
  REQUIRE(s.Rpc(&Stub::WithdrawRequest, withdraw_member, &withdrawn).ok());
  auto third = again;
  third.set_request_id("dup-3");
  REQUIRE(s.Rpc(&Stub::SubmitRequest, third, &c).ok());
  CHECK(c.request().master_id().empty());
  v1::GetRequestRequest get;
  get.set_id(a.request().id());
  v1::GetRequestResponse got;
  REQUIRE(s.Rpc(&Stub::GetRequest, get, &got).ok());
  CHECK(got.request().member_count() == 1);
}

}  // namespace
}  // namespace jiban::intake
