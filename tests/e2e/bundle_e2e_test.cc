// The bundle service with routing over real gRPC on both drivers: one application becomes one
// work order per matter in routing (retries make nothing twice), the units sign for and reply to
// their orders through routing's API, and the application completes from routing's events; a part
// routing refuses fails alone; bad applications are refused naming the fields.
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "libs/crypto/sealer.h"
#include "libs/events/consumer.h"
#include "libs/server/server.h"
#include "libs/status/status.h"
#include "libs/testing/test_db.h"
#include "proto/jiban/bundle/v1/bundle.grpc.pb.h"
#include "proto/jiban/intake/v1/intake.grpc.pb.h"
#include "proto/jiban/routing/v1/routing.grpc.pb.h"
#include "services/bundle/app.h"
#include "services/bundle/convert.h"
#include "services/bundle/test_support.h"
#include "services/intake/app.h"
#include "services/routing/app.h"

namespace jiban {
namespace {

using testing::TestDatabase;
namespace bv1 = bundle::v1;
namespace rv1 = routing::v1;

std::string Address(const server::Server& s) { return absl::StrCat("127.0.0.1:", s.grpc_port()); }

struct Suite {
  explicit Suite(db::Dialect dialect)
      : intake_db(TestDatabase::Create(dialect)),
        routing_db(TestDatabase::Create(dialect)),
        bundle_db(TestDatabase::Create(dialect)),
        watcher_db(TestDatabase::Create(dialect, {events::Migrations(dialect)})),
        intake_server(server::ServerOptions::Loopback("intake"), &logs),
        routing_server(server::ServerOptions::Loopback("routing"), &logs),
        bundle_server(server::ServerOptions::Loopback("bundle"), &logs) {
    auto i = intake::IntakeApp::Create(
        {.db_dsn = intake_db->dsn(), .db_pool_size = 4, .field_keys = crypto::Sealer::NewSpec()},
        intake_server);
    if (!i.ok()) FAIL(i.status());
    intake_app = std::move(i).value();
    REQUIRE(intake_server.Start().ok());
    auto r = routing::RoutingApp::Create(
        {.db_dsn = routing_db->dsn(), .db_pool_size = 8, .intake_address = Address(intake_server)},
        routing_server);
    if (!r.ok()) FAIL(r.status());
    routing_app = std::move(r).value();
    REQUIRE(routing_server.Start().ok());
    auto b = bundle::BundleApp::Create({.db_dsn = bundle_db->dsn(),
                                        .db_pool_size = 8,
                                        .field_keys = crypto::Sealer::NewSpec(),
                                        .intake_address = Address(intake_server),
                                        .routing_address = Address(routing_server),
                                        .retry_interval = absl::Milliseconds(100)},
                                       bundle_server);
    if (!b.ok()) FAIL(b.status());
    bundle_app = std::move(b).value();
    REQUIRE(bundle_server.Start().ok());
    auto routing_channel =
        grpc::CreateChannel(Address(routing_server), grpc::InsecureChannelCredentials());
    routing_stub = rv1::RoutingService::NewStub(routing_channel);
    bundle_stub = bv1::BundleService::NewStub(
        grpc::CreateChannel(Address(bundle_server), grpc::InsecureChannelCredentials()));
    // Routing's stream, as the bundle service sees it: the orders made for each item.
    watcher = std::make_unique<events::Consumer>(
        events::ConsumerOptions{.name = "test<-routing", .source = routing_channel},
        watcher_db->db(),
        [this](db::Transaction& tx, const events::v1::Event& e) -> absl::Status {
          rv1::OrdersDispatched d;
          rv1::OrderChanged c;
          const bool is_dispatch = e.payload().UnpackTo(&d);
          if (!is_dispatch && !e.payload().UnpackTo(&c)) return absl::OkStatus();
          tx.OnCommit([this, d, c, is_dispatch, seq = e.sequence()] {
            absl::MutexLock lock(&mu);
            if (is_dispatch) {
              for (const auto& o : d.orders()) orders.push_back(o);
            }
            const std::string item =
                is_dispatch ? d.orders(0).request_id() : c.order().request_id();
            last[item] = seq;
            changes[item + "/" + (is_dispatch ? "dispatched" : c.change())] = seq;
          });
          return absl::OkStatus();
        },
        metrics);
    REQUIRE(watcher->Start().ok());
    // Intake's stream: how far it has gone, so a test can wait for the bundle service to catch up.
    intake_watcher = std::make_unique<events::Consumer>(
        events::ConsumerOptions{.name = "test<-intake",
                                .source = grpc::CreateChannel(Address(intake_server),
                                                              grpc::InsecureChannelCredentials())},
        watcher_db->db(),
        [this](db::Transaction& tx, const events::v1::Event& e) -> absl::Status {
          intake::v1::RequestSubmitted submitted;
          const bool is_submit = e.payload().UnpackTo(&submitted);
          tx.OnCommit([this, is_submit, seq = e.sequence()] {
            absl::MutexLock lock(&mu);
            intake_head = seq;
            submissions += is_submit ? 1 : 0;
          });
          return absl::OkStatus();
        },
        metrics);
    REQUIRE(intake_watcher->Start().ok());
    intake_stub = intake::v1::IntakeService::NewStub(
        grpc::CreateChannel(Address(intake_server), grpc::InsecureChannelCredentials()));
  }

