// The database layer against real engines: SQLite always, MariaDB when the test script runs one.
#include "libs/db/db.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "libs/db/migrate.h"
#include "libs/db/sequence.h"
#include "libs/status/status.h"
#include "libs/testing/test_db.h"

namespace jiban::db {
namespace {

using testing::TestDatabase;

MigrationSet Counters(Dialect d) {
  MigrationSet set{"dbtest", {}};
  const std::string blob = d == Dialect::kMySql ? "VARBINARY(64)" : "BLOB";
  set.migrations.push_back(
      {1, "0001_things",
       "CREATE TABLE things (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE,\n"
       "  weight DOUBLE, data " +
           blob + ", note VARCHAR(100));\n"});
  set.migrations.push_back(
      {2, "0002_counters",
       "CREATE TABLE counters (id INTEGER PRIMARY KEY, value BIGINT NOT NULL,\n"
       "  version BIGINT NOT NULL);\n"
       "INSERT INTO counters (id, value, version) VALUES (1, 0, 0);\n"});
  return set;
}

TEST_CASE("typed rows and bound parameters round-trip") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  auto t = TestDatabase::Create(dialect, {Counters(dialect)});
  auto& db = t->db();
  const std::string bytes("\x00\x01\xff\x7f", 4);
  REQUIRE(db.Execute("INSERT INTO things (id, name, weight, data, note) VALUES (?, ?, ?, ?, ?)",
                     {1, "张三·测试 '; DROP TABLE things; --", 2.5, Blob{bytes}, std::nullopt})
              .value() == 1);
  auto rows = db.Query("SELECT id, name, weight, data, note FROM things WHERE id = ?", {1});
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  const Row& r = rows->front();
  CHECK(r.Int(0) == 1);
  CHECK(r.Text(1) == "张三·测试 '; DROP TABLE things; --");
  CHECK(r.Double(2) == 2.5);
  CHECK(r.Text(3) == bytes);
  CHECK(r.IsNull(4));
  CHECK_FALSE(r.OptionalText(4).has_value());
  CHECK(db.Query("SELECT COUNT(*) FROM things WHERE name = ?", {"nobody"})->front().Int(0) == 0);
}

TEST_CASE("duplicate keys become ALREADY_EXISTS without echoing the value") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  auto t = TestDatabase::Create(dialect, {Counters(dialect)});
  REQUIRE(t->db().Execute("INSERT INTO things (id, name) VALUES (1, ?)", {"13800138000"}).ok());
  auto dup = t->db().Execute("INSERT INTO things (id, name) VALUES (2, ?)", {"13800138000"});
  CHECK(dup.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(dup.status()) == "DB_DUPLICATE_KEY");
  CHECK(std::string(dup.status().message()).find("13800138000") == std::string::npos);
  auto bad = t->db().Query("SELECT no_such_column FROM things");
  CHECK(bad.status().code() == absl::StatusCode::kInternal);
}

TEST_CASE("a transaction rolls back unless committed") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  auto t = TestDatabase::Create(dialect, {Counters(dialect)});
  auto& db = t->db();
  bool committed_hook = false;
  {
    auto tx = db.Begin();
    REQUIRE(tx.ok());
    REQUIRE(tx->Execute("INSERT INTO things (id, name) VALUES (1, 'a')").ok());
    tx->OnCommit([&] { committed_hook = true; });
  }  // dropped: rolled back
  CHECK_FALSE(committed_hook);
  CHECK(db.Query("SELECT COUNT(*) FROM things")->front().Int(0) == 0);
  {
    auto tx = db.Begin();
    REQUIRE(tx->Execute("INSERT INTO things (id, name) VALUES (2, 'b')").ok());
    tx->OnCommit([&] { committed_hook = true; });
    REQUIRE(tx->Commit().ok());
    CHECK(tx->Commit().code() == absl::StatusCode::kFailedPrecondition);
  }
  CHECK(committed_hook);
  CHECK(db.Query("SELECT name FROM things")->front().Text(0) == "b");
  // Transact: a failing body leaves nothing behind.
  auto s = db.Transact([](Transaction& tx) -> absl::Status {
    if (auto r = tx.Execute("INSERT INTO things (id, name) VALUES (3, 'c')"); !r.ok()) {
      return r.status();
    }
    return absl::InvalidArgumentError("changed my mind");
  });
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(db.Query("SELECT COUNT(*) FROM things")->front().Int(0) == 1);
}

