// The outbox end to end over real gRPC, on both drivers: producer database → EventLogService →
// Consumer → consumer database.
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "libs/events/consumer.h"
#include "libs/events/event_log.h"
#include "libs/events/service.h"
#include "libs/testing/test_db.h"
#include "proto/jiban/common/v1/types.pb.h"

namespace jiban::events {
namespace {

using testing::TestDatabase;

db::MigrationSet SeenTable() {
  return {"eventstest",
          {{1, "0001_seen",
            "CREATE TABLE seen (event_id VARCHAR(26) PRIMARY KEY, marker VARCHAR(64) NOT NULL, seq "
            "BIGINT NOT NULL);\n"}}};
}

// A producer (its own database, event log and gRPC server) and a consumer (its own database).
struct Fixture {
  explicit Fixture(db::Dialect dialect)
      : producer_db(TestDatabase::Create(dialect, {Migrations(dialect)}, {.pool_size = 16})),
        consumer_db(TestDatabase::Create(dialect, {Migrations(dialect), SeenTable()})),
        ids(clock),
        log(producer_db->db(), clock, ids, registry,
            {.poll_interval = absl::Milliseconds(20), .sequence_batch = 1000}),
        service(log) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    log.Start();
  }
  ~Fixture() {
    consumer.reset();
    log.Stop();
    server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  }

  void StartConsumer(Handler extra = nullptr,
                     std::function<void(int64_t, int64_t)> on_progress = nullptr) {
    consumer = std::make_unique<Consumer>(
        ConsumerOptions{.name = "test<-producer",
                        .source = channel,
                        .max_backoff = absl::Milliseconds(50),
                        .head_interval = absl::Milliseconds(20),
                        .on_progress = std::move(on_progress)},
        consumer_db->db(),
        [this, extra](db::Transaction& tx, const v1::Event& e) -> absl::Status {
          if (extra) {
            if (auto s = extra(tx, e); !s.ok()) return s;
          }
          common::v1::Location loc;
          if (!e.payload().UnpackTo(&loc)) return absl::InvalidArgumentError("bad payload");
          auto r = tx.Execute("INSERT INTO seen (event_id, marker, seq) VALUES (?, ?, ?)",
                              {e.event_id(), loc.district_code(), e.sequence()});
          if (!r.ok()) return r.status();
          tx.OnCommit([this] {
            absl::MutexLock lock(&mu);
            ++applied;
          });
          return absl::OkStatus();
        },
        registry);
    REQUIRE(consumer->Start().ok());
  }

  absl::Status Produce(const std::string& marker, bool commit = true) {
    auto tx = producer_db->db().Begin();
    if (!tx.ok()) return tx.status();
    common::v1::Location loc;
    loc.set_district_code(marker);
    if (auto s = log.Append(*tx, loc, {.aggregate_id = marker}); !s.ok()) return s;
    return commit ? tx->Commit() : absl::OkStatus();
  }

  // Waits (bounded) until the consumer has committed `n` applications.
  bool WaitApplied(int n, absl::Duration timeout = absl::Seconds(30)) {
    absl::MutexLock lock(&mu);
    auto done = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return applied >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&done), timeout);
  }

  std::multiset<std::string> SeenMarkers() {
    std::multiset<std::string> out;
    auto rows = consumer_db->db().Query("SELECT marker FROM seen");
    REQUIRE(rows.ok());
    for (const auto& r : *rows) out.insert(r.Text(0));
    return out;
  }

  std::unique_ptr<TestDatabase> producer_db, consumer_db;
  SystemClock clock;
  IdGenerator ids;
  prometheus::Registry registry;
  EventLog log;
  EventLogService service;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<Consumer> consumer;
  absl::Mutex mu;
  int applied ABSL_GUARDED_BY(mu) = 0;
};

double GaugeValue(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name && !family.metric.empty()) return family.metric[0].gauge.value;
  }
  return -1;
}

TEST_CASE("a committed event reaches the consumer exactly once, a rolled-back one never") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Fixture f(dialect);
  f.StartConsumer();
  REQUIRE(f.Produce("committed-1").ok());
  REQUIRE(f.Produce("rolled-back", /*commit=*/false).ok());
  REQUIRE(f.Produce("committed-2").ok());
  REQUIRE(f.WaitApplied(2));
  // A restarted consumer resumes after its cursor and applies nothing twice.
  f.consumer.reset();
  f.StartConsumer();
  REQUIRE(f.Produce("committed-3").ok());
  REQUIRE(f.WaitApplied(3));
  CHECK(f.SeenMarkers() == std::multiset<std::string>{"committed-1", "committed-2", "committed-3"});
  CHECK(f.consumer->Cursor().value() == 3);
  // Replaying an already-applied event is a no-op.
  auto batch = f.log.Read(0, 10).value();
  REQUIRE(batch.events.size() == 3);
  CHECK(batch.head_sequence == 3);
  CHECK(f.consumer->Apply(batch.events[0]).ok());
  CHECK(f.SeenMarkers().size() == 3);
  CHECK(GaugeValue(f.registry, "jiban_event_consumer_lag_events") == 0);
}