  // Waits until intake has emitted `n` submissions and the bundle service has applied them.
  bool BundleSawSubmissions(int n) {
    int64_t seq = 0;
    {
      absl::MutexLock lock(&mu);
      auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return submissions >= n; };
      if (!mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30))) return false;
      seq = intake_head;
    }
    return bundle_app->intake_consumer().WaitApplied(seq, absl::Seconds(30));
  }
  ~Suite() {
    intake_watcher.reset();
    watcher.reset();
    bundle_server.Shutdown();
    routing_server.Shutdown();
    intake_server.Shutdown();
  }

  // Waits until routing has made orders for `n` items of the application, then until the bundle
  // service has applied routing's events that far; the orders, by item.
  std::map<std::string, rv1::WorkOrder> OrdersOf(const std::string& application_id, size_t n) {
    std::map<std::string, rv1::WorkOrder> out;
    int64_t seq = 0;
    {
      absl::MutexLock lock(&mu);
      auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) {
        out.clear();
        for (const auto& o : orders) {
          if (absl::StartsWith(o.request_id(), application_id + "/")) out[o.request_id()] = o;
        }
        return out.size() >= n;
      };
      mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30));
      for (const auto& [item, o] : out) seq = std::max(seq, last[item]);
    }
    bundle_app->consumer().WaitApplied(seq, absl::Seconds(30));
    return out;
  }
  // Waits until routing has emitted `change` for `item` and the bundle service has applied it.
  bool BundleSaw(const std::string& item, const std::string& change) {
    int64_t seq = 0;
    {
      absl::MutexLock lock(&mu);
      auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) {
        return changes.contains(item + "/" + change);
      };
      if (!mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(30))) return false;
      seq = changes[item + "/" + change];
    }
    return bundle_app->consumer().WaitApplied(seq, absl::Seconds(30));
  }

  template <typename Stub, typename Req, typename Resp>
  grpc::Status Call(Stub* stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return (stub->*method)(&ctx, req, resp);
  }

  bv1::Application Get(const std::string& id) {
    bv1::GetApplicationRequest req;
    req.set_application_id(id);
    bv1::GetApplicationResponse resp;
    REQUIRE(Call(bundle_stub.get(), &bv1::BundleService::Stub::GetApplication, req, &resp).ok());
    return resp.application();
  }

  std::unique_ptr<TestDatabase> intake_db, routing_db, bundle_db, watcher_db;
  std::ostringstream logs;
  server::Server intake_server, routing_server, bundle_server;
  std::unique_ptr<intake::IntakeApp> intake_app;
  std::unique_ptr<routing::RoutingApp> routing_app;
  std::unique_ptr<bundle::BundleApp> bundle_app;
  std::unique_ptr<rv1::RoutingService::Stub> routing_stub;
  std::unique_ptr<bv1::BundleService::Stub> bundle_stub;
  prometheus::Registry metrics;
  std::unique_ptr<events::Consumer> watcher, intake_watcher;
  std::unique_ptr<intake::v1::IntakeService::Stub> intake_stub;
  absl::Mutex mu;
  std::vector<rv1::WorkOrder> orders ABSL_GUARDED_BY(mu);
  std::map<std::string, int64_t> last ABSL_GUARDED_BY(mu);     // item → latest event's sequence
  std::map<std::string, int64_t> changes ABSL_GUARDED_BY(mu);  // "item/change" → its sequence
  int64_t intake_head ABSL_GUARDED_BY(mu) = 0;
  int submissions ABSL_GUARDED_BY(mu) = 0;
};

