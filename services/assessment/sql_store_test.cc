// Assessment over its SQL storage on both drivers: the database's facts score exactly as a replay
// in memory; scheme versions by effective date; publishing freezes a period until a recompute;
// exclusions and appeals move the rates and are reversible and audited; explanations, rankings
// and the CSV report.
#include "services/assessment/sql_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "catch2/catch.hpp"
#include "libs/status/status.h"
#include "libs/testing/test_db.h"
#include "services/assessment/test_support.h"

namespace jiban::assessment {
namespace {

using fixtures::At;

struct Rig {
  explicit Rig(db::Dialect dialect)
      : tdb(jiban::testing::TestDatabase::Create(dialect, Migrations(dialect), {.pool_size = 4})),
        clock(At(12, 2)),
        ids(clock),
        tx(tdb->db()),
        reader(tdb->db()),
        // Small pages: every scoring below reads a unit's facts in many pages.
        assessment(tx, reader, clock, ids, kPage) {
    REQUIRE(assessment.Bootstrap(fixtures::Shipped()).ok());
  }

  void Load(const fixtures::Streams& s) {
    for (const auto* stream : {&s.routing, &s.intake, &s.escalation}) {
      for (const Incoming& in : *stream) {
        REQUIRE(tx.Run([&](Store& store) { return Apply(store, in); }).ok());
      }
    }
  }

  int64_t Count(const std::string& sql) {
    auto rows = tdb->db().Query(sql);
    REQUIRE(rows.ok());
    return (*rows)[0].Int(0);
  }

