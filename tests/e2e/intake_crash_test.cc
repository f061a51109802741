// kill -9 in the middle of a stream of submissions whose clients retry with the same request ids:
// afterwards every acknowledged request exists exactly once, with the tracking number it was
// acknowledged with, and every request has exactly one RequestSubmitted event. Runs the real
// jiban-intake binary on both drivers.
#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/crypto/sealer.h"
#include "libs/testing/child.h"
#include "libs/testing/test_db.h"
#include "proto/jiban/intake/v1/intake.grpc.pb.h"

namespace jiban::intake {
namespace {

// The intake binary on a fixed port and database, killed and started again.
struct Service {
  Service(const std::string& dsn, const std::string& keys)
      : child(JIBAN_INTAKE_BINARY,
              {"JIBAN_DB_DSN=" + dsn, "JIBAN_FIELD_KEYS=" + keys, "JIBAN_DB_POOL_SIZE=8"},
              testing::FreePort()) {}
  void Start() {
    auto s = child.Start();
    if (!s.ok()) FAIL(s.message());
  }
  void Kill() { child.Kill(); }
  std::shared_ptr<grpc::Channel> channel() { return child.channel(); }
  testing::ChildService child;
};

v1::SubmitRequestRequest Submission(const std::string& request_id, int n) {
  v1::SubmitRequestRequest req;
  req.set_request_id(request_id);
  auto* r = req.mutable_request();
  r->set_channel(v1::CHANNEL_APP);
  r->set_nature(v1::NATURE_SUGGESTION);
  r->set_title(absl::StrCat("建议", n));
  r->set_text(absl::StrCat("第", n, "条建议：希望增加夜间公交班次，编号", n * 7919));
  r->mutable_location()->set_district_code("410205");
  r->mutable_requester()->set_anonymous(true);
  return req;
}

TEST_CASE("kill -9 mid-stream: every acknowledged request exists exactly once") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  auto tdb = testing::TestDatabase::Create(dialect);
  Service service(tdb->dsn(), crypto::Sealer::NewSpec());
  service.Start();

  constexpr int kClients = 4, kPerClient = 100, kTotal = kClients * kPerClient;
  absl::Mutex mu;
  std::map<std::string, std::string> acked;  // request id → tracking number
  int retries = 0;
  std::vector<std::thread> clients;
  struct Joiner {  // joins the clients however the test ends
    std::vector<std::thread>& threads;
    ~Joiner() {
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{clients};
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::IntakeService::NewStub(service.channel());
      for (int i = 0; i < kPerClient; ++i) {
        const std::string id = absl::StrCat("crash-", c, "-", i);
        const auto req = Submission(id, c * kPerClient + i);
        for (int attempt = 0; attempt < 200; ++attempt) {  // retry with the same request id
          grpc::ClientContext ctx;
          ctx.set_wait_for_ready(true);
          ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
          v1::SubmitRequestResponse resp;
          grpc::Status s = stub->SubmitRequest(&ctx, req, &resp);
          absl::MutexLock lock(&mu);
          if (s.ok()) {
            auto [it, fresh] = acked.emplace(id, resp.request().tracking_number());
            if (!fresh) CHECK(it->second == resp.request().tracking_number());
            break;
          }
          ++retries;
        }
      }
    });
  }
  auto wait_acked = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return acked.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(120));
  };
  REQUIRE(wait_acked(kTotal / 4));
  service.Kill();
  service.Start();
  REQUIRE(wait_acked(kTotal * 2 / 3));
  service.Kill();
  service.Start();
  for (auto& t : clients) t.join();
  {
    absl::MutexLock lock(&mu);
    REQUIRE(acked.size() == static_cast<size_t>(kTotal));
    INFO("retries after the kills: " << retries);
  }
  // Let the restarted service number the last events, then stop it and look at the database.
  auto& db = tdb->db();
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  int64_t numbered = 0;
  do {
    numbered = db.Query("SELECT COUNT(*) FROM jiban_events WHERE seq IS NOT NULL")->front().Int(0);
  } while (numbered < kTotal && absl::Now() < give_up);
  service.Kill();

  auto dups = db.Query(
      "SELECT client_request_id FROM intake_requests GROUP BY client_request_id "
      "HAVING COUNT(*) > 1");
  REQUIRE(dups.ok());
  CHECK(dups->empty());
  auto rows = db.Query("SELECT client_request_id, tracking_number FROM intake_requests");
  REQUIRE(rows.ok());
  CHECK(rows->size() == static_cast<size_t>(kTotal));
  for (const auto& row : *rows) {
    auto it = acked.find(row.Text(0));
    REQUIRE(it != acked.end());
    CHECK(it->second == row.Text(1));
  }
  CHECK(db.Query("SELECT COUNT(*) FROM jiban_events")->front().Int(0) == kTotal);
  CHECK(numbered == kTotal);
  auto seqs = db.Query("SELECT MIN(seq), MAX(seq) FROM jiban_events")->front();
  CHECK(seqs.Int(0) == 1);
  CHECK(seqs.Int(1) == kTotal);
}

}  // namespace
}  // namespace jiban::intake