bv1::SubmitApplicationRequest NewbornRequest(const std::string& request_id) {
  const bundle::Submission s = bundle::fixtures::Newborn();
  bv1::SubmitApplicationRequest req;
  req.set_request_id(request_id);
  req.set_bundle_id(s.bundle_id);
  for (const auto& [k, v] : s.form) (*req.mutable_form())[k] = v;
  for (const auto& m : s.material_ids) req.add_material_ids(m);
  req.set_district_code(s.district_code);
  return req;
}

TEST_CASE("an application fans out into routing and completes when every unit has replied") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite suite(dialect);

  bv1::SubmitApplicationResponse first, retry;
  REQUIRE(suite
              .Call(suite.bundle_stub.get(), &bv1::BundleService::Stub::SubmitApplication,
                    NewbornRequest("apply-1"), &first)
              .ok());
  const bv1::Application& a = first.application();
  CHECK(absl::StartsWith(a.tracking_number(), "YJ"));
  REQUIRE(a.parts_size() == 3);
  REQUIRE(suite
              .Call(suite.bundle_stub.get(), &bv1::BundleService::Stub::SubmitApplication,
                    NewbornRequest("apply-1"), &retry)
              .ok());
  CHECK(retry.application().id() == a.id());

  auto orders = suite.OrdersOf(a.id(), 3);
  REQUIRE(orders.size() == 3);
  CHECK(orders.at(a.id() + "/0").unit_id() == "dept.public-security");
  CHECK(orders.at(a.id() + "/2").unit_id() == "dept.hrss");
  bv1::Application seen = suite.Get(a.id());
  for (const auto& p : seen.parts()) {
    CHECK(p.state() == bv1::PART_STATE_DISPATCHED);
    CHECK(p.order_id() == orders.at(a.id() + "/" + std::to_string(p.index())).id());
  }
  CHECK(seen.has_due_time());

  // Each unit signs for and replies to its part through routing's API.
  for (const auto& [item, o] : orders) {
    rv1::SignForWorkOrderRequest sign;
    sign.set_request_id("sign-" + o.id());
    sign.set_order_id(o.id());
    rv1::SignForWorkOrderResponse signed_for;
    REQUIRE(suite
                .Call(suite.routing_stub.get(), &rv1::RoutingService::Stub::SignForWorkOrder, sign,
                      &signed_for)
                .ok());
    rv1::ReplyWorkOrderRequest reply;
    reply.set_request_id("reply-" + o.id());
    reply.set_order_id(o.id());
    reply.mutable_reply()->set_outcome(rv1::REPLY_OUTCOME_RESOLVED);
    reply.mutable_reply()->set_text("已办结");
    rv1::ReplyWorkOrderResponse replied;
    REQUIRE(suite
                .Call(suite.routing_stub.get(), &rv1::RoutingService::Stub::ReplyWorkOrder, reply,
                      &replied)
                .ok());
    REQUIRE(suite.BundleSaw(item, "replied"));
  }
  const bv1::Application done = suite.Get(a.tracking_number());
  CHECK(done.state() == bv1::APPLICATION_STATE_COMPLETED);
  CHECK(done.has_complete_time());
  CHECK(!done.overdue());
  for (const auto& p : done.parts()) CHECK(p.state() == bv1::PART_STATE_DONE);

  // The retry dispatched nothing twice: one order per item in routing.
  rv1::ListWorkOrdersRequest list;
  list.set_request_id(a.id() + "/1");
  rv1::ListWorkOrdersResponse listed;
  REQUIRE(
      suite
          .Call(suite.routing_stub.get(), &rv1::RoutingService::Stub::ListWorkOrders, list, &listed)
          .ok());
  CHECK(listed.orders_size() == 1);

  // The unit reads only its matter's fields.
  bv1::GetPartFormRequest form_req;
  form_req.set_application_id(a.id());
  form_req.set_part_index(2);
  bv1::GetPartFormResponse form;
  REQUIRE(
      suite.Call(suite.bundle_stub.get(), &bv1::BundleService::Stub::GetPartForm, form_req, &form)
          .ok());
  CHECK(form.form().contains("guardian_id_number"));
  CHECK(!form.form().contains("guardian_name"));
}