TEST_CASE("migrations are forward-only, checksummed and refuse a newer database") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  auto t = TestDatabase::Create(dialect, {Counters(dialect)});
  auto& db = t->db();
  CHECK(Migrate(db, {Counters(dialect)}).ok());  // idempotent
  CHECK(Migrate(db, {Counters(dialect)}, MigrateMode::kCheckOnly).ok());

  MigrationSet older = Counters(dialect);
  older.migrations.pop_back();
  auto too_new = Migrate(db, {older});
  CHECK(too_new.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOf(too_new) == "SCHEMA_TOO_NEW");

  MigrationSet edited = Counters(dialect);
  edited.migrations[0].sql += "-- sneaky edit\n";
  CHECK(ReasonOf(Migrate(db, {edited})) == "MIGRATION_EDITED");

  MigrationSet newer = Counters(dialect);
  newer.migrations.push_back(
      {3, "0003_more", "CREATE TABLE more_things (id INTEGER PRIMARY KEY);\n"});
  CHECK(ReasonOf(Migrate(db, {newer}, MigrateMode::kCheckOnly)) == "SCHEMA_OUT_OF_DATE");
  CHECK(Migrate(db, {newer}).ok());
  CHECK(db.Query("SELECT COUNT(*) FROM more_things")->front().Int(0) == 0);
}

TEST_CASE("checking a database nothing was applied to says so and creates nothing") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  auto t = TestDatabase::Create(dialect, {});
  auto& db = t->db();
  const absl::Status check = Migrate(db, {Counters(dialect)}, MigrateMode::kCheckOnly);
  CHECK(ReasonOf(check) == "SCHEMA_OUT_OF_DATE");
  CHECK(check.message().find("migrate") != std::string::npos);
  CHECK_FALSE(db.Query("SELECT COUNT(*) FROM jiban_schema_migrations").ok());
  CHECK(Migrate(db, {Counters(dialect)}).ok());
  CHECK(Migrate(db, {Counters(dialect)}, MigrateMode::kCheckOnly).ok());
}

TEST_CASE("statement splitting and checksums") {
  auto stmts =
      SplitStatements("-- comment\nCREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);\nSELECT 1");
  REQUIRE(stmts.size() == 3);
  CHECK(stmts[0] == "CREATE TABLE a (x INT)");
  CHECK(stmts[2] == "SELECT 1");
}