  static constexpr int kPage = 7;
  std::unique_ptr<jiban::testing::TestDatabase> tdb;
  FakeClock clock;
  IdGenerator ids;
  SqlTransactor tx;
  SqlReader reader;
  Assessment assessment;
};

CallContext Call(const std::string& request_id = "", const std::string& actor = "task_force") {
  return {.request_id = request_id, .actor = actor};
}

TEST_CASE("the database's facts score exactly as a replay of the same events in memory",
          "[assessment][sql]") {
  const auto dialect = GENERATE(from_range(jiban::testing::Drivers()));
  INFO(jiban::testing::DialectName(dialect));
  Rig rig(dialect);
  const fixtures::Streams s = fixtures::Generate(300, 11);
  rig.Load(s);
  // A redelivered event changes nothing.
  REQUIRE(rig.tx.Run([&](Store& store) { return Apply(store, s.escalation.front()); }).ok());
  MemoryFacts memory;
  for (const auto* stream : {&s.escalation, &s.intake, &s.routing}) {
    for (const Incoming& in : *stream) REQUIRE(Apply(memory, in).ok());
  }
  auto period = ParsePeriod("2026-11");
  REQUIRE(period.ok());
  auto units = rig.reader.UnitsWithFacts(period->start, period->end);
  REQUIRE(units.ok());
  const auto replayed = memory.Facts(period->start, period->end, "");
  REQUIRE(units->size() == 6);
  REQUIRE(replayed.size() == units->size());
  // What lost points, in id order (the database pages by dispatch time, memory holds by id).
  auto sorted = [](std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  for (size_t i = 0; i < replayed.size(); ++i) {
    // The database's facts in pages of Rig::kPage, scored as they come.
    Scorer paged(fixtures::Shipped(), *period, period->end, Against::All());
    int pages = 0;
    REQUIRE(rig.reader
                .UnitFactsInPages(period->start, period->end, (*units)[i], Rig::kPage,
                                  [&](const UnitFacts& page, bool first) {
                                    if (first) {
                                      paged.Start(page);
                                    } else {
                                      paged.Add(page);
                                      pages++;
                                      CHECK(page.orders.size() + page.lights.size() +
                                                page.cases.size() <=
                                            Rig::kPage);
                                    }
                                    return absl::OkStatus();
                                  })
                .ok());
    CHECK(pages > 3);
    const UnitScore a = paged.Finish();
    const UnitScore b = Score(fixtures::Shipped(), replayed[i], *period, period->end);
    CHECK(a.unit_id == b.unit_id);
    CHECK(a.unit_name == b.unit_name);
    CHECK(a.unit_class == b.unit_class);
    CHECK(a.orders == b.orders);
    CHECK(a.red_lights == b.red_lights);
    CHECK(a.total_centipoints == b.total_centipoints);
    for (size_t j = 0; j < a.sub_items.size(); ++j) {
      CHECK(a.sub_items[j].numerator == b.sub_items[j].numerator);
      CHECK(a.sub_items[j].denominator == b.sub_items[j].denominator);
      CHECK(a.sub_items[j].against_count == b.sub_items[j].against_count);
      CHECK(sorted(a.sub_items[j].against) == sorted(b.sub_items[j].against));
    }
    auto live = rig.assessment.UnitScoreFor(a.unit_id, "2026-11");
    REQUIRE(live.ok());
    CHECK(live->total_centipoints == a.total_centipoints);
  }
}

TEST_CASE("a rebuild forgets the facts and the cursors, and the replay scores the same",
          "[assessment][sql]") {
  const auto dialect = GENERATE(from_range(jiban::testing::Drivers()));
  INFO(jiban::testing::DialectName(dialect));
  Rig rig(dialect);
  const fixtures::Streams s = fixtures::Generate(150, 21);
  rig.Load(s);
  for (const char* consumer : kConsumers) {
    REQUIRE(rig.tdb->db()
                .Execute("INSERT INTO jiban_consumer_cursors (consumer, last_sequence,"
                         " updated_at_ms) VALUES (?, 42, 0)",
                         {consumer})
                .ok());
  }
  REQUIRE(rig.assessment.Publish("2026-11", false, Call()).ok());
  auto before = rig.assessment.RankClass("2026-11", UnitClass::kDistrict, 0);
  REQUIRE(before.ok());
  REQUIRE(ForgetFacts(rig.tdb->db()).ok());
  for (const char* table : {"assessment_orders", "assessment_evaluations", "assessment_lights",
                            "assessment_cases", "jiban_consumer_cursors"}) {
    CHECK(rig.Count(std::string("SELECT COUNT(*) FROM ") + table) == 0);
  }
  // The published period is kept; the live facts come back from the replay.
  CHECK(rig.Count("SELECT COUNT(*) FROM assessment_scores") == 6);
  rig.Load(s);
  REQUIRE(rig.assessment.Publish("2026-11", true, Call()).ok());
  auto after = rig.assessment.RankClass("2026-11", UnitClass::kDistrict, 0);
  REQUIRE(after.ok());
  REQUIRE(after->all.size() == before->all.size());
  for (size_t i = 0; i < after->all.size(); ++i) {
    CHECK(after->all[i].score.unit_id == before->all[i].score.unit_id);
    CHECK(after->all[i].score.total_centipoints == before->all[i].score.total_centipoints);
  }
}

TEST_CASE("scheme versions apply by effective date and a published period stays until recomputed",
          "[assessment][sql]") {
  const auto dialect = GENERATE(from_range(jiban::testing::Drivers()));
  INFO(jiban::testing::DialectName(dialect));
  Rig rig(dialect);
  rig.Load(fixtures::Generate(120, 5));
  auto before = rig.assessment.UnitScoreFor("u0", "2026-11");
  REQUIRE(before.ok());
  CHECK(before->scheme_version == 1);
  CHECK_FALSE(before->published);

  // Version 2 moves 5 points from satisfaction to proactive work, which nobody has done yet.
  Scheme strict = fixtures::Shipped();
  for (SubItem& i : strict.sub_items) {
    if (i.id == "satisfaction_rate") i.points -= 5;
    if (i.id == "proactive_work") i.points += 5;
  }
  for (ContentWeight& c : strict.contents) {
    if (c.content == Content::kPerformance) c.points -= 5;
    if (c.content == Content::kYearEnd) c.points += 5;
  }
  strict.effective_from = absl::CivilDay(2026, 11, 1);
  CHECK(ReasonOf(rig.assessment.UpdateScheme(strict, 0, Call()).status()) ==
        "SCHEME_VERSION_MISMATCH");
  Scheme bad = strict;
  bad.sub_items[0].points = -1;
  CHECK(FieldViolationsOf(rig.assessment.UpdateScheme(bad, 1, Call()).status()).size() >= 1);

  CHECK(ReasonOf(rig.assessment.Publish("2026-12", false, Call()).status()) == "PERIOD_NOT_ENDED");
  auto published = rig.assessment.Publish("2026-11", false, Call());
  REQUIRE(published.ok());
  CHECK(published->first == 6);
  CHECK(published->second == 1);
  CHECK(ReasonOf(rig.assessment.Publish("2026-11", false, Call()).status()) ==
        "PERIOD_ALREADY_PUBLISHED");

  auto v2 = rig.assessment.UpdateScheme(strict, 1, Call());
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  auto in_force = rig.assessment.GetScheme(0, absl::CivilDay(2026, 10, 31));
  REQUIRE(in_force.ok());
  CHECK(in_force->version == 1);
  // The published November keeps version 1's points.
  auto frozen = rig.assessment.UnitScoreFor("u0", "2026-11");
  REQUIRE(frozen.ok());
  CHECK(frozen->published);
  CHECK(frozen->scheme_version == 1);
  CHECK(frozen->total_centipoints == before->total_centipoints);
  // Asked to recompute, it takes version 2, which is stricter.
  auto again = rig.assessment.Publish("2026-11", true, Call());
  REQUIRE(again.ok());
  CHECK(again->second == 2);
  auto recomputed = rig.assessment.UnitScoreFor("u0", "2026-11");
  REQUIRE(recomputed.ok());
  CHECK(recomputed->scheme_version == 2);
  CHECK(recomputed->total_centipoints < before->total_centipoints);
  CHECK(rig.Count("SELECT COUNT(*) FROM assessment_audit WHERE action IN ('published',"
                  " 'recomputed', 'scheme_stored')") == 4);
}

TEST_CASE("exclusions and appeals: filed once, decided by the task force, reversible",
          "[assessment][sql]") {
  const auto dialect = GENERATE(from_range(jiban::testing::Drivers()));
  INFO(jiban::testing::DialectName(dialect));
  Rig rig(dialect);
  OrderFacts returned = fixtures::Order("o-returned");
  returned.return_time = At(11, 3, 12);
  OrderFacts rated = fixtures::Order("o-rated");
  rated.sign_time = At(11, 3, 11);
  rated.reply_time = At(11, 6);
  rated.close_time = At(11, 7);
  for (const OrderFacts& o : {returned, rated}) {
    REQUIRE(rig.tx.Run([&](Store& s) { return s.PutOrder(o); }).ok());
  }
  REQUIRE(rig.tx
              .Run([&](Store& s) {
                return s.PutEvaluation({.request_id = rated.request_id,
                                        .dissatisfied = true,
                                        .resolved = false,
                                        .time = At(11, 7)});
              })
              .ok());
  auto score = [&] {
    auto s = rig.assessment.UnitScoreFor("u1", "2026-11");
    REQUIRE(s.ok());
    return *s;
  };
  auto item = [](const UnitScore& u, const std::string& id) {
    for (const SubItemScore& s : u.sub_items) {
      if (s.id == id) return s;
    }
    return SubItemScore{};
  };
  CHECK(item(score(), "return_rate").numerator == 1);
  CHECK(item(score(), "satisfaction_rate").numerator == 0);

  // Bad input names every field.
  auto bad = rig.assessment.File(
      {.kind = ObjectionKind::kAppeal, .reason = ObjectionReason::kOutsidePower}, Call(""));
  std::set<std::string> fields;
  for (const auto& v : FieldViolationsOf(bad.status())) fields.insert(v.field);
  CHECK(fields == std::set<std::string>{"request_id", "objection.order_id", "objection.reason",
                                        "objection.note"});
  CHECK(ReasonOf(rig.assessment
                     .File({.kind = ObjectionKind::kExclusion,
                            .order_id = "nope",
                            .reason = ObjectionReason::kMalicious,
                            .note = "恶意投诉"},
                           Call("k0"))
                     .status()) == "ORDER_NOT_FOUND");
  CHECK(ReasonOf(rig.assessment
                     .File({.kind = ObjectionKind::kAppeal,
                            .order_id = returned.order_id,
                            .reason = ObjectionReason::kMalicious,
                            .note = "无评价"},
                           Call("k00"))
                     .status()) == "NOTHING_TO_APPEAL");

  const Objection exclusion{.kind = ObjectionKind::kExclusion,
                            .order_id = returned.order_id,
                            .reason = ObjectionReason::kOutsidePower,
                            .note = "属于省级事权，本单位无权办理"};
  // Another unit's staff: the order is not theirs to object to.
  CallContext other = Call("k0", "unit_staff");
  other.unit_id = "u2";
  CHECK(ReasonOf(rig.assessment.File(exclusion, other).status()) == "ORDER_NOT_FOUND");
  CallContext own = Call("k1", "unit_staff");
  own.unit_id = "u1";
  auto filed = rig.assessment.File(exclusion, own);
  REQUIRE(filed.ok());
  CHECK(filed->unit_id == "u1");
  auto retried = rig.assessment.File(exclusion, Call("k1", "unit_staff"));
  REQUIRE(retried.ok());
  CHECK(retried->id == filed->id);
  CHECK(rig.Count("SELECT COUNT(*) FROM assessment_objections") == 1);
  CHECK(item(score(), "return_rate").numerator == 1);  // pending: no effect yet

  REQUIRE(rig.assessment.DecideOn(filed->id, Decision::kApprove, "认定属实", Call()).ok());
  CHECK(item(score(), "return_rate").numerator == 0);
  CHECK(score().orders == 1);
  CHECK(ReasonOf(rig.assessment.DecideOn(filed->id, Decision::kRefuse, "x", Call()).status()) ==
        "OBJECTION_NOT_PENDING");

  auto appeal = rig.assessment.File({.kind = ObjectionKind::kAppeal,
                                     .order_id = rated.order_id,
                                     .reason = ObjectionReason::kMistakenRating,
                                     .note = "群众误评，回访已确认满意"},
                                    Call("k2", "unit_staff"));
  REQUIRE(appeal.ok());
  REQUIRE(rig.assessment.DecideOn(appeal->id, Decision::kApprove, "回访属实", Call()).ok());
  CHECK(item(score(), "satisfaction_rate").denominator == 0);
  REQUIRE(rig.assessment.DecideOn(appeal->id, Decision::kReverse, "复核有误", Call()).ok());
  CHECK(item(score(), "satisfaction_rate").denominator == 1);
  CHECK(item(score(), "satisfaction_rate").numerator == 0);

  std::string next;
  auto approved = rig.assessment.Objections("u1", ObjectionState::kApproved, 0, "", &next);
  REQUIRE(approved.ok());
  REQUIRE(approved->size() == 1);
  CHECK((*approved)[0].id == filed->id);
  auto page = rig.assessment.Objections("", std::nullopt, 1, "", &next);
  REQUIRE(page.ok());
  CHECK(page->size() == 1);
  CHECK_FALSE(next.empty());
  auto rest = rig.assessment.Objections("", std::nullopt, 1, next, &next);
  REQUIRE(rest.ok());
  REQUIRE(rest->size() == 1);
  CHECK((*rest)[0].id != (*page)[0].id);
  CHECK(rig.Count("SELECT COUNT(*) FROM assessment_audit WHERE object_id IN (SELECT id FROM"
                  " assessment_objections)") == 5);
}

TEST_CASE("explanations, rankings and the report agree with the scores", "[assessment][sql]") {
  const auto dialect = GENERATE(from_range(jiban::testing::Drivers()));
  INFO(jiban::testing::DialectName(dialect));
  Rig rig(dialect);
  rig.Load(fixtures::Generate(200, 3));
  auto r = rig.assessment.RankClass("2026-11", UnitClass::kDepartment, 2);
  REQUIRE(r.ok());
  REQUIRE(r->all.size() == 3);  // u0, u1, u2 are departments
  CHECK(r->all[0].score.total_centipoints >= r->all[1].score.total_centipoints);
  CHECK(r->red_list.size() == 2);
  CHECK(r->black_list[0].score.unit_id == r->all.back().score.unit_id);
  CHECK(ReasonOf(rig.assessment.RankClass("2026-13", UnitClass::kDepartment, 0).status()) ==
        "INVALID_REQUEST");

  // Scores and rankings count what lost points; only an explanation lists it, live or frozen by
  // a publication.
  const UnitScore worst = r->all.back().score;
  int64_t listed = 0;
  for (bool published : {false, true}) {
    INFO((published ? "published" : "live"));
    if (published) REQUIRE(rig.assessment.Publish("2026-11", false, Call()).ok());
    auto score = rig.assessment.UnitScoreFor(worst.unit_id, "2026-11");
    REQUIRE(score.ok());
    CHECK(score->published == published);
    for (const SubItemScore& s : score->sub_items) {
      CHECK(s.against.empty());
      auto e = rig.assessment.Explain(worst.unit_id, "2026-11", s.id);
      REQUIRE(e.ok());
      CHECK(e->sub_item.centipoints == s.centipoints);
      CHECK(e->sub_item.against_count == s.against_count);
      CHECK(static_cast<int64_t>(e->sub_item.against.size()) == s.against_count);
      CHECK(static_cast<int64_t>(e->orders.size() + e->lights.size() + e->cases.size()) ==
            s.against_count);
      for (const OrderFacts& o : e->orders) CHECK(o.unit_id == worst.unit_id);
      listed += s.against_count;
    }
  }
  CHECK(listed > 2 * Rig::kPage);  // the lists span several pages
  CHECK(FieldViolationsOf(rig.assessment.Explain(worst.unit_id, "2026-11", "nope").status())
            .at(0)
            .field == "sub_item_id");
  CHECK(ReasonOf(rig.assessment.UnitScoreFor("nobody", "2026-11").status()) == "UNIT_NOT_SCORED");

  auto report = rig.assessment.Export("2026-11", UnitClass::kDepartment);
  REQUIRE(report.ok());
  std::vector<std::string> lines = absl::StrSplit(report->csv, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 5);  // header, three units, city-wide
  CHECK(absl::StartsWith(lines[0], "rank,unit_id,unit,total,日常考核,工作业绩,年终考核,"));
  CHECK(absl::StrContains(lines[4], "city-wide"));
  const std::vector<std::string> first = absl::StrSplit(lines[1], ',');
  CHECK(first[1] == r->all[0].score.unit_id);
  CHECK(report->labels.size() == 3);
  REQUIRE(report->datasets.size() == 4);
  CHECK(report->datasets.back().first == "总分");
  CHECK(report->datasets.back().second[0] ==
        static_cast<double>(r->all[0].score.total_centipoints) / 100);
}

}  // namespace
}  // namespace jiban::assessment