TEST_CASE("a part routing refuses fails alone, and bad applications are refused by field") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite suite(dialect);

  // A catalogue whose newborn bundle names a unit routing does not know for one matter.
  bv1::GetCatalogueResponse current;
  REQUIRE(suite
              .Call(suite.bundle_stub.get(), &bv1::BundleService::Stub::GetCatalogue,
                    bv1::GetCatalogueRequest(), &current)
              .ok());
  bv1::UpdateCatalogueRequest update;
  *update.mutable_catalogue() = current.catalogue();
  for (auto& m : *update.mutable_catalogue()->mutable_matters()) {
    if (m.id() == "child-social-security-card") m.set_owner_unit_id("dept.card-centre");
  }
  update.set_expected_version(current.catalogue().version());
  bv1::UpdateCatalogueResponse updated;
  REQUIRE(suite
              .Call(suite.bundle_stub.get(), &bv1::BundleService::Stub::UpdateCatalogue, update,
                    &updated)
              .ok());
  CHECK(updated.catalogue().version() == current.catalogue().version() + 1);

  bv1::SubmitApplicationResponse resp;
  REQUIRE(suite
              .Call(suite.bundle_stub.get(), &bv1::BundleService::Stub::SubmitApplication,
                    NewbornRequest("apply-2"), &resp)
              .ok());
  const std::string id = resp.application().id();
  auto orders = suite.OrdersOf(id, 2);
  CHECK(orders.size() == 2);
  // The refused part is recorded by the dispatcher's round, which a full round after this
  // point has finished.
  REQUIRE(suite.bundle_app->WaitForRound(absl::Seconds(30)));
  const bv1::Application a = suite.Get(id);
  CHECK(a.parts(2).state() == bv1::PART_STATE_FAILED);
  CHECK(absl::StrContains(a.parts(2).failure_reason(), "unit_id"));
  CHECK(a.parts(0).state() == bv1::PART_STATE_DISPATCHED);
  CHECK(a.state() == bv1::APPLICATION_STATE_IN_PROGRESS);

  bv1::SubmitApplicationRequest bad = NewbornRequest("apply-3");
  bad.mutable_form()->erase("child_name");
  bad.clear_material_ids();
  bv1::SubmitApplicationResponse refused;
  const grpc::Status s = suite.Call(suite.bundle_stub.get(),
                                    &bv1::BundleService::Stub::SubmitApplication, bad, &refused);
  CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  const absl::Status back = FromGrpcStatus(s);
  std::set<std::string> fields;
  for (const auto& v : FieldViolationsOf(back)) fields.insert(v.field);
  CHECK(fields.contains("form.child_name"));
  CHECK(fields.contains("materials.birth_certificate"));
  CHECK(s.error_message().find("13800138000") == std::string::npos);
}

