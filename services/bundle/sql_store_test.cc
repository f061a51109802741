// The bundle service over its SQL storage on both drivers: an application stored with its form
// sealed (no plaintext in the database), racing retries of one request id making one application,
// fan-out and progress through the stored parts, pagination, catalogue versions kept.
#include "services/bundle/sql_store.h"

#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "libs/status/status.h"
#include "libs/testing/test_db.h"
#include "prometheus/registry.h"
#include "services/bundle/convert.h"
#include "services/bundle/test_support.h"

namespace jiban::bundle {
namespace {

using fixtures::Newborn;

crypto::Sealer TestSealer() {
  auto s = crypto::Sealer::FromSpec(crypto::Sealer::NewSpec());
  REQUIRE(s.ok());
  return *s;
}

struct Rig {
  explicit Rig(db::Dialect dialect)
      : tdb(testing::TestDatabase::Create(dialect, Migrations(dialect), {.pool_size = 8})),
        clock(absl::FromUnixSeconds(1795000000)),
        ids(clock),
        log(tdb->db(), clock, ids, metrics),
        sealer(TestSealer()),
        tx(tdb->db(), log, sealer),
        reader(tdb->db()),
        bundles(tx, reader, clock, ids, routing) {
    auto c = DefaultCatalogue();
    REQUIRE(c.ok());
    REQUIRE(bundles.LoadCatalogue(*c, "test").ok());
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
  crypto::Sealer sealer;
  SqlTransactor tx;
  SqlReader reader;
  fixtures::FakeRouting routing;
  Bundles bundles;
};

TEST_CASE("an application is stored with its form sealed and followed to completion",
          "[bundle][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  auto a = rig.bundles.Submit(Newborn(), {"k1", "", "window_clerk"});
  REQUIRE(a.ok());
  CHECK(rig.Count("SELECT COUNT(*) FROM bundle_applications WHERE pending = 3") == 1);
  // Neither the form's values nor the stored application carry personal data in the clear.
  auto rows = rig.tdb->db().Query("SELECT form_sealed FROM bundle_forms");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  CHECK(!absl::StrContains((*rows)[0].Text(0), "11010519491231002X"));
  CHECK(!absl::StrContains((*rows)[0].Text(0), "13800138000"));
  auto bodies = rig.tdb->db().Query("SELECT body FROM bundle_applications");
  REQUIRE(bodies.ok());
  CHECK(!absl::StrContains((*bodies)[0].Text(0), "13800138000"));

  auto sent = rig.bundles.DispatchPending(10);
  REQUIRE(sent.ok());
  CHECK(*sent == 3);
  CHECK(rig.Count("SELECT COUNT(*) FROM bundle_applications WHERE pending = 0") == 1);
  auto stored = rig.bundles.Get(a->tracking_number);
  REQUIRE(stored.ok());
  CHECK(stored->id == a->id);
  for (const Part& p : stored->parts) CHECK(p.state == PartState::kDispatched);

  for (const Part& p : stored->parts) {
    const OrderNews n{.item_id = ItemId(a->id, p.index),
                      .order_id = p.order_id,
                      .unit_id = p.unit_id,
                      .change = "replied",
                      .deadline = *p.deadline,
                      .at = rig.clock.Now()};
    REQUIRE(rig.tx.Run([&](Store& s) { return rig.bundles.OnOrder(s, n, {"evt", "", ""}); }).ok());
  }
  auto done = rig.bundles.Get(a->id);
  REQUIRE(done.ok());
  CHECK(done->state == ApplicationState::kCompleted);
  CHECK(done->complete_time == rig.clock.Now());
  auto form = rig.bundles.PartForm(a->id, 0, {"", "", "dept.public-security"});
  REQUIRE(form.ok());
  CHECK(form->at("guardian_id_number") == "11010519491231002X");
  CHECK(rig.Count("SELECT COUNT(*) FROM bundle_audit WHERE action = 'read_part_form:0'") == 1);
  // Submitted and completed, in the outbox.
  CHECK(rig.Count("SELECT COUNT(*) FROM jiban_events") == 2);
}

TEST_CASE("racing retries of one request id make one application", "[bundle][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<Application>> results(6, absl::UnknownError("not run"));
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&rig, &results, i] {
      results[i] = rig.bundles.Submit(Newborn(), {"same-key", "", ""});
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  for (const auto& r : results) {
    REQUIRE(r.ok());
    ids.insert(r->id);
  }
  CHECK(ids.size() == 1);
  CHECK(rig.Count("SELECT COUNT(*) FROM bundle_applications") == 1);
  CHECK(rig.Count("SELECT COUNT(*) FROM bundle_forms") == 1);
}

TEST_CASE("applications page newest first and catalogue versions are kept", "[bundle][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  for (int i = 0; i < 5; ++i) {
    rig.clock.Advance(absl::Seconds(1));
    REQUIRE(rig.bundles.Submit(Newborn(), {"k" + std::to_string(i), "", ""}).ok());
  }
  std::vector<std::string> seen;
  std::string token;
  do {
    auto page = rig.bundles.List({.bundle_id = "newborn"}, 2, token);
    REQUIRE(page.ok());
    for (const Application& a : page->applications) seen.push_back(a.id);
    token = page->next_page_token;
  } while (!token.empty());
  REQUIRE(seen.size() == 5);
  CHECK(std::is_sorted(seen.rbegin(), seen.rend()));
  auto none = rig.bundles.List({.state = ApplicationState::kCompleted}, 10, "");
  REQUIRE(none.ok());
  CHECK(none->applications.empty());

