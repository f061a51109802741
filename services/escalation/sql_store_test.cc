// Escalation's SQL storage on both drivers: a dispatched order's timers fire into lights exactly
// once, also when a second scanner (a restarted or concurrent replica) scans the same instant;
// lights clear with their reason; queries and counts.
#include "services/escalation/sql_store.h"

#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "catch2/catch.hpp"
#include "libs/status/status.h"
#include "libs/testing/data.h"
#include "libs/testing/test_db.h"

namespace jiban::escalation {
namespace {

struct Rig {
  explicit Rig(db::Dialect dialect)
      : tdb(testing::TestDatabase::Create(dialect, Migrations(dialect), {.pool_size = 8})),
        ids(clock),
        log(tdb->db(), clock, ids, metrics),
        tx(tdb->db(), log),
        reader(tdb->db()),
        escalation(tx, reader, clock, ids) {}

  OrderUpdate Dispatched(const std::string& id) {
    const absl::Time now = clock.Now();
    return {.change = "dispatched",
            .order = {.order_id = id,
                      .request_id = "r-" + id,
                      .tracking_number = "JB1",
                      .unit_id = "dept.health",
                      .unit_name = "市卫生健康委员会",
                      .answerable = {"王志强", "副主任"},
                      .lead = true,
                      .dispatch_time = now,
                      .clock_start = now,
                      .sign_for_deadline = now + absl::Hours(4),
                      .deadline = now + absl::Hours(48)}};
  }

  void Apply(const OrderUpdate& u) {
    REQUIRE(tx.Run([&](Store& s) { return escalation.OnUpdate(s, u, {"evt", ""}); }).ok());
  }

  int64_t Count(const std::string& sql) {
    auto rows = tdb->db().Query(sql);
    REQUIRE(rows.ok());
    return (*rows)[0].Int(0);
  }

  std::unique_ptr<testing::TestDatabase> tdb;
  prometheus::Registry metrics;
  FakeClock clock;
  IdGenerator ids;
  events::EventLog log;
  SqlTransactor tx;
  SqlReader reader;
  Escalation escalation;
};

TEST_CASE("timers fire into lights once, even with two scanners", "[escalation][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  for (int i = 0; i < 20; ++i) {
    OrderUpdate u = rig.Dispatched("o" + std::to_string(100 + i));
    u.order.district_code = i < 5 ? "410204" : "410205";
    rig.Apply(u);
  }
  CHECK(rig.Count("SELECT COUNT(*) FROM escalation_timers") == 80);
  rig.clock.Advance(absl::Hours(5));  // both sign-for timers of every order are due
  // A second Escalation over the same database: a replica, or the same process after a restart.
  Escalation other(rig.tx, rig.reader, rig.clock, rig.ids);
  int a = 0, b = 0;
  std::thread t1([&] { a = rig.escalation.Tick(rig.clock.Now(), 7).value_or(-1000); });
  std::thread t2([&] { b = other.Tick(rig.clock.Now(), 7).value_or(-1000); });
  t1.join();
  t2.join();
  CHECK(a + b == 40);
  CHECK(rig.Count("SELECT COUNT(*) FROM escalation_lights") == 40);
  CHECK(rig.Count("SELECT COUNT(*) FROM escalation_timers") == 40);  // the handling timers
  CHECK(rig.escalation.Tick(rig.clock.Now()).value() == 0);
  CHECK(rig.Count("SELECT COUNT(*) FROM jiban_events") == 40);  // one LightRaised each

