// kill -9, and SIGTERM, in the middle of a stream of submissions whose clients retry with the same
// request ids: afterwards every acknowledged request exists exactly once, with the tracking number
// it was acknowledged with, and every request has exactly one RequestSubmitted event; after
// SIGTERM the service exits 0 and clients saw only retryable refusals. Runs the real jiban-intake
// binary on both drivers.
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
  int Terminate() { return child.Terminate(); }
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

// Clients submitting a stream of requests, each retried with its request id until acknowledged;
// every failed attempt's code is kept.
class Load {
 public:
  static constexpr int kClients = 4, kPerClient = 100, kTotal = kClients * kPerClient;

  explicit Load(Service& service) {
    for (int c = 0; c < kClients; ++c) {
      clients_.emplace_back([this, &service, c] {
        auto stub = v1::IntakeService::NewStub(service.channel());
        for (int i = 0; i < kPerClient; ++i) {
          const std::string id = absl::StrCat("crash-", c, "-", i);
          const auto req = Submission(id, c * kPerClient + i);
          for (int attempt = 0; attempt < 200; ++attempt) {  // retry with the same request id
            grpc::ClientContext ctx;
            ctx.set_wait_for_ready(true);
            ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
            v1::SubmitRequestResponse resp;
            grpc::Status s = stub->SubmitRequest(&ctx, req, &resp);
            absl::MutexLock lock(&mu_);
            if (s.ok()) {
              auto [it, fresh] = acked_.emplace(id, resp.request().tracking_number());
              if (!fresh && it->second != resp.request().tracking_number()) ++changed_;
              break;
            }
            ++failures_[s.error_code()];
          }
        }
      });
    }
  }
  ~Load() { Join(); }
  void Join() {
    for (auto& t : clients_) {
      if (t.joinable()) t.join();
    }
  }
  bool WaitAcked(size_t n) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return acked_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(120));
  }
  // After Join(): request id → tracking number acknowledged; failed attempts by code.
  const std::map<std::string, std::string>& acked() const { return acked_; }
  const std::map<grpc::StatusCode, int>& failures() const { return failures_; }
  int changed() const { return changed_; }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> acked_;
  std::map<grpc::StatusCode, int> failures_;
  int changed_ = 0;  // a retry answered with another tracking number
  std::vector<std::thread> clients_;
};

// Every acknowledged request exists exactly once with its tracking number, and has exactly one
// event, numbered 1..kTotal (the service is stopped when this returns).
void CheckExactlyOnce(db::Database& db, Service& service, const Load& load) {
  REQUIRE(load.acked().size() == static_cast<size_t>(Load::kTotal));
  CHECK(load.changed() == 0);
  // Let the running service number the last events, then stop it and look at the database.
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  int64_t numbered = 0;
  do {
    numbered = db.Query("SELECT COUNT(*) FROM jiban_events WHERE seq IS NOT NULL")->front().Int(0);
  } while (numbered < Load::kTotal && absl::Now() < give_up);
  service.Kill();

  auto dups = db.Query(
      "SELECT client_request_id FROM intake_requests GROUP BY client_request_id "
      "HAVING COUNT(*) > 1");
  REQUIRE(dups.ok());
  CHECK(dups->empty());
  auto rows = db.Query("SELECT client_request_id, tracking_number FROM intake_requests");
  REQUIRE(rows.ok());
  CHECK(rows->size() == static_cast<size_t>(Load::kTotal));
  for (const auto& row : *rows) {
    auto it = load.acked().find(row.Text(0));
    REQUIRE(it != load.acked().end());
    CHECK(it->second == row.Text(1));
  }
  CHECK(db.Query("SELECT COUNT(*) FROM jiban_events")->front().Int(0) == Load::kTotal);
  CHECK(numbered == Load::kTotal);
  auto seqs = db.Query("SELECT MIN(seq), MAX(seq) FROM jiban_events")->front();
  CHECK(seqs.Int(0) == 1);
  CHECK(seqs.Int(1) == Load::kTotal);
}

TEST_CASE("kill -9 mid-stream: every acknowledged request exists exactly once") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  auto tdb = testing::TestDatabase::Create(dialect);
  Service service(tdb->dsn(), crypto::Sealer::NewSpec());
  service.Start();
  Load load(service);
  REQUIRE(load.WaitAcked(Load::kTotal / 4));
  service.Kill();
  service.Start();
  REQUIRE(load.WaitAcked(Load::kTotal * 2 / 3));
  service.Kill();
  service.Start();
  load.Join();
  int retries = 0;
  for (const auto& [code, n] : load.failures()) retries += n;
  INFO("retries after the kills: " << retries);
  CheckExactlyOnce(tdb->db(), service, load);
}

TEST_CASE("SIGTERM under load: exit 0, calls in flight finish, every refusal is retryable") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  auto tdb = testing::TestDatabase::Create(dialect);
  Service service(tdb->dsn(), crypto::Sealer::NewSpec());
  service.Start();
  Load load(service);
  REQUIRE(load.WaitAcked(Load::kTotal / 3));
  CHECK(service.Terminate() == 0);
  service.Start();
  REQUIRE(load.WaitAcked(Load::kTotal * 2 / 3));
  CHECK(service.Terminate() == 0);
  service.Start();
  load.Join();
  // UNAVAILABLE: calls refused while the server drained or was down. CANCELLED: calls gRPC had
  // received but no handler had started when the server shut down — gRPC core answers those
  // CANCELLED instead of UNAVAILABLE (grpc/grpc#41785, open; docs/reliability.md). Neither did
  // anything, as the exactly-once check below proves, so clients retry both.
  for (const auto& [code, n] : load.failures()) {
    INFO("code " << code << " seen " << n << " times");
    CHECK((code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::CANCELLED));
  }
  CheckExactlyOnce(tdb->db(), service, load);
}

}  // namespace
}  // namespace jiban::intake