  auto c = rig.bundles.GetCatalogue(0);
  REQUIRE(c.ok());
  Catalogue next = **c;
  next.bundles[0].name = "企业开办一件事";
  auto v2 = rig.bundles.UpdateCatalogue(next, 1, "task_force");
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  CHECK(ReasonOf(rig.bundles.UpdateCatalogue(next, 1, "task_force").status()) ==
        "CATALOGUE_CHANGED");
  // A restarted service loading the old file stores it as version 3 (the file is the operator's
  // word); the stored versions stay readable.
  auto shipped = DefaultCatalogue();
  REQUIRE(shipped.ok());
  Bundles restarted(rig.tx, rig.reader, rig.clock, rig.ids, rig.routing);
  REQUIRE(restarted.LoadCatalogue(*shipped, "file").ok());
  auto now = restarted.GetCatalogue(0);
  REQUIRE(now.ok());
  CHECK((*now)->version == 3);
  auto old = restarted.GetCatalogue(2);
  REQUIRE(old.ok());
  CHECK((*old)->bundles[0].name == "企业开办一件事");
  REQUIRE(restarted.LoadCatalogue(*shipped, "file").ok());
  CHECK(rig.Count("SELECT COUNT(*) FROM bundle_catalogues") == 3);
}

TEST_CASE("the miner's requests and decisions keep what they need", "[bundle][sql]") {
  const auto dialect = GENERATE(from_range(testing::Drivers()));
  INFO(testing::DialectName(dialect));
  Rig rig(dialect);
  const std::string title = "魅力之城小区一楼夜宵摊油烟扰民，晚上无法开窗";
  for (int i = 0; i < 5; ++i) {
    const Signal sig{.id = "q" + std::to_string(i),
                     .time = rig.clock.Now() - absl::Hours(i + 1),
                     .place = "410202",
                     .place_key = "34.750,113.620",
                     .signature = RequestSignature(title, ""),
                     .label = SafeLabel(title)};
    REQUIRE(rig.tx.Run([&](Store& s) { return rig.bundles.OnRequest(s, sig); }).ok());
    REQUIRE(rig.tx.Run([&](Store& s) { return rig.bundles.OnRequest(s, sig); }).ok());  // replay
  }
  REQUIRE(rig.tx.Run([&](Store& s) { return rig.bundles.OnCategory(s, "q2", "环境保护"); }).ok());
  auto signals = rig.reader.Signals(rig.clock.Now() - absl::Hours(24), rig.clock.Now());
  REQUIRE(signals.ok());
  REQUIRE(signals->size() == 5);
  CHECK((*signals)[0].id == "q4");  // oldest first
  CHECK((*signals)[2].category == "环境保护");
  CHECK((*signals)[0].signature == RequestSignature(title, ""));

  auto spots = rig.bundles.HotSpots(7, 10);
  REQUIRE(spots.ok());
  REQUIRE(spots->size() == 2);  // the same text, and the same spot
  for (const auto& v : *spots) {
    auto d = rig.bundles.DecideHotSpot(v.spot.key, ActionKind::kProactiveTask, "已派单", 7,
                                       {"d-" + v.spot.key, "", "task_force"});
    REQUIRE(d.ok());
    rig.clock.Advance(absl::Minutes(1));
  }
  auto first = rig.bundles.Decisions(1, "");
  REQUIRE(first.ok());
  REQUIRE(first->decisions.size() == 1);
  CHECK(first->decisions[0].effect.before == 5);
  REQUIRE(!first->next_page_token.empty());
  auto second = rig.bundles.Decisions(1, first->next_page_token);
  REQUIRE(second.ok());
  REQUIRE(second->decisions.size() == 1);
  CHECK(second->next_page_token.empty());
  CHECK(second->decisions[0].decision.spot.key != first->decisions[0].decision.spot.key);
  CHECK(second->decisions[0].decision.spot.signature ==
        (second->decisions[0].decision.spot.kind == HotSpotKind::kSimilarText
             ? RequestSignature(title, "")
             : Signature()));
  CHECK(rig.Count("SELECT COUNT(*) FROM bundle_hotspot_decisions") == 2);
}

}  // namespace
}  // namespace jiban::bundle