// The locking read makes a concurrent read-modify-write exact.
TEST_CASE("read-modify-write with a locking read loses no update") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  auto t = TestDatabase::Create(dialect, {Counters(dialect)}, {.pool_size = 8});
  auto& db = t->db();
  constexpr int kThreads = 8, kIncrements = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kIncrements; ++j) {
        auto s = db.Transact([](Transaction& tx) -> absl::Status {
          auto row = tx.QueryOne(std::string("SELECT value FROM counters WHERE id = 1") +
                                 std::string(tx.ForUpdate()));
          if (!row.ok()) return row.status();
          return tx.Execute("UPDATE counters SET value = ? WHERE id = 1", {(*row)->Int(0) + 1})
              .status();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(db.Query("SELECT value FROM counters WHERE id = 1")->front().Int(0) ==
        kThreads * kIncrements);
}

// The version column makes it exact too: a stale write matches no row and the transaction retries.
TEST_CASE("read-modify-write with a version column loses no update") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  auto t = TestDatabase::Create(dialect, {Counters(dialect)}, {.pool_size = 8});
  auto& db = t->db();
  constexpr int kThreads = 8, kIncrements = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kIncrements; ++j) {
        auto s = db.Transact(
            [](Transaction& tx) -> absl::Status {
              auto row = tx.QueryOne("SELECT value, version FROM counters WHERE id = 1");
              if (!row.ok()) return row.status();
              auto n = tx.Execute(
                  "UPDATE counters SET value = ?, version = version + 1 "
                  "WHERE id = 1 AND version = ?",
                  {(*row)->Int(0) + 1, (*row)->Int(1)});
              if (!n.ok()) return n.status();
              return ExpectOneRow(*n, "counter");
            },
            /*max_attempts=*/1000);
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  auto row = db.Query("SELECT value, version FROM counters WHERE id = 1")->front();
  CHECK(row.Int(0) == kThreads * kIncrements);
  CHECK(row.Int(1) == kThreads * kIncrements);
}

// Negative control: the same read-modify-write with a plain read, interleaved deterministically
// on two connections, loses an update on MySQL's REPEATABLE READ. This proves the tests above
// would catch the bug.
TEST_CASE("negative control: a plain read-then-write loses an update on MySQL") {
  if (testing::Drivers().size() < 2) return;  // needs the MySQL driver
  auto t = TestDatabase::Create(Dialect::kMySql, {Counters(Dialect::kMySql)});
  auto& db = t->db();
  auto a = db.Begin();
  auto b = db.Begin();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const int64_t read_a = (*a->QueryOne("SELECT value FROM counters WHERE id = 1"))->Int(0);
  const int64_t read_b = (*b->QueryOne("SELECT value FROM counters WHERE id = 1"))->Int(0);
  REQUIRE(b->Execute("UPDATE counters SET value = ? WHERE id = 1", {read_b + 1}).ok());
  REQUIRE(b->Commit().ok());
  REQUIRE(a->Execute("UPDATE counters SET value = ? WHERE id = 1", {read_a + 1}).ok());
  REQUIRE(a->Commit().ok());
  CHECK(db.Query("SELECT value FROM counters WHERE id = 1")->front().Int(0) == 1);  // not 2
}

TEST_CASE("a deadlock becomes ABORTED on MySQL") {
  if (testing::Drivers().size() < 2) return;
  auto t = TestDatabase::Create(Dialect::kMySql, {Counters(Dialect::kMySql)});
  auto& db = t->db();
  REQUIRE(db.Execute("INSERT INTO counters (id, value, version) VALUES (2, 0, 0)").ok());
  absl::Notification a_locked, b_locked;
  absl::Status a_status, b_status;
  std::thread other([&] {
    auto tx = db.Begin();
    a_status = tx.status();
    if (!tx.ok()) return;
    (void)tx->Execute("UPDATE counters SET value = 1 WHERE id = 1");
    a_locked.Notify();
    b_locked.WaitForNotification();
    a_status = tx->Execute("UPDATE counters SET value = 1 WHERE id = 2").status();
    if (a_status.ok()) a_status = tx->Commit();
  });
  {
    auto tx = db.Begin();
    REQUIRE(tx.ok());
    a_locked.WaitForNotification();
    REQUIRE(tx->Execute("UPDATE counters SET value = 2 WHERE id = 2").ok());
    b_locked.Notify();
    b_status = tx->Execute("UPDATE counters SET value = 2 WHERE id = 1").status();
    if (b_status.ok()) b_status = tx->Commit();
  }
  other.join();
  const bool a_aborted = a_status.code() == absl::StatusCode::kAborted;
  const bool b_aborted = b_status.code() == absl::StatusCode::kAborted;
  CHECK(a_aborted != b_aborted);  // exactly one victim
  CHECK((a_aborted ? a_status : b_status).message().find("1213") != std::string::npos);
}

TEST_CASE("an unreachable server is UNAVAILABLE and a drained pool says so") {
  auto refused = Database::Open("mysql://root@127.0.0.1:1/nothing");
  CHECK(refused.status().code() == absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(refused.status()) == "DB_UNAVAILABLE");
  CHECK(Database::Open("postgres://x").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Database::Open("mysql://root@127.0.0.1:3306/bad-name").status().code() ==
        absl::StatusCode::kInvalidArgument);

  auto t = TestDatabase::Create(Dialect::kSqlite, {},
                                {.pool_size = 1, .acquire_timeout = absl::Milliseconds(20)});
  auto held = t->db().Acquire();
  REQUIRE(held.ok());
  auto second = t->db().Acquire();
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
  CHECK(ReasonOf(second.status()) == "DB_POOL_EXHAUSTED");
}

}  // namespace
}  // namespace jiban::db

namespace jiban::db {
namespace {

TEST_CASE("block sequences hand out unique numbers across pools and threads") {
  auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO("driver " << testing::DialectName(dialect));
  auto t = TestDatabase::Create(dialect, {PlatformMigrations(dialect)}, {.pool_size = 8});
  auto other = t->OpenAnother();  // a second replica
  BlockSequence a(t->db(), "tracking", 7), b(*other, "tracking", 7);
  std::vector<std::vector<int64_t>> got(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 50; ++j) {
        auto n = (i % 2 == 0 ? a : b).Next();
        if (n.ok()) got[i].push_back(*n);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  size_t total = 0;
  for (const auto& g : got) {
    total += g.size();
    all.insert(g.begin(), g.end());
    CHECK(std::is_sorted(g.begin(), g.end()));
  }
  CHECK(total == 200);
  CHECK(all.size() == 200);
  CHECK(*all.begin() == 1);
}

}  // namespace
}  // namespace jiban::db
