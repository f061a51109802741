// Routing's SQL storage on both drivers (a real MariaDB when JIBAN_TEST_MYSQL_DSN is set, and
// SQLite): dispatch from an intake event with its outbox event, concurrent sign-fors of which
// exactly one wins, keyset pages, dispatch-list versions and the audit trail.
#include "services/routing/sql_store.h"

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "libs/status/status.h"
#include "libs/testing/data.h"
#include "libs/testing/test_db.h"
#include "services/routing/convert.h"

namespace jiban::routing {
namespace {

struct Rig {
  explicit Rig(db::Dialect dialect)
      : tdb(testing::TestDatabase::Create(dialect, Migrations(dialect), {.pool_size = 16})),
        ids(clock),
        log(tdb->db(), clock, ids, metrics),
        tx(tdb->db(), log),
        reader(tdb->db()),
        config(tdb->db(), ids, clock) {
    auto cal = calendar::WorkCalendar::FromYearFiles(
        {testing::ReadTestFile("services/routing/defaults/calendar-2026.json")});
    REQUIRE(cal.ok());
    routing = std::make_unique<Routing>(tx, reader, config, clock, ids,
                                        std::make_shared<const calendar::WorkCalendar>(*cal));
    auto units = ParseUnitDirectory(testing::ReadTestFile("services/routing/defaults/units.json"));
    auto list =
        ParseDispatchList(testing::ReadTestFile("services/routing/defaults/dispatch_list.json"));
    REQUIRE(units.ok());
    REQUIRE(list.ok());
    REQUIRE(routing->LoadConfiguration(*units, *list, "test").ok());
  }

  std::vector<WorkOrder> Submit(const std::string& id, Nature nature, const std::string& text) {
    RequestFacts f{.id = id,
                   .tracking_number = "JB2026030200000001",
                   .nature = nature,
                   .text = text,
                   .district_code = "410202",
                   .create_time = clock.Now()};
    REQUIRE(tx.Run([&](Store& s) { return routing->OnSubmitted(s, f, {"evt-" + id, ""}); }).ok());
    auto page = routing->List({.request_id = id}, 100, "");
    REQUIRE(page.ok());
    return page->orders;
  }

  int64_t Count(const std::string& sql) {
    auto rows = tdb->db().Query(sql);
    REQUIRE(rows.ok());
    return (*rows)[0].Int(0);
  }

  std::unique_ptr<testing::TestDatabase> tdb;
  prometheus::Registry metrics;
  SystemClock clock;
  IdGenerator ids;
  events::EventLog log;
  SqlTransactor tx;
  SqlReader reader;
  ConfigStore config;
  std::unique_ptr<Routing> routing;
};

TEST_CASE("an intake event becomes a stored order and an outbox event, once", "[routing][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  auto orders = rig.Submit("r1", Nature::kCouldNotGetDone, "没办成");
  REQUIRE(orders.size() == 1);
  auto got = rig.routing->Get(orders[0].id);
  REQUIRE(got.ok());
  CHECK(got->unit_id == "window.could-not-get-done");
  CHECK(got->deadline == orders[0].deadline);
  CHECK(got->answerable.name == orders[0].answerable.name);
  // A replayed event does nothing.
  CHECK(rig.Submit("r1", Nature::kCouldNotGetDone, "没办成").size() == 1);
  CHECK(rig.Count("SELECT COUNT(*) FROM routing_orders") == 1);
  CHECK(rig.Count("SELECT COUNT(*) FROM jiban_events") == 1);
}

TEST_CASE("of eight concurrent sign-fors exactly one wins", "[routing][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  auto orders = rig.Submit("r1", Nature::kCouldNotGetDone, "没办成");
  REQUIRE(orders.size() == 1);
  std::atomic<int> won{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = rig.routing->SignFor(orders[0].id, {absl::StrCat("sign-", i), ""});
      if (r.ok()) {
        ++won;
      } else if (ReasonOf(r.status()) == "ORDER_NOT_DISPATCHED") {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(won == 1);
  CHECK(refused == 7);
  CHECK(other == 0);
  auto got = rig.routing->Get(orders[0].id);
  REQUIRE(got.ok());
  CHECK(got->version == 2);
  CHECK(rig.Count("SELECT COUNT(*) FROM jiban_events") == 2);  // dispatched, signed_for
}

TEST_CASE("orders page newest first and triage pages oldest first", "[routing][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  for (int i = 0; i < 5; ++i) rig.Submit(absl::StrCat("d", i), Nature::kCouldNotGetDone, "没办成");
  std::vector<std::string> waiting;  // intake's ids are ULIDs: oldest first is id order
  for (int i = 0; i < 3; ++i) {
    waiting.push_back(rig.ids.Next());
    rig.Submit(waiting.back(), Nature::kComplaint, "无法归类");
  }
  std::vector<std::string> seen;
  std::string token;
  do {
    auto page = rig.routing->List({.unit_id = "window.could-not-get-done"}, 2, token);
    REQUIRE(page.ok());
    for (const auto& o : page->orders) seen.push_back(o.id);
    token = page->next_page_token;
  } while (!token.empty());
  REQUIRE(seen.size() == 5);
  CHECK(std::is_sorted(seen.rbegin(), seen.rend()));
  auto triage = rig.routing->ListTriage(2, "");
  REQUIRE(triage.ok());
  REQUIRE(triage->items.size() == 2);
  CHECK(triage->items[0].facts.id == waiting[0]);
  auto rest = rig.routing->ListTriage(2, triage->next_page_token);
  REQUIRE(rest.ok());
  REQUIRE(rest->items.size() == 1);
  CHECK(rest->items[0].facts.id == waiting[2]);
  CHECK(rig.routing->List({}, 2, "garbage").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("dispatch lists are versioned and every edit is audited", "[routing][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  const int64_t audits = rig.Count("SELECT COUNT(*) FROM routing_audit");
  CHECK(audits == 32);  // 31 units and the first list
  DispatchList list = *rig.routing->dispatch_list();
  CHECK(list.version == 1);
  list.rules.pop_back();
  auto v2 = rig.routing->UpdateDispatchList(list, 1, "admin");
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  auto stale = rig.routing->UpdateDispatchList(list, 1, "admin");
  CHECK(ReasonOf(stale.status()) == "DISPATCH_LIST_CHANGED");
  // The same rules again store nothing new.
  CHECK(rig.routing->UpdateDispatchList(list, 2, "admin")->version == 2);
  auto v1 = rig.routing->GetDispatchList(1);
  REQUIRE(v1.ok());
  CHECK(v1->rules.size() == list.rules.size() + 1);
  Unit u = *rig.routing->directory()->Find("dept.health");
  u.answerable = {"新负责人", "局长"};
  REQUIRE(rig.routing->UpsertUnit(u, "admin").ok());
  CHECK(rig.Count("SELECT COUNT(*) FROM routing_audit") == audits + 2);
  auto units = rig.config.Units();
  REQUIRE(units.ok());
  CHECK(std::any_of(units->begin(), units->end(), [](const Unit& x) {
    return x.id == "dept.health" && x.answerable.name == "新负责人";
  }));
}

}  // namespace
}  // namespace jiban::routing