  auto counts = rig.escalation.Counts("dept.health", "");
  REQUIRE(counts.ok());
  REQUIRE(counts->size() == 2);
  CHECK((*counts)[0].active == 20);
  std::string next;
  auto page = rig.escalation.List({.unit_id = "dept.health", .cause = Cause::kSignForOverdue}, 15,
                                  "", &next);
  REQUIRE(page.ok());
  CHECK(page->size() == 15);
  CHECK_FALSE(next.empty());
  auto rest = rig.escalation.List({.unit_id = "dept.health", .cause = Cause::kSignForOverdue}, 15,
                                  next, &next);
  REQUIRE(rest.ok());
  CHECK(rest->size() == 5);
  CHECK(next.empty());
  // By district: the five orders from 鼓楼区 (410204), two lights each.
  auto district = rig.escalation.List({.district_code = "410204"}, 100, "", &next);
  REQUIRE(district.ok());
  CHECK(district->size() == 10);
  for (const Light& l : *district) CHECK(l.district_code == "410204");
  auto district_counts = rig.escalation.Counts("", "410204");
  REQUIRE(district_counts.ok());
  REQUIRE(district_counts->size() == 2);
  CHECK((*district_counts)[0].active == 5);
}

TEST_CASE("signing for clears the lights with the reason, recorded not deleted",
          "[escalation][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  OrderUpdate u = rig.Dispatched("o1");
  rig.Apply(u);
  rig.clock.Advance(absl::Hours(5));
  REQUIRE(rig.escalation.Tick(rig.clock.Now()).value() == 2);
  u.change = "signed_for";
  u.order.signed_for = true;
  rig.Apply(u);
  auto history = rig.escalation.OrderHistory("o1");
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  for (const Light& l : *history) {
    CHECK_FALSE(l.active);
    CHECK(l.clear_reason == "signed_for");
    CHECK(l.cleared.has_value());
    CHECK(l.answerable.name == "王志强");
  }
  CHECK(rig.escalation.OrderHistory("").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("the case log is a hash chain that shows an edited row", "[escalation][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  rig.Apply(rig.Dispatched("o1"));
  auto opened = rig.escalation.OpenCase("o1", CaseKind::kSupervise, "应办未办",
                                        "commission_officer", {"open-1", ""});
  REQUIRE(opened.ok());
  for (ActionKind a : {ActionKind::kReminder, ActionKind::kInterview, ActionKind::kRectified}) {
    REQUIRE(rig.escalation
                .Act(opened->id, a, "", "commission_officer",
                     {"act-" + std::to_string(static_cast<int>(a)), ""})
                .ok());
  }
  auto verified = rig.escalation.VerifyLog();
  REQUIRE(verified.ok());
  CHECK(verified->intact);
  CHECK(verified->entries == 4);
  auto got = rig.escalation.GetCase(opened->id);
  REQUIRE(got.ok());
  CHECK(got->first.state == CaseState::kRectified);
  REQUIRE(got->second.size() == 4);
  CHECK(got->second[1].previous_hash == got->second[0].hash);
  if (dialect == db::Dialect::kSqlite) {
    // SQLite has no users: triggers keep the log append-only, even for the service itself.
    CHECK_FALSE(rig.tdb->db().Execute("UPDATE escalation_case_log SET note = 'x'").ok());
    CHECK_FALSE(rig.tdb->db().Execute("DELETE FROM escalation_case_log").ok());
  } else {
    // The head as the service logged it (an anchor kept off the machine).
    const Anchor anchor{.sequence = 4, .hash = got->second[3].hash};
    verified = rig.escalation.VerifyLog(anchor);
    REQUIRE(verified.ok());
    CHECK(verified->anchor_matches);
    // An administrator (not the service's user: see the next test) edits entry 2.
    REQUIRE(rig.tdb->db().Execute("UPDATE escalation_case_log SET note = 'x' WHERE seq = 2").ok());
    verified = rig.escalation.VerifyLog();
    REQUIRE(verified.ok());
    CHECK_FALSE(verified->intact);
    CHECK(verified->first_broken == 2);
    // ... and rebuilds every later link: the chain is whole again, but not the anchored one.
    auto entries = rig.escalation.GetCase(opened->id);
    REQUIRE(entries.ok());
    std::string previous = entries->second[0].hash;
    for (size_t i = 1; i < entries->second.size(); ++i) {
      CaseAction a = entries->second[i];
      a.previous_hash = previous;
      a.hash = ChainHash(a);
      previous = a.hash;
      REQUIRE(
          rig.tdb->db()
              .Execute("UPDATE escalation_case_log SET previous_hash = ?, hash = ? WHERE seq = ?",
                       {a.previous_hash, a.hash, a.sequence})
              .ok());
    }
    verified = rig.escalation.VerifyLog(anchor);
    REQUIRE(verified.ok());
    CHECK(verified->intact);
    CHECK_FALSE(verified->anchor_matches);
  }
  CHECK(ReasonOf(ParseAnchor("4:abc").status()) == "INVALID_REQUEST");
  CHECK(ParseAnchor("4:" + std::string(64, 'a')).ok());
}

// Runs `act(thread, i)` for 50 threads x 100 times at once; returns how many returned OK.
int Hammer(const std::function<absl::Status(int, int)>& act) {
  constexpr int kThreads = 50, kEach = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (act(t, i).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  return ok.load();
}

TEST_CASE("50 officers x 100 reminders on one case at once: each logged once, the chain whole",
          "[escalation][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  rig.Apply(rig.Dispatched("o1"));
  auto opened = rig.escalation.OpenCase("o1", CaseKind::kSupervise, "应办未办",
                                        "commission_officer", {"open-1", ""});
  REQUIRE(opened.ok());
  const int done = Hammer([&](int t, int i) {
    return rig.escalation
        .Act(opened->id, ActionKind::kReminder, "", "commission_officer",
             {absl::StrCat("remind-", t, "-", i), ""})
        .status();
  });
  CHECK(done == 5000);
  CHECK(rig.Count("SELECT COUNT(*) FROM escalation_case_log") == 5001);
  CHECK(rig.Count("SELECT MAX(seq) - MIN(seq) + 1 FROM escalation_case_log") == 5001);
  auto verified = rig.escalation.VerifyLog();
  REQUIRE(verified.ok());
  CHECK(verified->intact);
  CHECK(verified->entries == 5001);

  // The negative control: the same hammer on a counter kept by a plain read, then a write,
  // loses updates on MySQL — so the check above would catch a missing lock. (SQLite holds its
  // write lock for the whole transaction: nothing to lose there.)
  if (dialect == db::Dialect::kMySql) {
    auto& db = rig.tdb->db();
    REQUIRE(db.Execute("CREATE TABLE naive_counter (id INT PRIMARY KEY, n INT NOT NULL)").ok());
    REQUIRE(db.Execute("INSERT INTO naive_counter VALUES (1, 0)").ok());
    const int naive = Hammer([&](int, int) {
      return db.Transact([](db::Transaction& tx) -> absl::Status {
        auto row = tx.QueryOne("SELECT n FROM naive_counter WHERE id = 1");  // no FOR UPDATE
        if (!row.ok()) return row.status();
        return tx.Execute("UPDATE naive_counter SET n = ? WHERE id = 1", {(*row)->Int(0) + 1})
            .status();
      });
    });
    CHECK(naive == 5000);
    CHECK(rig.Count("SELECT n FROM naive_counter WHERE id = 1") < 5000);
  }
}

TEST_CASE("an officer lists the open cases that are theirs", "[escalation][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  for (const char* id : {"o1", "o2", "o3"}) {
    OrderUpdate u = rig.Dispatched(id);
    u.order.district_code = id == std::string("o1") ? "410204" : "410205";
    rig.Apply(u);
  }
  auto mine = rig.escalation.OpenCase("o1", CaseKind::kPush, "推动办", "commission_officer",
                                      {"open-o1", "", "officer-7"});
  REQUIRE(mine.ok());
  CHECK(mine->officer == "officer-7");
  auto theirs = rig.escalation.OpenCase("o2", CaseKind::kPush, "推动办", "commission_officer",
                                        {"open-o2", "", "officer-9"});
  REQUIRE(theirs.ok());
  // A case nobody has taken up yet becomes the officer's when they act on it.
  auto unowned = rig.escalation.OpenCase("o3", CaseKind::kPush, "推动办", "commission_officer",
                                         {"open-o3", "", ""});
  REQUIRE(unowned.ok());
  CHECK(unowned->officer.empty());
  REQUIRE(rig.escalation
              .Act(unowned->id, ActionKind::kReminder, "催办", "commission_officer",
                   {"act-o3", "", "officer-7"})
              .ok());
  auto list = [&](bool open_only) {
    std::string next;
    auto cases =
        rig.escalation.ListCases({.officer = "officer-7", .open_only = open_only}, 0, "", &next);
    REQUIRE(cases.ok());
    std::set<std::string> ids;
    for (const Case& c : *cases) ids.insert(c.id);
    return ids;
  };
  CHECK(list(true) == std::set<std::string>{mine->id, unowned->id});
  for (auto [a, key] :
       {std::pair{ActionKind::kRectified, "r"}, {ActionKind::kVerifiedClosed, "c"}}) {
    REQUIRE(rig.escalation.Act(mine->id, a, "", "commission_officer", {key, "", "officer-7"}).ok());
  }
  CHECK(list(true) == std::set<std::string>{unowned->id});
  CHECK(list(false) == std::set<std::string>{mine->id, unowned->id});
  std::string next;
  auto district = rig.escalation.ListCases({.district_code = "410204"}, 0, "", &next);
  REQUIRE(district.ok());
  REQUIRE(district->size() == 1);
  CHECK((*district)[0].id == mine->id);
}

TEST_CASE("with the shipped grants the service works but cannot edit its case log",
          "[escalation][sql]") {
  if (testing::Drivers().size() < 2) return;  // MySQL only (SQLite: the triggers above)
  Rig rig(db::Dialect::kMySql);
  const std::string dsn = rig.tdb->dsn();  // mysql://root@host:port/t_...
  const std::string database = dsn.substr(dsn.rfind('/') + 1);
  const std::string user = "esc_" + database.substr(database.size() - 8);
  auto lease = rig.tdb->db().Acquire();
  REQUIRE(lease.ok());
  REQUIRE((*lease)->ExecuteRaw("CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw'").ok());
  std::string grants = testing::ReadTestFile("deploy/sql/escalation-grants.sql");
  for (const std::string& statement : db::SplitStatements(grants)) {
    std::string sql = absl::StrReplaceAll(statement, {{"`escalation`", "`" + database + "`"},
                                                      {"'escalation_app'", "'" + user + "'"}});
    INFO(sql);
    REQUIRE((*lease)->ExecuteRaw(sql).ok());
  }
  const size_t at = dsn.find('@') + 1;
  const std::string app_dsn =
      absl::StrCat("mysql://", user, ":pw@", dsn.substr(at, dsn.rfind('/') - at), "/", database);
  auto app_db = db::Database::Open(app_dsn, {.pool_size = 4});
  INFO(app_db.status());
  REQUIRE(app_db.ok());
  prometheus::Registry metrics;
  events::EventLog log(**app_db, rig.clock, rig.ids, metrics);
  SqlTransactor tx(**app_db, log);
  SqlReader reader(**app_db);
  Escalation as_app(tx, reader, rig.clock, rig.ids);
  REQUIRE(tx.Run([&](Store& s) {
              return as_app.OnUpdate(s, rig.Dispatched("o9"), {"e", ""});
            }).ok());
  auto opened = as_app.OpenCase("o9", CaseKind::kDoNow, "", "commission_officer", {"k", ""});
  REQUIRE(opened.ok());
  REQUIRE(as_app.Act(opened->id, ActionKind::kReminder, "", "commission_officer", {"k2", ""}).ok());
  CHECK((*app_db)->Execute("SELECT COUNT(*) FROM escalation_case_log").ok());
  CHECK_FALSE((*app_db)->Execute("UPDATE escalation_case_log SET note = 'x'").ok());
  CHECK_FALSE((*app_db)->Execute("DELETE FROM escalation_case_log").ok());
  auto verified = as_app.VerifyLog();
  INFO(verified.status());
  REQUIRE(verified.ok());
  CHECK(verified->intact);
  REQUIRE((*lease)->ExecuteRaw("DROP USER '" + user + "'@'%'").ok());
}

}  // namespace
}  // namespace jiban::escalation