TEST_CASE("requests that keep coming to intake surface as a hot spot, decided over gRPC") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Suite suite(dialect);
  const std::vector<std::string> districts = {"410202", "410203", "410204", "410205", "410202"};
  for (int i = 0; i < 5; ++i) {
    intake::v1::SubmitRequestRequest req;
    req.set_request_id("hot-" + std::to_string(i));
    auto* r = req.mutable_request();
    r->set_channel(intake::v1::CHANNEL_HOTLINE);
    r->set_nature(intake::v1::NATURE_COMPLAINT);
    r->set_title("幸福路与建设街交叉口路灯坏了三个月无人修");
    r->set_text(absl::StrCat("晚上一片漆黑，老人孩子出行很危险，第", i + 1, "次反映。"));
    r->mutable_location()->set_district_code(districts[static_cast<size_t>(i)]);
    auto* citizen = r->mutable_requester()->mutable_citizen();
    citizen->set_name("王五");
    citizen->set_phone(absl::StrCat("1380013800", i));
    intake::v1::SubmitRequestResponse resp;
    REQUIRE(suite
                .Call(suite.intake_stub.get(), &intake::v1::IntakeService::Stub::SubmitRequest, req,
                      &resp)
                .ok());
  }
  REQUIRE(suite.BundleSawSubmissions(5));

  bv1::ListHotSpotsRequest list;
  list.set_window_days(7);
  bv1::ListHotSpotsResponse spots;
  REQUIRE(suite.Call(suite.bundle_stub.get(), &bv1::BundleService::Stub::ListHotSpots, list, &spots)
              .ok());
  REQUIRE(spots.hot_spots_size() == 1);
  const bv1::HotSpot& h = spots.hot_spots(0);
  CHECK(h.kind() == bv1::HOT_SPOT_KIND_SIMILAR_TEXT);
  CHECK(h.count() == 5);
  CHECK(h.districts() == 4);
  CHECK(h.proposed_action() == bv1::HOT_SPOT_ACTION_MONTHLY_TOPIC);
  // No personal data in what the miner shows.
  CHECK(spots.DebugString().find("1380013800") == std::string::npos);
  CHECK(spots.DebugString().find("王五") == std::string::npos);

  bv1::DecideHotSpotRequest decide;
  decide.set_request_id("decide-1");
  decide.set_hotspot_key(h.key());
  decide.set_action(bv1::HOT_SPOT_ACTION_MONTHLY_TOPIC);
  decide.set_note("列入本月每月一题：城区路灯排查");
  bv1::DecideHotSpotResponse decided;
  REQUIRE(
      suite
          .Call(suite.bundle_stub.get(), &bv1::BundleService::Stub::DecideHotSpot, decide, &decided)
          .ok());
  CHECK(decided.decision().count_at_decision() == 5);
  bv1::ListHotSpotDecisionsResponse decisions;
  REQUIRE(suite
              .Call(suite.bundle_stub.get(), &bv1::BundleService::Stub::ListHotSpotDecisions,
                    bv1::ListHotSpotDecisionsRequest(), &decisions)
              .ok());
  REQUIRE(decisions.decisions_size() == 1);
  CHECK(decisions.decisions(0).requests_before() == 5);
  CHECK(decisions.decisions(0).requests_after() == 0);
  decide.set_action(bv1::HOT_SPOT_ACTION_PROACTIVE_TASK);
  decide.set_request_id("decide-2");
  const grpc::Status refused = suite.Call(
      suite.bundle_stub.get(), &bv1::BundleService::Stub::DecideHotSpot, decide, &decided);
  CHECK(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace jiban
