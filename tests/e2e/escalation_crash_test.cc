// kill -9 of the escalation binary while routing's events pour in: intake and routing run in this
// process, escalation as a child process following routing's stream, killed twice mid-stream and
// started again. Afterwards every "could not get it done" order has exactly one red light, one
// supervision case and one opening in the hash-chained log (which verifies), on both drivers.
#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/create_channel.h"
#include "libs/crypto/sealer.h"
#include "libs/events/consumer.h"
#include "libs/events/event_log.h"
#include "libs/server/server.h"
#include "libs/testing/child.h"
#include "libs/testing/test_db.h"
#include "proto/jiban/escalation/v1/escalation.grpc.pb.h"
#include "proto/jiban/intake/v1/intake.grpc.pb.h"
#include "services/intake/app.h"
#include "services/routing/app.h"

namespace jiban {
namespace {

namespace ev1 = escalation::v1;
namespace iv1 = intake::v1;

// A distinct report (so that intake links none as a duplicate of another): words picked by n, in
// one of the nine districts.
iv1::SubmitRequestRequest Report(int n) {
  static constexpr const char* kWords[] = {
      "营业", "执照", "不动", "产权", "社保", "转移", "公积", "提取", "医保", "报销",
      "户口", "迁移", "食品", "许可", "施工", "审批", "退休", "居住", "证件", "补办",
      "税务", "发票", "车辆", "年检", "驾照", "换证", "婚姻", "登记", "出生", "证明",
      "学籍", "转学", "残疾", "补贴", "低保", "救助", "养老", "保险", "失业", "就业"};
  static constexpr const char* kDistricts[] = {"410202", "410203", "410204", "410205", "410212",
                                               "410221", "410222", "410223", "410225"};
  std::string words;
  for (int k = 0; k < 8; ++k) words += kWords[(n * 7 + k * 11 + n / 40) % 40];
  iv1::SubmitRequestRequest req;
  req.set_request_id(absl::StrCat("crash-", n));
  auto* r = req.mutable_request();
  r->set_channel(iv1::CHANNEL_WINDOW);
  r->set_nature(iv1::NATURE_COULD_NOT_GET_DONE);
  r->set_title(absl::StrCat("办不成", n));
  r->set_text(words);
  r->mutable_location()->set_district_code(kDistricts[n % 9]);
  auto* citizen = r->mutable_requester()->mutable_citizen();
  citizen->set_name("王五");
  citizen->set_phone("13900139000");
  return req;
}

int64_t CountOf(db::Database& db, const std::string& sql) {
  auto rows = db.Query(sql);
  REQUIRE(rows.ok());
  return rows->front().Int(0);
}

TEST_CASE("kill -9 of escalation mid-stream: one light, one case, one log entry per order") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  auto intake_db = testing::TestDatabase::Create(dialect);
  auto routing_db = testing::TestDatabase::Create(dialect);
  auto escalation_db = testing::TestDatabase::Create(dialect);
  std::ostringstream logs;
  server::Server intake_server(server::ServerOptions::Loopback("intake"), &logs);
  server::Server routing_server(server::ServerOptions::Loopback("routing"), &logs);
  auto intake_app = intake::IntakeApp::Create(
      {.db_dsn = intake_db->dsn(), .db_pool_size = 8, .field_keys = crypto::Sealer::NewSpec()},
      intake_server);
  REQUIRE(intake_app.ok());
  REQUIRE(intake_server.Start().ok());
  auto routing_app = routing::RoutingApp::Create(
      {.db_dsn = routing_db->dsn(),
       .db_pool_size = 8,
       .intake_address = absl::StrCat("127.0.0.1:", intake_server.grpc_port())},
      routing_server);
  REQUIRE(routing_app.ok());
  REQUIRE(routing_server.Start().ok());
  struct Shutdown {  // the servers stop before the apps they serve are destroyed
    server::Server& intake;
    server::Server& routing;
    ~Shutdown() {
      routing.Shutdown();
      intake.Shutdown();
    }
  } shutdown{intake_server, routing_server};
  testing::ChildService escalation(
      JIBAN_ESCALATION_BINARY,
      {"JIBAN_DB_DSN=" + escalation_db->dsn(),
       absl::StrCat("JIBAN_ROUTING_ADDR=127.0.0.1:", routing_server.grpc_port()),
       "JIBAN_SCAN_SECONDS=0.05"},
      testing::FreePort());
  auto started = [&] {
    auto s = escalation.Start();
    if (!s.ok()) FAIL(s.message());
  };
  started();

  constexpr int kReports = 120;
  auto intake_stub = iv1::IntakeService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", intake_server.grpc_port()), grpc::InsecureChannelCredentials()));
  absl::Mutex mu;
  int submitted = 0;
  std::thread client([&] {
    for (int n = 0; n < kReports; ++n) {
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
      iv1::SubmitRequestResponse resp;
      const bool ok = intake_stub->SubmitRequest(&ctx, Report(n), &resp).ok();
      absl::MutexLock lock(&mu);
      submitted += ok ? 1 : 0;
    }
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{client};
  auto wait_submitted = [&](int n) {
    absl::MutexLock lock(&mu);
    auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return submitted >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(60));
  };
  REQUIRE(wait_submitted(kReports / 3));
  escalation.Kill();
  started();
  REQUIRE(wait_submitted(kReports * 2 / 3));
  escalation.Kill();
  started();
  client.join();
  REQUIRE(submitted == kReports);

  // Follow the restarted escalation's own event stream until it has raised every light.
  auto watcher_db = testing::TestDatabase::Create(dialect, {events::Migrations(dialect)});
  prometheus::Registry metrics;
  int raised = 0;
  events::Consumer watcher(
      {.name = "test<-escalation", .source = escalation.channel()}, watcher_db->db(),
      [&](db::Transaction& tx, const events::v1::Event& e) -> absl::Status {
        if (e.payload().Is<ev1::LightRaised>()) {
          tx.OnCommit([&] {
            absl::MutexLock lock(&mu);
            ++raised;
          });
        }
        return absl::OkStatus();
      },
      metrics);
  REQUIRE(watcher.Start().ok());
  {
    absl::MutexLock lock(&mu);
    auto all = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return raised >= kReports; };
    REQUIRE(mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(60)));
  }
  watcher.Stop();
  auto stub = ev1::EscalationService::NewStub(escalation.channel());
  grpc::ClientContext ctx;
  ev1::VerifyCaseLogResponse verified;
  REQUIRE(stub->VerifyCaseLog(&ctx, ev1::VerifyCaseLogRequest(), &verified).ok());
  CHECK(verified.intact());
  escalation.Kill();

  auto& db = escalation_db->db();
  CHECK(CountOf(db, "SELECT COUNT(*) FROM escalation_lights") == kReports);
  CHECK(CountOf(db, "SELECT COUNT(DISTINCT order_id) FROM escalation_lights") == kReports);
  CHECK(CountOf(db, "SELECT COUNT(*) FROM escalation_cases") == kReports);
  CHECK(CountOf(db, "SELECT COUNT(*) FROM escalation_case_log") == kReports);
  CHECK(verified.entries() == kReports);
}

}  // namespace
}  // namespace jiban