// Polls `condition` until it holds or `timeout` passes (for values with nothing to wait on, such as
// a gauge); true when it held.
bool Eventually(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

TEST_CASE("the lag gauge counts the backlog while an apply is stuck, and returns to 0") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Fixture f(dialect);
  absl::Notification entered, release;
  absl::Mutex mu;
  std::vector<std::pair<int64_t, int64_t>> progress;  // (applied, head) as told
  f.StartConsumer(
      [&](db::Transaction&, const v1::Event&) -> absl::Status {
        if (!entered.HasBeenNotified()) entered.Notify();
        release.WaitForNotification();
        return absl::OkStatus();
      },
      [&](int64_t applied, int64_t head) {
        absl::MutexLock lock(&mu);
        progress.emplace_back(applied, head);
      });
  REQUIRE(f.Produce("first").ok());
  REQUIRE(entered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  // The consumer is stuck in its first apply: nothing it streams is looked at, so only the head
  // it asks for tells it how far behind it is.
  constexpr int kMore = 300;
  for (int i = 0; i < kMore; ++i) REQUIRE(f.Produce(absl::StrCat("more-", i)).ok());
  const auto lag = [&] { return GaugeValue(f.registry, "jiban_event_consumer_lag_events"); };
  CHECK(Eventually([&] { return lag() == kMore + 1; }));
  release.Notify();
  REQUIRE(f.WaitApplied(kMore + 1));
  CHECK(Eventually([&] { return lag() == 0; }));
  CHECK(f.consumer->Cursor().value() == kMore + 1);
  // Progress was told while behind (0 of 301 applied), then once when level (301 of 301).
  const auto told = [&](std::pair<int64_t, int64_t> p) {
    absl::MutexLock lock(&mu);
    return std::find(progress.begin(), progress.end(), p) != progress.end();
  };
  CHECK(Eventually([&] { return told({kMore + 1, kMore + 1}); }));
  absl::MutexLock lock(&mu);
  CHECK(std::find(progress.begin(), progress.end(), std::pair<int64_t, int64_t>{0, kMore + 1}) !=
        progress.end());
  // Nothing is told while level: the last report is the first that was level.
  CHECK(progress.back() == std::pair<int64_t, int64_t>{kMore + 1, kMore + 1});
  CHECK(std::count_if(progress.begin(), progress.end(),
                      [](const auto& p) { return p.first == p.second; }) == 1);
}

TEST_CASE("GetHead answers the highest sequence numbered") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  Fixture f(dialect);
  auto stub = v1::EventLogService::NewStub(f.channel);
  const auto head = [&] {
    grpc::ClientContext ctx;
    v1::GetHeadResponse response;
    REQUIRE(stub->GetHead(&ctx, v1::GetHeadRequest(), &response).ok());
    return response.head_sequence();
  };
  CHECK(head() == 0);
  REQUIRE(f.Produce("one").ok());
  REQUIRE(f.Produce("two").ok());
  REQUIRE(f.log.SequencePending().ok());
  CHECK(head() == 2);
}

TEST_CASE("many concurrent writers: every committed event is consumed exactly once, in order") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Fixture f(dialect);
  f.StartConsumer();
  constexpr int kWriters = 8, kPerWriter = 40;
  std::vector<std::thread> writers;
  std::atomic<int> committed{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        const bool commit = i % 5 != 4;  // every fifth transaction rolls back
        if (f.Produce(absl::StrCat("w", w, "-", i), commit).ok() && commit) ++committed;
      }
    });
  }
  for (auto& t : writers) t.join();
  REQUIRE(committed == kWriters * kPerWriter * 4 / 5);
  REQUIRE(f.WaitApplied(committed));
  auto seen = f.SeenMarkers();
  CHECK(static_cast<int>(seen.size()) == committed.load());
  for (const auto& m : seen) CHECK(seen.count(m) == 1);
  // Sequences are contiguous 1..N.
  auto seqs = f.consumer_db->db().Query("SELECT MIN(seq), MAX(seq), COUNT(*) FROM seen").value();
  CHECK(seqs[0].Int(0) == 1);
  CHECK(seqs[0].Int(1) == committed);
}

