#include "services/assessment/sql_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/db/sequence.h"
#include "libs/events/event_log.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "services/assessment/convert.h"

namespace jiban::generated {
::jiban::db::MigrationSet assessment_migrations(::jiban::db::Dialect dialect);
}  // namespace jiban::generated

namespace jiban::assessment {
namespace {

db::Value Ms(const std::optional<absl::Time>& t) {
  if (!t) return db::Value();
  return absl::ToUnixMillis(*t);
}

std::optional<absl::Time> OptionalMs(const db::Row& r, size_t i) {
  auto ms = r.OptionalInt(i);
  if (!ms) return std::nullopt;
  return absl::FromUnixMillis(*ms);
}

constexpr char kOrderColumns[] =
    "order_id, request_id, tracking_number, unit_id, lead_unit, dispatch_ms,"
    " sign_for_deadline_ms, deadline_ms, sign_ms, return_ms, reply_ms, close_ms, extension_ms,"
    " cancelled, rehandle_count, version";

OrderFacts OrderFromRow(const db::Row& r) {
  return {.order_id = r.Text(0),
          .request_id = r.Text(1),
          .tracking_number = r.Text(2),
          .unit_id = r.Text(3),
          .lead = r.Int(4) != 0,
          .dispatch_time = absl::FromUnixMillis(r.Int(5)),
          .sign_for_deadline = absl::FromUnixMillis(r.Int(6)),
          .deadline = absl::FromUnixMillis(r.Int(7)),
          .sign_time = OptionalMs(r, 8),
          .return_time = OptionalMs(r, 9),
          .reply_time = OptionalMs(r, 10),
          .close_time = OptionalMs(r, 11),
          .extension_time = OptionalMs(r, 12),
          .cancelled = r.Int(13) != 0,
          .rehandle_count = static_cast<int>(r.Int(14)),
          .version = r.Int(15)};
}

Evaluation EvaluationFromRow(const db::Row& r) {
  return {.request_id = r.Text(0),
          .dissatisfied = r.Int(1) != 0,
          .resolved = r.Int(2) != 0,
          .time = absl::FromUnixMillis(r.Int(3))};
}

LightFact LightFromRow(const db::Row& r) {
  return {.light_id = r.Text(0),
          .order_id = r.Text(1),
          .unit_id = r.Text(2),
          .red = r.Int(3) != 0,
          .raised = absl::FromUnixMillis(r.Int(4))};
}

CaseFact CaseFromRow(const db::Row& r) {
  return {.case_id = r.Text(0),
          .order_id = r.Text(1),
          .unit_id = r.Text(2),
          .opened = absl::FromUnixMillis(r.Int(3)),
          .deadline = absl::FromUnixMillis(r.Int(4)),
          .rectified = OptionalMs(r, 5)};
}

constexpr char kObjectionColumns[] =
    "id, kind, order_id, request_id, unit_id, reason, note, state, decision_note, decided_by,"
    " created_ms, updated_ms";

Objection ObjectionFromRow(const db::Row& r) {
  return {.id = r.Text(0),
          .kind = static_cast<ObjectionKind>(r.Int(1)),
          .order_id = r.Text(2),
          .request_id = r.Text(3),
          .unit_id = r.Text(4),
          .reason = static_cast<ObjectionReason>(r.Int(5)),
          .note = r.Text(6),
          .state = static_cast<ObjectionState>(r.Int(7)),
          .decision_note = r.Text(8),
          .decided_by = r.Text(9),
          .created = absl::FromUnixMillis(r.Int(10)),
          .updated = absl::FromUnixMillis(r.Int(11))};
}

absl::StatusOr<std::optional<Scheme>> SchemeFromRows(
    const absl::StatusOr<std::vector<db::Row>>& rows) {
  JIBAN_RETURN_IF_ERROR(rows.status());
  if (rows->empty()) return std::nullopt;
  v1::Scheme p;
  if (!p.ParseFromString(rows->front().Text(0))) return absl::DataLossError("unreadable scheme");
  JIBAN_ASSIGN_OR_RETURN(Scheme s, FromProto(p));
  return s;
}

// Inserts, treating a duplicate key as done (a replayed fact).
absl::Status InsertOnce(db::Transaction& tx, absl::string_view sql, const db::Params& params) {
  auto inserted = tx.Execute(sql, params);
  if (inserted.status().code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
  return inserted.status();
}

}  // namespace

std::vector<db::MigrationSet> Migrations(db::Dialect dialect) {
  return {db::PlatformMigrations(dialect), events::Migrations(dialect),
          generated::assessment_migrations(dialect)};
}

absl::Status ForgetFacts(db::Database& db) {
  return db.Transact([](db::Transaction& tx) -> absl::Status {
    for (const char* table : {"assessment_orders", "assessment_units", "assessment_evaluations",
                              "assessment_lights", "assessment_cases"}) {
      JIBAN_RETURN_IF_ERROR(tx.Execute(absl::StrCat("DELETE FROM ", table)).status());
    }
    for (const char* consumer : kConsumers) {
      JIBAN_RETURN_IF_ERROR(
          tx.Execute("DELETE FROM jiban_consumer_cursors WHERE consumer = ?", {consumer}).status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<OrderFacts>> SqlStore::GetOrder(const std::string& order_id) {
  JIBAN_ASSIGN_OR_RETURN(auto row,
                         tx_.QueryOne(absl::StrCat("SELECT ", kOrderColumns,
                                                   " FROM assessment_orders WHERE order_id = ?"),
                                      {order_id}));
  if (!row) return std::nullopt;
  return OrderFromRow(*row);
}

absl::Status SqlStore::PutOrder(const OrderFacts& f) {
  db::Params p;
  p.push_back(f.order_id);
  p.push_back(f.request_id);
  p.push_back(f.tracking_number);
  p.push_back(f.unit_id);
  p.push_back(f.lead ? 1 : 0);
  p.push_back(absl::ToUnixMillis(f.dispatch_time));
  p.push_back(absl::ToUnixMillis(f.sign_for_deadline));
  p.push_back(absl::ToUnixMillis(f.deadline));
  p.push_back(Ms(f.sign_time));
  p.push_back(Ms(f.return_time));
  p.push_back(Ms(f.reply_time));
  p.push_back(Ms(f.close_time));
  p.push_back(Ms(f.extension_time));
  p.push_back(f.cancelled ? 1 : 0);
  p.push_back(f.rehandle_count);
  p.push_back(f.version);
  JIBAN_RETURN_IF_ERROR(
      tx_.Execute(absl::StrCat("REPLACE INTO assessment_orders (", kOrderColumns,
                               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                  p)
          .status());
  return tx_
      .Execute("REPLACE INTO assessment_units (unit_id, name, unit_class) VALUES (?, ?, ?)",
               {f.unit_id, f.unit_name, static_cast<int>(f.unit_class)})
      .status();
}

absl::StatusOr<std::optional<Evaluation>> SqlStore::GetEvaluation(const std::string& request_id) {
  JIBAN_ASSIGN_OR_RETURN(auto row, tx_.QueryOne("SELECT request_id, dissatisfied, resolved, time_ms"
                                                " FROM assessment_evaluations WHERE request_id = ?",
                                                {request_id}));
  if (!row) return std::nullopt;
  return EvaluationFromRow(*row);
}

absl::Status SqlStore::PutEvaluation(const Evaluation& e) {
  return tx_
      .Execute(
          "REPLACE INTO assessment_evaluations (request_id, dissatisfied, resolved, time_ms)"
          " VALUES (?, ?, ?, ?)",
          {e.request_id, e.dissatisfied ? 1 : 0, e.resolved ? 1 : 0, absl::ToUnixMillis(e.time)})
      .status();
}

absl::Status SqlStore::PutLight(const LightFact& l) {
  return InsertOnce(
      tx_,
      "INSERT INTO assessment_lights (light_id, order_id, unit_id, red, raised_ms)"
      " VALUES (?, ?, ?, ?, ?)",
      {l.light_id, l.order_id, l.unit_id, l.red ? 1 : 0, absl::ToUnixMillis(l.raised)});
}

absl::StatusOr<std::optional<CaseFact>> SqlStore::GetCase(const std::string& case_id) {
  JIBAN_ASSIGN_OR_RETURN(auto row,
                         tx_.QueryOne("SELECT case_id, order_id, unit_id, opened_ms, deadline_ms,"
                                      " rectified_ms FROM assessment_cases WHERE case_id = ?",
                                      {case_id}));
  if (!row) return std::nullopt;
  return CaseFromRow(*row);
}

absl::Status SqlStore::PutCase(const CaseFact& c) {
  db::Params p;
  p.push_back(c.case_id);
  p.push_back(c.order_id);
  p.push_back(c.unit_id);
  p.push_back(absl::ToUnixMillis(c.opened));
  p.push_back(absl::ToUnixMillis(c.deadline));
  p.push_back(Ms(c.rectified));
  return tx_
      .Execute(
          "REPLACE INTO assessment_cases (case_id, order_id, unit_id, opened_ms, deadline_ms,"
          " rectified_ms) VALUES (?, ?, ?, ?, ?, ?)",
          p)
      .status();
}

absl::StatusOr<int64_t> SqlStore::LatestSchemeVersion() {
  JIBAN_ASSIGN_OR_RETURN(auto row,
                         tx_.QueryOne(absl::StrCat("SELECT version FROM assessment_schemes ORDER BY"
                                                   " version DESC LIMIT 1",
                                                   tx_.ForUpdate())));
  return row ? row->Int(0) : 0;
}

absl::Status SqlStore::PutScheme(const Scheme& s) {
  return tx_
      .Execute(
          "INSERT INTO assessment_schemes (version, effective_from, body, actor, created_ms)"
          " VALUES (?, ?, ?, ?, ?)",
          {s.version, absl::FormatCivilTime(s.effective_from),
           db::Blob{ToProto(s).SerializeAsString()}, s.actor, absl::ToUnixMillis(s.created)})
      .status();
}

absl::StatusOr<bool> SqlStore::IsPublished(const std::string& period) {
  JIBAN_ASSIGN_OR_RETURN(
      auto row, tx_.QueryOne(absl::StrCat("SELECT period FROM assessment_periods WHERE period = ?",
                                          tx_.ForUpdate()),
                             {period}));
  return row.has_value();
}

absl::Status SqlStore::ReplacePublished(const std::string& period, int64_t scheme_version,
                                        const std::vector<UnitScore>& scores, absl::Time now) {
  JIBAN_RETURN_IF_ERROR(
      tx_.Execute("DELETE FROM assessment_scores WHERE period = ?", {period}).status());
  JIBAN_RETURN_IF_ERROR(tx_.Execute("REPLACE INTO assessment_periods (period, scheme_version,"
                                    " published_ms) VALUES (?, ?, ?)",
                                    {period, scheme_version, absl::ToUnixMillis(now)})
                            .status());
  for (const UnitScore& u : scores) {
    JIBAN_RETURN_IF_ERROR(
        tx_.Execute("INSERT INTO assessment_scores (period, unit_id, body) VALUES (?, ?, ?)",
                    {period, u.unit_id, db::Blob{ToProto(u).SerializeAsString()}})
            .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Objection>> SqlStore::GetObjection(const std::string& id) {
  JIBAN_ASSIGN_OR_RETURN(
      auto row,
      tx_.QueryOne(absl::StrCat("SELECT ", kObjectionColumns,
                                " FROM assessment_objections WHERE id = ?", tx_.ForUpdate()),
                   {id}));
  if (!row) return std::nullopt;
  return ObjectionFromRow(*row);
}

absl::Status SqlStore::PutObjection(const Objection& o, bool insert) {
  if (insert) {
    return tx_
        .Execute(absl::StrCat("INSERT INTO assessment_objections (", kObjectionColumns,
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {o.id, static_cast<int>(o.kind), o.order_id, o.request_id, o.unit_id,
                  static_cast<int>(o.reason), o.note, static_cast<int>(o.state), o.decision_note,
                  o.decided_by, absl::ToUnixMillis(o.created), absl::ToUnixMillis(o.updated)})
        .status();
  }
  return tx_
      .Execute(
          "UPDATE assessment_objections SET state = ?, decision_note = ?, decided_by = ?,"
          " updated_ms = ? WHERE id = ?",
          {static_cast<int>(o.state), o.decision_note, o.decided_by, absl::ToUnixMillis(o.updated),
           o.id})
      .status();
}

absl::StatusOr<std::optional<std::string>> SqlStore::ClaimKey(const std::string& key,
                                                              const std::string& object_id) {
  auto inserted = tx_.Execute(
      "INSERT INTO assessment_idempotency (idempotency_key, object_id, created_at_ms)"
      " VALUES (?, ?, ?)",
      {key, object_id, absl::ToUnixMillis(absl::Now())});
  if (inserted.ok()) return std::nullopt;
  if (inserted.status().code() != absl::StatusCode::kAlreadyExists) return inserted.status();
  JIBAN_ASSIGN_OR_RETURN(auto row, tx_.QueryOne("SELECT object_id FROM assessment_idempotency"
                                                " WHERE idempotency_key = ?",
                                                {key}));
  if (!row) return absl::AbortedError("idempotency key vanished; retry");
  return row->Text(0);
}

absl::Status SqlStore::Audit(const std::string& object_id, const std::string& action,
                             const std::string& actor, const std::string& note, absl::Time time) {
  return tx_
      .Execute(
          "INSERT INTO assessment_audit (object_id, action, actor, note, time_ms)"
          " VALUES (?, ?, ?, ?, ?)",
          {object_id, action, actor, note, absl::ToUnixMillis(time)})
      .status();
}

absl::Status SqlTransactor::Run(const std::function<absl::Status(Store&)>& fn) {
  return db_.Transact([&](db::Transaction& tx) {
    SqlStore store(tx);
    return fn(store);
  });
}

namespace {
// Where a keyset page ends: the last row's time and id (rows come ordered by both).
struct Keyset {
  int64_t ms = 0;
  std::string id;
};

// Reads the rows of one unit (`from_table` names its table `t`) with `time_column` in [from, to) in
// pages of `page_size`, ordered by (time, id) so that each page is one range of the (unit_id, time)
// index. `each` takes a page's rows and answers where the page ended.
absl::Status InPages(
    db::Transaction& tx, absl::string_view select, absl::string_view from_table,
    absl::string_view time_column, absl::string_view id_column, const std::string& unit_id,
    int64_t from, int64_t to, int page_size,
    const std::function<absl::StatusOr<Keyset>(const std::vector<db::Row>&)>& each) {
  const std::string sql = absl::StrCat(
      "SELECT ", select, " FROM ", from_table, " WHERE t.unit_id = ? AND t.", time_column,
      " >= ? AND t.", time_column, " < ? AND (t.", time_column, " > ? OR t.", id_column,
      " > ?) ORDER BY t.", time_column, ", t.", id_column, " LIMIT ?");
  Keyset after{.ms = from - 1};
  while (true) {
    JIBAN_ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {unit_id, std::max(from, after.ms), to,
                                                     after.ms, after.id, page_size}));
    if (rows.empty()) return absl::OkStatus();
    JIBAN_ASSIGN_OR_RETURN(after, each(rows));
    if (static_cast<int>(rows.size()) < page_size) return absl::OkStatus();
  }
}
}  // namespace

absl::Status SqlReader::UnitFactsInPages(
    absl::Time start, absl::Time end, const std::string& unit_id, int page_size,
    const std::function<absl::Status(const UnitFacts& page, bool first)>& each) {
  const int64_t from = absl::ToUnixMillis(start), to = absl::ToUnixMillis(end);
  return db_.Transact([&](db::Transaction& tx) -> absl::Status {
    UnitFacts unit{.unit_id = unit_id};
    JIBAN_ASSIGN_OR_RETURN(
        auto named,
        tx.QueryOne("SELECT name, unit_class FROM assessment_units WHERE unit_id = ?", {unit_id}));
    if (named) {
      unit.unit_name = named->Text(0);
      unit.unit_class = static_cast<UnitClass>(named->Int(1));
    }
    // Approved objections on the unit's orders of the window: an appeal sets aside a request's
    // evaluation on every page, so they are read before the orders.
    JIBAN_ASSIGN_OR_RETURN(
        auto objections,
        tx.Query(absl::StrCat("SELECT x.kind, x.order_id, x.request_id FROM assessment_objections"
                              " x JOIN assessment_orders o ON o.order_id = x.order_id WHERE"
                              " x.state = ",
                              static_cast<int>(ObjectionState::kApproved),
                              " AND o.unit_id = ? AND o.dispatch_ms >= ? AND o.dispatch_ms < ?"),
                 {unit_id, from, to}));
    for (const db::Row& r : objections) {
      if (static_cast<ObjectionKind>(r.Int(0)) == ObjectionKind::kExclusion) {
        unit.excluded_orders.push_back(r.Text(1));
      } else {
        unit.set_aside_requests.push_back(r.Text(2));
      }
    }
    JIBAN_RETURN_IF_ERROR(each(unit, true));
    UnitFacts page{.unit_id = unit_id};
    // Orders, each with its request's evaluation (columns after the order's, NULL when none).
    const std::vector<std::string> order_columns = absl::StrSplit(kOrderColumns, ", ");
    const size_t evaluation_at = order_columns.size();
    JIBAN_RETURN_IF_ERROR(InPages(
        tx,
        absl::StrCat("t.", absl::StrJoin(order_columns, ", t."),
                     ", e.dissatisfied, e.resolved, e.time_ms"),
        "assessment_orders t LEFT JOIN assessment_evaluations e ON e.request_id = t.request_id",
        "dispatch_ms", "order_id", unit_id, from, to, page_size,
        [&](const std::vector<db::Row>& rows) -> absl::StatusOr<Keyset> {
          page.orders.clear();
          page.evaluations.clear();
          for (const db::Row& r : rows) {
            page.orders.push_back(OrderFromRow(r));
            if (r.IsNull(evaluation_at)) continue;
            page.evaluations.push_back({.request_id = page.orders.back().request_id,
                                        .dissatisfied = r.Int(evaluation_at) != 0,
                                        .resolved = r.Int(evaluation_at + 1) != 0,
                                        .time = absl::FromUnixMillis(r.Int(evaluation_at + 2))});
          }
          if (absl::Status handed = each(page, false); !handed.ok()) return handed;
          return Keyset{absl::ToUnixMillis(page.orders.back().dispatch_time),
                        page.orders.back().order_id};
        }));
    page.orders.clear();
    page.evaluations.clear();
    JIBAN_RETURN_IF_ERROR(InPages(
        tx, "t.light_id, t.order_id, t.unit_id, t.red, t.raised_ms", "assessment_lights t",
        "raised_ms", "light_id", unit_id, from, to, page_size,
        [&](const std::vector<db::Row>& rows) -> absl::StatusOr<Keyset> {
          page.lights.clear();
          for (const db::Row& r : rows) page.lights.push_back(LightFromRow(r));
          if (absl::Status handed = each(page, false); !handed.ok()) return handed;
          return Keyset{absl::ToUnixMillis(page.lights.back().raised), page.lights.back().light_id};
        }));
    page.lights.clear();
    return InPages(
        tx, "t.case_id, t.order_id, t.unit_id, t.opened_ms, t.deadline_ms, t.rectified_ms",
        "assessment_cases t", "opened_ms", "case_id", unit_id, from, to, page_size,
        [&](const std::vector<db::Row>& rows) -> absl::StatusOr<Keyset> {
          page.cases.clear();
          for (const db::Row& r : rows) page.cases.push_back(CaseFromRow(r));
          if (absl::Status handed = each(page, false); !handed.ok()) return handed;
          return Keyset{absl::ToUnixMillis(page.cases.back().opened), page.cases.back().case_id};
        });
  });
}

absl::StatusOr<std::vector<std::string>> SqlReader::UnitsWithFacts(absl::Time start,
                                                                   absl::Time end) {
  const int64_t from = absl::ToUnixMillis(start), to = absl::ToUnixMillis(end);
  JIBAN_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(
          "SELECT unit_id FROM assessment_orders WHERE dispatch_ms >= ? AND dispatch_ms < ?"
          " UNION SELECT unit_id FROM assessment_lights WHERE raised_ms >= ? AND raised_ms < ?"
          " UNION SELECT unit_id FROM assessment_cases WHERE opened_ms >= ? AND opened_ms < ?",
          {from, to, from, to, from, to}));
  std::vector<std::string> units;
  for (const db::Row& r : rows) units.push_back(r.Text(0));
  std::sort(units.begin(), units.end());
  return units;
}

absl::StatusOr<std::optional<Scheme>> SqlReader::GetScheme(int64_t version) {
  return SchemeFromRows(
      db_.Query("SELECT body FROM assessment_schemes WHERE version = ?", {version}));
}

absl::StatusOr<std::optional<Scheme>> SqlReader::SchemeInForce(absl::CivilDay day) {
  return SchemeFromRows(db_.Query(
      "SELECT body FROM assessment_schemes WHERE effective_from <= ? ORDER BY version DESC"
      " LIMIT 1",
      {absl::FormatCivilTime(day)}));
}

absl::StatusOr<std::optional<std::vector<UnitScore>>> SqlReader::Published(
    const std::string& period, const std::string& unit_id, bool with_against) {
  JIBAN_ASSIGN_OR_RETURN(
      auto head, db_.Query("SELECT period FROM assessment_periods WHERE period = ?", {period}));
  if (head.empty()) return std::nullopt;
  std::string sql = "SELECT body FROM assessment_scores WHERE period = ?";
  db::Params p;
  p.push_back(period);
  if (!unit_id.empty()) {
    sql += " AND unit_id = ?";
    p.push_back(unit_id);
  }
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query(sql + " ORDER BY unit_id", p));
  std::vector<UnitScore> out;
  for (const db::Row& r : rows) {
    v1::UnitScore u;
    if (!u.ParseFromString(r.Text(0))) return absl::DataLossError("unreadable published score");
    for (v1::SubItemScore& s : *u.mutable_sub_items()) {
      // Scores published before against_count existed carry only the lists.
      s.set_against_count(std::max<int64_t>(s.against_count(), s.against_ids_size()));
      if (!with_against) s.clear_against_ids();
    }
    out.push_back(FromProto(u));
  }
  return out;
}

absl::StatusOr<std::vector<Objection>> SqlReader::ListObjections(
    const std::string& unit_id, std::optional<ObjectionState> state, const std::string& before_id,
    int limit) {
  std::string sql =
      absl::StrCat("SELECT ", kObjectionColumns, " FROM assessment_objections WHERE 1 = 1");
  db::Params p;
  if (!unit_id.empty()) {
    sql += " AND unit_id = ?";
    p.push_back(unit_id);
  }
  if (state) {
    sql += " AND state = ?";
    p.push_back(static_cast<int>(*state));
  }
  if (!before_id.empty()) {
    sql += " AND id < ?";
    p.push_back(before_id);
  }
  p.push_back(limit);
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query(sql + " ORDER BY id DESC LIMIT ?", p));
  std::vector<Objection> out;
  for (const db::Row& r : rows) out.push_back(ObjectionFromRow(r));
  return out;
}

}  // namespace jiban::assessment
