// Intake, routing, escalation and assessment end to end over real gRPC on both drivers: a
// submission to intake becomes a dispatched work order in routing (through intake's event stream),
// which a unit then signs for and replies to through routing's gRPC API, while escalation
// (following routing's stream) lights it up and assessment (following all three) scores the unit;
// refusals and bad input carry their reasons.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/calendar/calendar.h"
#include "libs/crypto/sealer.h"
#include "libs/events/consumer.h"
#include "libs/server/server.h"
#include "libs/server/timestamp.h"
#include "libs/status/status.h"
#include "libs/testing/test_db.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.grpc.pb.h"
#include "services/assessment/app.h"
#include "services/assessment/convert.h"
#include "services/escalation/app.h"
#include "services/intake/app.h"
#include "services/routing/app.h"

namespace jiban {
namespace {

using testing::TestDatabase;
namespace iv1 = intake::v1;
namespace rv1 = routing::v1;

struct Suite {
  explicit Suite(db::Dialect dialect)
      : intake_db(TestDatabase::Create(dialect)),
        routing_db(TestDatabase::Create(dialect)),
        escalation_db(TestDatabase::Create(dialect)),
        assessment_db(TestDatabase::Create(dialect)),
        watcher_db(TestDatabase::Create(dialect, {events::Migrations(dialect)})),
        intake_server(server::ServerOptions::Loopback("intake"), &logs),
        routing_server(server::ServerOptions::Loopback("routing"), &logs),
        escalation_server(server::ServerOptions::Loopback("escalation"), &logs),
        assessment_server(server::ServerOptions::Loopback("assessment"), &logs) {
    auto i = intake::IntakeApp::Create(
        {.db_dsn = intake_db->dsn(), .db_pool_size = 8, .field_keys = crypto::Sealer::NewSpec()},
        intake_server);
    if (!i.ok()) FAIL(i.status());
    intake_app = std::move(i).value();
    REQUIRE(intake_server.Start().ok());
    auto r = routing::RoutingApp::Create(
        {.db_dsn = routing_db->dsn(),
         .db_pool_size = 8,
         .intake_address = absl::StrCat("127.0.0.1:", intake_server.grpc_port())},
        routing_server);
    if (!r.ok()) FAIL(r.status());
    routing_app = std::move(r).value();
    REQUIRE(routing_server.Start().ok());
    REQUIRE(
        intake_app
            ->FollowRouting(absl::StrCat("127.0.0.1:", routing_server.grpc_port()), intake_server)
            .ok());
    auto e = escalation::EscalationApp::Create(
        {.db_dsn = escalation_db->dsn(),
         .routing_address = absl::StrCat("127.0.0.1:", routing_server.grpc_port()),
         .scan_interval = absl::Milliseconds(100)},
        escalation_server);
    if (!e.ok()) FAIL(e.status());
    escalation_app = std::move(e).value();
    REQUIRE(escalation_server.Start().ok());
    auto a = assessment::AssessmentApp::Create(
        {.db_dsn = assessment_db->dsn(),
         .intake_address = absl::StrCat("127.0.0.1:", intake_server.grpc_port()),
         .routing_address = absl::StrCat("127.0.0.1:", routing_server.grpc_port()),
         .escalation_address = absl::StrCat("127.0.0.1:", escalation_server.grpc_port())},
        assessment_server);
    if (!a.ok()) FAIL(a.status());
    assessment_app = std::move(a).value();
    REQUIRE(assessment_server.Start().ok());
    assessment_stub = assessment::v1::AssessmentService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", assessment_server.grpc_port()),
                            grpc::InsecureChannelCredentials()));
    escalation_stub = escalation::v1::EscalationService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", escalation_server.grpc_port()),
                            grpc::InsecureChannelCredentials()));
    intake_stub = iv1::IntakeService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", intake_server.grpc_port()), grpc::InsecureChannelCredentials()));
    auto routing_channel = grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", routing_server.grpc_port()), grpc::InsecureChannelCredentials());
    routing_stub = rv1::RoutingService::NewStub(routing_channel);
    // Watches routing's own event stream, as escalation and assessment will.
    watcher = std::make_unique<events::Consumer>(
        events::ConsumerOptions{.name = "test<-routing", .source = routing_channel},
        watcher_db->db(),
        [this](db::Transaction& tx, const events::v1::Event& e) -> absl::Status {
          rv1::OrdersDispatched d;
          rv1::RequestTriaged t;
          rv1::OrderChanged c;
          if (e.payload().UnpackTo(&c)) {
            tx.OnCommit([this, c, seq = e.sequence()] {
              absl::MutexLock lock(&mu);
              changes.push_back({c.order().request_id() + "/" + c.change(), seq});
            });
          } else if (e.payload().UnpackTo(&d)) {
            tx.OnCommit([this, d] {
              absl::MutexLock lock(&mu);
              for (const auto& o : d.orders()) dispatched.push_back(o);
            });
          } else if (e.payload().UnpackTo(&t)) {
            tx.OnCommit([this, t] {
              absl::MutexLock lock(&mu);
              triaged.insert(t.item().request_id());
            });
          }
          return absl::OkStatus();
        },
        metrics);
    REQUIRE(watcher->Start().ok());
  }
  ~Suite() {
    watcher.reset();
    assessment_server.Shutdown();
    escalation_server.Shutdown();
    routing_server.Shutdown();
    intake_server.Shutdown();
  }

  // Waits until routing has emitted `change` for the request (the nth time), then until intake
  // has applied routing's events up to it; false on timeout.
  bool IntakeHasSeen(const std::string& request_id, const std::string& change, int nth = 1) {
    int64_t seq = 0;
    {
      absl::MutexLock lock(&mu);
      auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) {
        int seen = 0;
        for (const auto& [key, s] : changes) {
          if (key == request_id + "/" + change && ++seen == nth) seq = s;
        }
        return seq > 0;
      };
      if (!mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30))) return false;
    }
    return intake_app->routing_consumer()->WaitApplied(seq, absl::Seconds(30));
  }

  // The sequence of routing's `change` event for the request (0 if not seen).
  int64_t ChangeSequence(const std::string& request_id, const std::string& change) {
    absl::MutexLock lock(&mu);
    for (const auto& [key, seq] : changes) {
      if (key == request_id + "/" + change) return seq;
    }
    return 0;
  }

  // Waits (on a condition, with a timeout) until routing has sent `request_id` to triage.
  bool TriagedSoon(const std::string& request_id) {
    absl::MutexLock lock(&mu);
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return triaged.count(request_id) > 0; };
    return mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30));
  }

  // Waits (on a condition, with a timeout) until routing has dispatched orders for `request_id`.
  std::vector<rv1::WorkOrder> DispatchedFor(const std::string& request_id) {
    absl::MutexLock lock(&mu);
    auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) {
      return std::any_of(dispatched.begin(), dispatched.end(),
                         [&](const rv1::WorkOrder& o) { return o.request_id() == request_id; });
    };
    mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30));
    std::vector<rv1::WorkOrder> out;
    for (const auto& o : dispatched) {
      if (o.request_id() == request_id) out.push_back(o);
    }
    return out;
  }

  template <typename Stub, typename Req, typename Resp>
  grpc::Status Call(Stub* stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return (stub->*method)(&ctx, req, resp);
  }

  std::unique_ptr<TestDatabase> intake_db, routing_db, escalation_db, assessment_db, watcher_db;
  std::ostringstream logs;
  server::Server intake_server, routing_server, escalation_server, assessment_server;
  std::unique_ptr<intake::IntakeApp> intake_app;
  std::unique_ptr<routing::RoutingApp> routing_app;
  std::unique_ptr<escalation::EscalationApp> escalation_app;
  std::unique_ptr<assessment::AssessmentApp> assessment_app;
  std::unique_ptr<assessment::v1::AssessmentService::Stub> assessment_stub;
  std::unique_ptr<escalation::v1::EscalationService::Stub> escalation_stub;
  std::unique_ptr<iv1::IntakeService::Stub> intake_stub;
  std::unique_ptr<rv1::RoutingService::Stub> routing_stub;
  prometheus::Registry metrics;
  std::unique_ptr<events::Consumer> watcher;
  absl::Mutex mu;
  std::vector<rv1::WorkOrder> dispatched ABSL_GUARDED_BY(mu);
  std::set<std::string> triaged ABSL_GUARDED_BY(mu);
  std::vector<std::pair<std::string, int64_t>> changes ABSL_GUARDED_BY(mu);  // "req/change", seq
};