// The classic trap: a transaction that took its auto-increment id first but commits last. A
// reader following ids would have moved past it; here it is numbered when it commits and is
// delivered. (MySQL only: SQLite serialises writers, so its ids are already commit order.)
TEST_CASE("an event whose transaction commits late is still consumed exactly once") {
  if (testing::Drivers().size() < 2) return;
  Fixture f(db::Dialect::kMySql);
  f.StartConsumer();
  auto slow = f.producer_db->db().Begin();
  REQUIRE(slow.ok());
  common::v1::Location loc;
  loc.set_district_code("slow");
  REQUIRE(f.log.Append(*slow, loc, {}).ok());  // takes the lowest id
  constexpr int kWriters = 6, kPerWriter = 25;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) REQUIRE(f.Produce(absl::StrCat("w", w, "-", i)).ok());
    });
  }
  for (auto& t : writers) t.join();
  // Everything committed after the slow transaction began has been consumed already...
  REQUIRE(f.WaitApplied(kWriters * kPerWriter));
  CHECK(f.SeenMarkers().count("slow") == 0);
  // ...and the slow one arrives once it commits.
  REQUIRE(slow->Commit().ok());
  REQUIRE(f.WaitApplied(kWriters * kPerWriter + 1));
  auto seen = f.SeenMarkers();
  CHECK(seen.size() == kWriters * kPerWriter + 1);
  CHECK(seen.count("slow") == 1);
  auto ids = f.producer_db->db()
                 .Query("SELECT id, seq FROM jiban_events WHERE aggregate_id = '' ORDER BY id")
                 .value();
  REQUIRE(ids.size() == 1);
  CHECK(ids[0].Int(1) == kWriters * kPerWriter + 1);  // lowest id, highest sequence
}

TEST_CASE("a failing handler is retried and applies once") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  Fixture f(dialect);
  std::atomic<int> attempts{0};
  f.StartConsumer([&](db::Transaction&, const v1::Event&) -> absl::Status {
    if (++attempts < 3) return absl::UnavailableError("downstream hiccup");
    return absl::OkStatus();
  });
  REQUIRE(f.Produce("flaky").ok());
  REQUIRE(f.WaitApplied(1));
  CHECK(attempts >= 3);
  CHECK(f.SeenMarkers() == std::multiset<std::string>{"flaky"});
}

TEST_CASE("a batch applies all its events in one transaction or none of them") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  Fixture f(dialect);
  std::atomic<bool> refuse_b{true};
  // Consumer started on an empty log, so the loop has nothing to apply: the test drives ApplyAll.
  f.StartConsumer([&](db::Transaction&, const v1::Event& e) -> absl::Status {
    if (refuse_b && e.aggregate_id() == "b") return absl::UnavailableError("refused");
    return absl::OkStatus();
  });
  f.consumer->Stop();
  for (const char* m : {"a", "b", "c"}) REQUIRE(f.Produce(m).ok());
  REQUIRE(f.log.SequencePending().ok());  // number them now rather than wait for the sequencer
  auto read = f.log.Read(0, 10);
  REQUIRE(read.ok());
  REQUIRE(read->events.size() == 3);
  std::vector<const v1::Event*> batch;
  for (const auto& e : read->events) batch.push_back(&e);
  CHECK(f.consumer->ApplyAll(batch).code() == absl::StatusCode::kUnavailable);
  CHECK(f.SeenMarkers().empty());  // "a" rolled back with the failing "b"
  CHECK(f.consumer->Cursor().value() == 0);
  refuse_b = false;
  REQUIRE(f.consumer->ApplyAll(batch).ok());
  CHECK(f.SeenMarkers() == std::multiset<std::string>{"a", "b", "c"});
  CHECK(f.consumer->Cursor().value() == 3);
  CHECK(f.consumer->WaitApplied(3, absl::Seconds(1)));
  REQUIRE(f.consumer->ApplyAll(batch).ok());  // a replayed batch changes nothing
  CHECK(f.SeenMarkers().size() == 3);
}

TEST_CASE("StreamEvents rejects bad arguments naming the fields") {
  Fixture f(db::Dialect::kSqlite);
  auto stub = v1::EventLogService::NewStub(f.channel);
  grpc::ClientContext ctx;
  v1::StreamEventsRequest req;
  req.set_after_sequence(-1);
  req.set_max_batch_size(5000);
  auto reader = stub->StreamEvents(&ctx, req);
  v1::StreamEventsResponse resp;
  CHECK_FALSE(reader->Read(&resp));
  auto status = reader->Finish();
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "invalid field(s): after_sequence, max_batch_size");
}

}  // namespace
}  // namespace jiban::events
