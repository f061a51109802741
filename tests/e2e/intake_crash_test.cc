// kill -9 in the middle of a stream of submissions whose clients retry with the same request ids:
// afterwards every acknowledged request exists exactly once, with the tracking number it was
// acknowledged with, and every request has exactly one RequestSubmitted event. Runs the real
// jiban-intake binary on both drivers.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/crypto/sealer.h"
#include "libs/testing/test_db.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/jiban/intake/v1/intake.grpc.pb.h"

extern char** environ;

namespace jiban::intake {
namespace {

// Spawns and kills the service binary; every start uses the same port and database.
class Service {
 public:
  Service(std::string dsn, std::string keys, int port)
      : dsn_(std::move(dsn)), keys_(std::move(keys)), port_(port) {}
  ~Service() {
    Kill();
    std::remove(log_.c_str());
  }

  void Start() {
    std::vector<std::string> env = {
        "JIBAN_DB_DSN=" + dsn_, "JIBAN_FIELD_KEYS=" + keys_,
        absl::StrCat("JIBAN_GRPC_ADDR=127.0.0.1:", port_), "JIBAN_METRICS_ADDR=127.0.0.1:0",
        "JIBAN_DB_POOL_SIZE=8"};
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string bin = JIBAN_INTAKE_BINARY;
    char* argv[] = {bin.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    REQUIRE(posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv, envp.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);
    WaitServing();
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::shared_ptr<grpc::Channel> channel() {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                               grpc::InsecureChannelCredentials());
  }

 private:
  // The health check waits for the port to accept (wait_for_ready), bounded by its deadline.
  void WaitServing() {
    auto health = grpc::health::v1::Health::NewStub(channel());
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    grpc::Status s;
    do {  // a call on the killed process's dead connection fails at once; the next one waits
      grpc::ClientContext ctx;
      ctx.set_wait_for_ready(true);
      ctx.set_deadline(absl::ToChronoTime(give_up));
      grpc::health::v1::HealthCheckRequest req;
      grpc::health::v1::HealthCheckResponse resp;
      s = health->Check(&ctx, req, &resp);
    } while (s.error_code() == grpc::StatusCode::UNAVAILABLE && absl::Now() < give_up);
    if (!s.ok()) {
      std::ifstream in(log_);
      std::stringstream text;
      text << in.rdbuf();
      FAIL("service did not start: " << s.error_message() << "\n" << text.str());
    }
  }

  std::string dsn_, keys_;
  int port_;
  std::string log_ = "/tmp/jiban-crash-test-" + std::to_string(getpid()) + ".log";
  pid_t pid_ = -1;
};

int FreePort() {
  // Let the kernel pick, then reuse that number for every start of the service.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

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
  Service service(tdb->dsn(), crypto::Sealer::NewSpec(), FreePort());
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