iv1::SubmitRequestRequest CouldNotGetDone(const std::string& request_id) {
  iv1::SubmitRequestRequest req;
  req.set_request_id(request_id);
  auto* r = req.mutable_request();
  r->set_channel(iv1::CHANNEL_WINDOW);
  r->set_nature(iv1::NATURE_COULD_NOT_GET_DONE);
  r->set_title("营业执照变更跑了三次没办成");
  r->set_text("材料齐全，窗口说系统不支持，让下周再来，已经跑了三次。");
  r->mutable_location()->set_district_code("410204");
  auto* citizen = r->mutable_requester()->mutable_citizen();
  citizen->set_name("李四");
  citizen->set_phone("13800138000");
  return req;
}

TEST_CASE("a submission to intake becomes a dispatched order a unit signs for and answers") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite s(dialect);
  iv1::SubmitRequestResponse submitted;
  REQUIRE(s.Call(s.intake_stub.get(), &iv1::IntakeService::Stub::SubmitRequest,
                 CouldNotGetDone("e2e-1"), &submitted)
              .ok());
  const std::string request_id = submitted.request().id();

  auto orders = s.DispatchedFor(request_id);
  REQUIRE(orders.size() == 1);
  const rv1::WorkOrder& order = orders[0];
  CHECK(order.unit_id() == "window.could-not-get-done");
  CHECK(order.mode() == rv1::HANDLING_MODE_SUPERVISE);
  CHECK(order.tracking_number() == submitted.request().tracking_number());
  CHECK(order.deadline().seconds() > order.dispatch_time().seconds());
  CHECK_FALSE(order.person_answerable().name().empty());

  // Escalation follows routing: a "could not get it done" report is a red light at once, naming
  // the window and its person answerable.
  escalation::v1::ListLightsRequest lights_req;
  lights_req.set_unit_id("window.could-not-get-done");
  escalation::v1::ListLightsResponse lights;
  // The dispatch event is routing's first for this suite: wait until escalation applied it.
  REQUIRE(s.escalation_app->consumer().WaitApplied(1, absl::Seconds(30)));
  REQUIRE(s.Call(s.escalation_stub.get(), &escalation::v1::EscalationService::Stub::ListLights,
                 lights_req, &lights)
              .ok());
  REQUIRE(lights.lights_size() == 1);
  CHECK(lights.lights(0).cause() == escalation::v1::LIGHT_CAUSE_COULD_NOT_GET_DONE);
  CHECK(lights.lights(0).colour() == escalation::v1::LIGHT_COLOUR_RED);
  CHECK(lights.lights(0).order_id() == order.id());
  CHECK(lights.lights(0).person_answerable().name() == order.person_answerable().name());
  // Confidentiality, seen from a unit's side: nothing escalation answers — lights, cases, a
  // case's log — carries the complainant's name, phone or words.
  {
    std::string seen;
    escalation::v1::ListLightsResponse all_lights;
    REQUIRE(s.Call(s.escalation_stub.get(), &escalation::v1::EscalationService::Stub::ListLights,
                   escalation::v1::ListLightsRequest(), &all_lights)
                .ok());
    seen += all_lights.DebugString();
    escalation::v1::ListCasesResponse cases;
    REQUIRE(s.Call(s.escalation_stub.get(), &escalation::v1::EscalationService::Stub::ListCases,
                   escalation::v1::ListCasesRequest(), &cases)
                .ok());
    REQUIRE(cases.cases_size() == 1);  // the red light opened a do-now case
    seen += cases.DebugString();
    escalation::v1::GetCaseRequest get_case;
    get_case.set_id(cases.cases(0).id());
    escalation::v1::GetCaseResponse one_case;
    REQUIRE(s.Call(s.escalation_stub.get(), &escalation::v1::EscalationService::Stub::GetCase,
                   get_case, &one_case)
                .ok());
    seen += one_case.DebugString();
    // Unit staff see their own unit's cases and lights only.
    for (const auto& [unit, own] : {std::pair{std::string("dept.health"), false},
                                    std::pair{cases.cases(0).unit_id(), true}}) {
      grpc::ClientContext list_ctx, get_ctx, lights_ctx;
      for (grpc::ClientContext* c : {&list_ctx, &get_ctx, &lights_ctx}) {
        c->AddMetadata("x-jiban-role", "unit_staff");
        c->AddMetadata("x-jiban-unit", unit);
      }
      escalation::v1::ListCasesResponse scoped;
      REQUIRE(s.escalation_stub->ListCases(&list_ctx, escalation::v1::ListCasesRequest(), &scoped)
                  .ok());
      CHECK(scoped.cases_size() == (own ? 1 : 0));
      escalation::v1::GetCaseResponse scoped_case;
      CHECK(s.escalation_stub->GetCase(&get_ctx, get_case, &scoped_case).ok() == own);
      escalation::v1::ListLightsResponse scoped_lights;
      REQUIRE(s.escalation_stub
                  ->ListLights(&lights_ctx, escalation::v1::ListLightsRequest(), &scoped_lights)
                  .ok());
      CHECK((scoped_lights.lights_size() > 0) == own);
    }
    for (const char* secret : {"李四", "13800138000", "材料齐全", "营业执照变更"}) {
      CHECK(seen.find(secret) == std::string::npos);
    }
  }

  // Unit staff (as the gateway names them) see their own unit's orders only.
  {
    rv1::GetWorkOrderRequest get;
    get.set_id(order.id());
    rv1::GetWorkOrderResponse got;
    for (const auto& [unit, code] :
         {std::pair{std::string("dept.health"), grpc::StatusCode::NOT_FOUND},
          std::pair{order.unit_id(), grpc::StatusCode::OK}}) {
      grpc::ClientContext ctx, list_ctx;
      for (grpc::ClientContext* c : {&ctx, &list_ctx}) {
        c->AddMetadata("x-jiban-role", "unit_staff");
        c->AddMetadata("x-jiban-unit", unit);
      }
      CHECK(s.routing_stub->GetWorkOrder(&ctx, get, &got).error_code() == code);
      rv1::ListWorkOrdersRequest others;
      others.set_unit_id(order.unit_id());
      rv1::ListWorkOrdersResponse listed;
      REQUIRE(s.routing_stub->ListWorkOrders(&list_ctx, others, &listed).ok());
      CHECK((listed.orders_size() > 0) == (code == grpc::StatusCode::OK));
    }
  }

  rv1::SignForWorkOrderRequest sign;
  sign.set_request_id("sign-1");
  sign.set_order_id(order.id());
  rv1::SignForWorkOrderResponse signed_for;
  REQUIRE(
      s.Call(s.routing_stub.get(), &rv1::RoutingService::Stub::SignForWorkOrder, sign, &signed_for)
          .ok());
  CHECK(signed_for.order().state() == rv1::ORDER_STATE_SIGNED_FOR);
  sign.set_request_id("sign-2");
  grpc::Status again =
      s.Call(s.routing_stub.get(), &rv1::RoutingService::Stub::SignForWorkOrder, sign, &signed_for);
  CHECK(again.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(ReasonOf(FromGrpcStatus(again)) == "ORDER_NOT_DISPATCHED");

  rv1::ReplyWorkOrderRequest reply;
  reply.set_request_id("reply-1");
  reply.set_order_id(order.id());
  rv1::ReplyWorkOrderResponse replied;
  grpc::Status bad =
      s.Call(s.routing_stub.get(), &rv1::RoutingService::Stub::ReplyWorkOrder, reply, &replied);
  REQUIRE(bad.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  std::set<std::string> fields;
  for (const auto& v : FieldViolationsOf(FromGrpcStatus(bad))) fields.insert(v.field);
  CHECK(fields == std::set<std::string>{"reply.outcome", "reply.text"});
  reply.mutable_reply()->set_outcome(rv1::REPLY_OUTCOME_RESOLVED);
  reply.mutable_reply()->set_text("已协调窗口当日办结，并向诉求人致歉。");
  REQUIRE(s.Call(s.routing_stub.get(), &rv1::RoutingService::Stub::ReplyWorkOrder, reply, &replied)
              .ok());
  CHECK(replied.order().state() == rv1::ORDER_STATE_REPLIED);

  // Intake follows routing: the requester sees who has it and the answer, then evaluates.
  REQUIRE(s.IntakeHasSeen(request_id, "replied"));
  iv1::TrackRequestRequest track;
  track.set_tracking_number(submitted.request().tracking_number());
  iv1::TrackRequestResponse tracked;
  REQUIRE(
      s.Call(s.intake_stub.get(), &iv1::IntakeService::Stub::TrackRequest, track, &tracked).ok());
  CHECK(tracked.status() == iv1::REQUEST_STATUS_ANSWERED);
  std::vector<std::string> lines;
  for (const auto& e : tracked.timeline()) lines.push_back(e.description());
  CHECK(lines == std::vector<std::string>{"received", "dispatched to 市纪委监委办不成事反映窗口",
                                          "signed for by 市纪委监委办不成事反映窗口",
                                          "answered by 市纪委监委办不成事反映窗口"});
  iv1::EvaluateRequestRequest evaluate;
  evaluate.set_id(request_id);
  evaluate.mutable_evaluation()->set_satisfaction(iv1::SATISFACTION_SATISFIED);
  evaluate.mutable_evaluation()->set_resolution(iv1::RESOLUTION_RESOLVED);
  iv1::EvaluateRequestResponse evaluated;
  REQUIRE(
      s.Call(s.intake_stub.get(), &iv1::IntakeService::Stub::EvaluateRequest, evaluate, &evaluated)
          .ok());
  REQUIRE(s.IntakeHasSeen(request_id, "closed"));
  REQUIRE(
      s.Call(s.intake_stub.get(), &iv1::IntakeService::Stub::TrackRequest, track, &tracked).ok());
  CHECK(tracked.status() == iv1::REQUEST_STATUS_CLOSED);

  rv1::ListWorkOrdersRequest list;
  list.set_unit_id("window.could-not-get-done");
  rv1::ListWorkOrdersResponse listed;
  REQUIRE(
      s.Call(s.routing_stub.get(), &rv1::RoutingService::Stub::ListWorkOrders, list, &listed).ok());
  REQUIRE(listed.orders_size() == 1);
  CHECK(listed.orders(0).version() == 4);
  CHECK(listed.orders(0).state() == rv1::ORDER_STATE_CLOSED);

  // Assessment follows all three: once it has the closing, the evaluation and the red light, the
  // window's score for this month shows them, and the light is explained down to its order.
  REQUIRE(s.assessment_app->consumer("routing").WaitApplied(s.ChangeSequence(request_id, "closed"),
                                                            absl::Seconds(30)));
  REQUIRE(s.intake_app->event_log().SequencePending().ok());
  auto intake_events = s.intake_app->event_log().Read(0, 100);
  REQUIRE(intake_events.ok());
  int64_t evaluated_seq = 0;
  for (const auto& e : intake_events->events) {
    if (e.payload().Is<iv1::RequestEvaluated>()) evaluated_seq = e.sequence();
  }
  REQUIRE(evaluated_seq > 0);
  REQUIRE(s.assessment_app->consumer("intake").WaitApplied(evaluated_seq, absl::Seconds(30)));
  REQUIRE(s.assessment_app->consumer("escalation").WaitApplied(1, absl::Seconds(30)));
  namespace av1 = assessment::v1;
  av1::GetUnitScoreRequest score_req;
  score_req.set_unit_id("window.could-not-get-done");
  score_req.set_period(absl::FormatTime("%Y-%m", server::FromTimestamp(order.dispatch_time()),
                                        calendar::CityZone()));
  av1::GetUnitScoreResponse score;
  REQUIRE(s.Call(s.assessment_stub.get(), &av1::AssessmentService::Stub::GetUnitScore, score_req,
                 &score)
              .ok());
  CHECK(score.score().orders() == 1);
  CHECK(score.score().red_lights() == 1);
  CHECK(score.score().unit_class() == av1::UNIT_CLASS_WINDOW);
  CHECK(score.score().unit_name() == "市纪委监委办不成事反映窗口");
  double sum = 0;
  for (const auto& item : score.score().sub_items()) {
    sum += item.points();
    if (item.id() == "satisfaction_rate" || item.id() == "resolution_rate") {
      CHECK(item.numerator() == 1);
      CHECK(item.denominator() == 1);
    }
  }
  CHECK(std::abs(sum - score.score().total()) < 0.005);
  av1::ExplainScoreRequest explain;
  explain.set_unit_id("window.could-not-get-done");
  explain.set_period(score_req.period());
  explain.set_sub_item_id("lights");
  av1::ExplainScoreResponse explained;
  REQUIRE(s.Call(s.assessment_stub.get(), &av1::AssessmentService::Stub::ExplainScore, explain,
                 &explained)
              .ok());
  REQUIRE(explained.lights_size() == 1);
  CHECK(explained.lights(0).order_id() == order.id());
  CHECK(explained.lights(0).red());
  CHECK(explained.sub_item().points() < explained.sub_item().max_points());

  // Replaying the three services' whole event logs from sequence 0 (on two threads) gives the
  // same score.
  std::vector<std::vector<std::string>> logs;
  for (events::EventLog* log :
       {&s.intake_app->event_log(), &s.routing_app->event_log(), &s.escalation_app->event_log()}) {
    REQUIRE(log->SequencePending().ok());
    auto all = log->Read(0, 10'000);
    REQUIRE(all.ok());
    logs.emplace_back();
    for (const auto& e : all->events) logs.back().push_back(e.SerializeAsString());
  }
  auto replay = assessment::Replay(logs[0], logs[1], logs[2], 2);
  REQUIRE(replay.ok());
  auto period = assessment::ParsePeriod(score_req.period());
  REQUIRE(period.ok());
  auto scheme = s.assessment_app->assessment().GetScheme(score.score().scheme_version(), {});
  REQUIRE(scheme.ok());
  const auto replayed_facts = replay->Facts(period->start, period->end, score_req.unit_id());
  REQUIRE(replayed_facts.size() == 1);
  const assessment::UnitScore replayed = assessment::Score(
      *scheme, replayed_facts[0], *period, server::FromTimestamp(score.score().as_of_time()));
  CHECK(static_cast<double>(replayed.total_centipoints) / 100 == score.score().total());
  REQUIRE(replayed.sub_items.size() == static_cast<size_t>(score.score().sub_items_size()));
  for (size_t i = 0; i < replayed.sub_items.size(); ++i) {
    const auto& live = score.score().sub_items(static_cast<int>(i));
    CHECK(replayed.sub_items[i].numerator == live.numerator());
    CHECK(replayed.sub_items[i].denominator == live.denominator());
    // A score counts what lost points; ExplainScore lists it.
    CHECK(live.against_ids_size() == 0);
    CHECK(live.against_count() == static_cast<int64_t>(replayed.sub_items[i].against.size()));
    explain.set_unit_id(score_req.unit_id());
    explain.set_sub_item_id(live.id());
    REQUIRE(s.Call(s.assessment_stub.get(), &av1::AssessmentService::Stub::ExplainScore, explain,
                   &explained)
                .ok());
    std::vector<std::string> listed(explained.sub_item().against_ids().begin(),
                                    explained.sub_item().against_ids().end());
    std::vector<std::string> expected = replayed.sub_items[i].against;
    std::sort(listed.begin(), listed.end());
    std::sort(expected.begin(), expected.end());
    CHECK(listed == expected);
  }

  score_req.set_period("2026-13");
  grpc::Status refused = s.Call(s.assessment_stub.get(),
                                &av1::AssessmentService::Stub::GetUnitScore, score_req, &score);
  CHECK(refused.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(FieldViolationsOf(FromGrpcStatus(refused)).at(0).field == "period");
}

TEST_CASE("a requester dissatisfied twice sends the work back twice and lights it red") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite s(dialect);
  iv1::SubmitRequestResponse submitted;
  REQUIRE(s.Call(s.intake_stub.get(), &iv1::IntakeService::Stub::SubmitRequest,
                 CouldNotGetDone("e2e-3"), &submitted)
              .ok());
  const std::string request_id = submitted.request().id();
  auto orders = s.DispatchedFor(request_id);
  REQUIRE(orders.size() == 1);
  const std::string order_id = orders[0].id();
  rv1::SignForWorkOrderRequest sign;
  sign.set_request_id("sign-3");
  sign.set_order_id(order_id);
  rv1::SignForWorkOrderResponse signed_for;
  REQUIRE(
      s.Call(s.routing_stub.get(), &rv1::RoutingService::Stub::SignForWorkOrder, sign, &signed_for)
          .ok());
  iv1::EvaluateRequestRequest evaluate;
  evaluate.set_id(request_id);
  evaluate.mutable_evaluation()->set_satisfaction(iv1::SATISFACTION_DISSATISFIED);
  evaluate.mutable_evaluation()->set_resolution(iv1::RESOLUTION_NOT_RESOLVED);
  iv1::EvaluateRequestResponse evaluated;
  for (int round = 1; round <= 3; ++round) {
    INFO("round " << round);
    rv1::ReplyWorkOrderRequest reply;
    reply.set_request_id(absl::StrCat("reply-3-", round));
    reply.set_order_id(order_id);
    reply.mutable_reply()->set_outcome(rv1::REPLY_OUTCOME_RESOLVED);
    reply.mutable_reply()->set_text(absl::StrCat("第", round, "次答复：已协调办理。"));
    rv1::ReplyWorkOrderResponse replied;
    REQUIRE(
        s.Call(s.routing_stub.get(), &rv1::RoutingService::Stub::ReplyWorkOrder, reply, &replied)
            .ok());
    REQUIRE(s.IntakeHasSeen(request_id, "replied", round));
    if (round == 3) evaluate.mutable_evaluation()->set_satisfaction(iv1::SATISFACTION_SATISFIED);
    REQUIRE(s.Call(s.intake_stub.get(), &iv1::IntakeService::Stub::EvaluateRequest, evaluate,
                   &evaluated)
                .ok());
    // The same answer is evaluated once (or, once routing's re-handle has reached intake, the
    // request is no longer answered).
    grpc::Status twice = s.Call(s.intake_stub.get(), &iv1::IntakeService::Stub::EvaluateRequest,
                                evaluate, &evaluated);
    const std::string reason = ReasonOf(FromGrpcStatus(twice));
    CHECK((reason == "ALREADY_EVALUATED" || (round < 3 && reason == "NOT_ANSWERED")));
    if (round < 3) REQUIRE(s.IntakeHasSeen(request_id, "rehandled", round));
  }
  REQUIRE(s.IntakeHasSeen(request_id, "closed"));
  // The second dissatisfaction with a re-handled order is a red light naming the unit.
  REQUIRE(s.escalation_app->consumer().WaitApplied(s.ChangeSequence(request_id, "closed"),
                                                   absl::Seconds(30)));
  escalation::v1::ListOrderLightsRequest lights_req;
  lights_req.set_order_id(order_id);
  escalation::v1::ListOrderLightsResponse lights;
  REQUIRE(s.Call(s.escalation_stub.get(), &escalation::v1::EscalationService::Stub::ListOrderLights,
                 lights_req, &lights)
              .ok());
  std::set<int> causes;
  for (const auto& l : lights.lights()) causes.insert(l.cause());
  CHECK(causes.count(escalation::v1::LIGHT_CAUSE_DISSATISFIED_AGAIN) == 1);
  iv1::TrackRequestRequest track;
  track.set_tracking_number(submitted.request().tracking_number());
  iv1::TrackRequestResponse tracked;
  REQUIRE(
      s.Call(s.intake_stub.get(), &iv1::IntakeService::Stub::TrackRequest, track, &tracked).ok());
  CHECK(tracked.status() == iv1::REQUEST_STATUS_CLOSED);
  int dissatisfied = 0;
  for (const auto& e : tracked.timeline())
    dissatisfied += e.description() == "evaluated: dissatisfied";
  CHECK(dissatisfied == 2);
}

TEST_CASE("what no rule can place waits on the triage desk, reachable over gRPC") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite s(dialect);
  auto req = CouldNotGetDone("e2e-2");
  req.mutable_request()->set_nature(iv1::NATURE_SUGGESTION);
  req.mutable_request()->set_title("建议");
  req.mutable_request()->set_text("建议多开一些图书馆。");
  iv1::SubmitRequestResponse submitted;
  REQUIRE(
      s.Call(s.intake_stub.get(), &iv1::IntakeService::Stub::SubmitRequest, req, &submitted).ok());
  // Without a model there is no category: the request waits for the desk, which assigns it.
  rv1::AssignTriageItemRequest assign;
  assign.set_request_id("assign-1");
  assign.set_item_request_id(submitted.request().id());
  assign.set_lead_unit_id("dept.culture-tourism");
  rv1::AssignTriageItemResponse assigned;
  REQUIRE(s.TriagedSoon(submitted.request().id()));
  rv1::ListTriageItemsResponse items;
  REQUIRE(s.Call(s.routing_stub.get(), &rv1::RoutingService::Stub::ListTriageItems,
                 rv1::ListTriageItemsRequest(), &items)
              .ok());
  REQUIRE(items.items_size() == 1);
  CHECK(items.items(0).reason() == "LOW_CONFIDENCE");
  CHECK(items.items(0).tracking_number() == submitted.request().tracking_number());
  REQUIRE(
      s.Call(s.routing_stub.get(), &rv1::RoutingService::Stub::AssignTriageItem, assign, &assigned)
          .ok());
  REQUIRE(assigned.orders_size() == 1);
  CHECK(assigned.orders(0).unit_id() == "dept.culture-tourism");
  CHECK(s.DispatchedFor(submitted.request().id()).size() == 1);
}

}  // namespace
}  // namespace jiban
