#include "services/escalation/sql_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/db/sequence.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "services/escalation/convert.h"

namespace jiban::generated {
::jiban::db::MigrationSet escalation_migrations(::jiban::db::Dialect dialect);
}  // namespace jiban::generated

namespace jiban::escalation {
namespace {

constexpr char kLightColumns[] =
    "id, order_id, request_id, tracking_number, unit_id, unit_name, person_name, person_post,"
    " cause, due_ms, raised_ms, active, cleared_ms, clear_reason, district_code";

Light LightFromRow(const db::Row& r) {
  Light l{.id = r.Text(0),
          .order_id = r.Text(1),
          .request_id = r.Text(2),
          .tracking_number = r.Text(3),
          .unit_id = r.Text(4),
          .unit_name = r.Text(5),
          .district_code = r.Text(14),
          .answerable = {r.Text(6), r.Text(7)},
          .cause = static_cast<Cause>(r.Int(8)),
          .due = absl::FromUnixMillis(r.Int(9)),
          .raised = absl::FromUnixMillis(r.Int(10)),
          .active = r.Int(11) != 0,
          .clear_reason = r.Text(13)};
  if (auto ms = r.OptionalInt(12)) l.cleared = absl::FromUnixMillis(*ms);
  return l;
}

constexpr char kCaseColumns[] =
    "id, order_id, request_id, tracking_number, unit_id, unit_name, person_name, person_post,"
    " kind, state, light_id, opened_by, deadline_ms, created_ms, updated_ms, officer,"
    " district_code";

Case CaseFromRow(const db::Row& r) {
  return {.id = r.Text(0),
          .order_id = r.Text(1),
          .request_id = r.Text(2),
          .tracking_number = r.Text(3),
          .unit_id = r.Text(4),
          .unit_name = r.Text(5),
          .district_code = r.Text(16),
          .answerable = {r.Text(6), r.Text(7)},
          .kind = static_cast<CaseKind>(r.Int(8)),
          .state = static_cast<CaseState>(r.Int(9)),
          .light_id = r.Text(10),
          .opened_by = r.Text(11),
          .officer = r.Text(15),
          .deadline = absl::FromUnixMillis(r.Int(12)),
          .created = absl::FromUnixMillis(r.Int(13)),
          .updated = absl::FromUnixMillis(r.Int(14))};
}

absl::StatusOr<std::optional<Case>> OneCase(const absl::StatusOr<std::vector<db::Row>>& rows) {
  JIBAN_RETURN_IF_ERROR(rows.status());
  if (rows->empty()) return std::nullopt;
  return CaseFromRow(rows->front());
}

absl::StatusOr<std::vector<Light>> Lights(const absl::StatusOr<std::vector<db::Row>>& rows) {
  JIBAN_RETURN_IF_ERROR(rows.status());
  std::vector<Light> out;
  for (const db::Row& r : *rows) out.push_back(LightFromRow(r));
  return out;
}

}  // namespace

std::vector<db::MigrationSet> Migrations(db::Dialect dialect) {
  return {db::PlatformMigrations(dialect), events::Migrations(dialect),
          generated::escalation_migrations(dialect)};
}

absl::StatusOr<std::optional<Tracked>> SqlStore::GetOrder(const std::string& order_id) {
  JIBAN_ASSIGN_OR_RETURN(
      auto row,
      tx_.QueryOne("SELECT order_id, request_id, tracking_number, unit_id, unit_name, person_name,"
                   " person_post, lead_unit, dispatch_ms, clock_start_ms, sign_for_deadline_ms,"
                   " deadline_ms, signed_for, paused, replied, open_order, district_code"
                   " FROM escalation_orders"
                   " WHERE order_id = ?",
                   {order_id}));
  if (!row) return std::nullopt;
  const db::Row& r = *row;
  return Tracked{.order_id = r.Text(0),
                 .request_id = r.Text(1),
                 .tracking_number = r.Text(2),
                 .unit_id = r.Text(3),
                 .unit_name = r.Text(4),
                 .district_code = r.Text(16),
                 .answerable = {r.Text(5), r.Text(6)},
                 .lead = r.Int(7) != 0,
                 .dispatch_time = absl::FromUnixMillis(r.Int(8)),
                 .clock_start = absl::FromUnixMillis(r.Int(9)),
                 .sign_for_deadline = absl::FromUnixMillis(r.Int(10)),
                 .deadline = absl::FromUnixMillis(r.Int(11)),
                 .signed_for = r.Int(12) != 0,
                 .paused = r.Int(13) != 0,
                 .replied = r.Int(14) != 0,
                 .open = r.Int(15) != 0};
}

absl::Status SqlStore::PutOrder(const Tracked& t) {
  return tx_
      .Execute(
          "REPLACE INTO escalation_orders (order_id, request_id, tracking_number, unit_id,"
          " unit_name, person_name, person_post, lead_unit, dispatch_ms, clock_start_ms,"
          " sign_for_deadline_ms, deadline_ms, signed_for, paused, replied, open_order,"
          " district_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {t.order_id, t.request_id, t.tracking_number, t.unit_id, t.unit_name, t.answerable.name,
           t.answerable.post, t.lead ? 1 : 0, absl::ToUnixMillis(t.dispatch_time),
           absl::ToUnixMillis(t.clock_start), absl::ToUnixMillis(t.sign_for_deadline),
           absl::ToUnixMillis(t.deadline), t.signed_for ? 1 : 0, t.paused ? 1 : 0,
           t.replied ? 1 : 0, t.open ? 1 : 0, t.district_code})
      .status();
}

absl::Status SqlStore::SetTimer(const Timer& t) {
  return tx_
      .Execute("REPLACE INTO escalation_timers (order_id, kind, due_ms) VALUES (?, ?, ?)",
               {t.order_id, static_cast<int>(t.kind), absl::ToUnixMillis(t.due)})
      .status();
}

absl::Status SqlStore::DeleteTimers(const std::string& order_id,
                                    const std::vector<TimerKind>& kinds) {
  for (TimerKind k : kinds) {
    JIBAN_RETURN_IF_ERROR(
        tx_.Execute("DELETE FROM escalation_timers WHERE order_id = ? AND kind = ?",
                    {order_id, static_cast<int>(k)})
            .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Timer>> SqlStore::DueTimers(absl::Time now, int limit) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows, tx_.Query(absl::StrCat("SELECT order_id, kind, due_ms FROM escalation_timers"
                                        " WHERE due_ms <= ? ORDER BY due_ms LIMIT ",
                                        limit, tx_.ForUpdate()),
                           {absl::ToUnixMillis(now)}));
  std::vector<Timer> out;
  for (const db::Row& r : rows) {
    out.push_back({r.Text(0), static_cast<TimerKind>(r.Int(1)), absl::FromUnixMillis(r.Int(2))});
  }
  return out;
}

absl::StatusOr<bool> SqlStore::InsertLight(const Light& l) {
  auto inserted = tx_.Execute(
      absl::StrCat("INSERT INTO escalation_lights (", kLightColumns,
                   ", colour) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      {l.id, l.order_id, l.request_id, l.tracking_number, l.unit_id, l.unit_name, l.answerable.name,
       l.answerable.post, static_cast<int>(l.cause), absl::ToUnixMillis(l.due),
       absl::ToUnixMillis(l.raised), l.active ? 1 : 0, db::Value(), l.clear_reason, l.district_code,
       static_cast<int>(ColourOf(l.cause))});
  if (inserted.status().code() == absl::StatusCode::kAlreadyExists) return false;
  JIBAN_RETURN_IF_ERROR(inserted.status());
  return true;
}

absl::StatusOr<std::vector<Light>> SqlStore::ActiveLights(const std::string& order_id) {
  return Lights(tx_.Query(absl::StrCat("SELECT ", kLightColumns,
                                       " FROM escalation_lights WHERE order_id = ? AND active = 1"
                                       " ORDER BY id"),
                          {order_id}));
}

absl::Status SqlStore::ClearLight(const Light& l) {
  JIBAN_ASSIGN_OR_RETURN(int64_t n,
                         tx_.Execute("UPDATE escalation_lights SET active = 0, cleared_ms = ?,"
                                     " clear_reason = ? WHERE id = ?",
                                     {absl::ToUnixMillis(l.cleared.value_or(absl::Now())),
                                      l.clear_reason.substr(0, 40), l.id}));
  return db::ExpectOneRow(n, "light");
}

absl::Status SqlStore::Raised(const Light& l, const CallContext& call) {
  if (hook_ != nullptr) tx_.OnCommit([hook = hook_, l] { (*hook)(l); });
  v1::LightRaised e;
  *e.mutable_light() = ToProto(l);
  return log_.Append(
      tx_, e,
      {.aggregate_id = l.order_id, .request_id = call.request_id, .trace_id = call.trace_id});
}

absl::Status SqlStore::Cleared(const Light& l, const CallContext& call) {
  v1::LightCleared e;
  *e.mutable_light() = ToProto(l);
  return log_.Append(
      tx_, e,
      {.aggregate_id = l.order_id, .request_id = call.request_id, .trace_id = call.trace_id});
}

absl::StatusOr<std::optional<Case>> SqlStore::GetCase(const std::string& id) {
  return OneCase(tx_.Query(
      absl::StrCat("SELECT ", kCaseColumns, " FROM escalation_cases WHERE id = ?", tx_.ForUpdate()),
      {id}));
}

absl::StatusOr<std::optional<Case>> SqlStore::OpenCaseOf(const std::string& order_id) {
  return OneCase(tx_.Query(absl::StrCat("SELECT ", kCaseColumns,
                                        " FROM escalation_cases WHERE order_id = ? AND state <> ?"
                                        " ORDER BY id DESC LIMIT 1",
                                        tx_.ForUpdate()),
                           {order_id, static_cast<int>(CaseState::kClosed)}));
}

absl::Status SqlStore::PutCase(const Case& c, bool insert) {
  if (!insert) {
    JIBAN_ASSIGN_OR_RETURN(int64_t n,
                           tx_.Execute("UPDATE escalation_cases SET state = ?, officer = ?,"
                                       " updated_ms = ? WHERE id = ?",
                                       {static_cast<int>(c.state), c.officer.substr(0, 128),
                                        absl::ToUnixMillis(c.updated), c.id}));
    return db::ExpectOneRow(n, "case");
  }
  return tx_
      .Execute(absl::StrCat("INSERT INTO escalation_cases (", kCaseColumns,
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
               {c.id, c.order_id, c.request_id, c.tracking_number, c.unit_id, c.unit_name,
                c.answerable.name, c.answerable.post, static_cast<int>(c.kind),
                static_cast<int>(c.state), c.light_id, c.opened_by.substr(0, 64),
                absl::ToUnixMillis(c.deadline), absl::ToUnixMillis(c.created),
                absl::ToUnixMillis(c.updated), c.officer.substr(0, 128), c.district_code})
      .status();
}

absl::StatusOr<std::pair<int64_t, std::string>> SqlStore::ChainHead() {
  JIBAN_ASSIGN_OR_RETURN(auto row,
                         tx_.QueryOne(absl::StrCat("SELECT seq, hash FROM escalation_chain_head"
                                                   " WHERE id = 1",
                                                   tx_.ForUpdate())));
  if (!row) return Error(absl::StatusCode::kInternal, "CHAIN_HEAD_MISSING", "no chain head row");
  return std::make_pair(row->Int(0), row->Text(1));
}

absl::StatusOr<std::pair<int64_t, std::string>> SqlReader::ChainHead() {
  JIBAN_ASSIGN_OR_RETURN(auto rows,
                         db_.Query("SELECT seq, hash FROM escalation_chain_head WHERE id = 1"));
  if (rows.empty()) return std::make_pair(int64_t{0}, std::string());
  return std::make_pair(rows[0].Int(0), rows[0].Text(1));
}

absl::Status SqlStore::AppendAction(const CaseAction& a) {
  JIBAN_RETURN_IF_ERROR(
      tx_.Execute("INSERT INTO escalation_case_log (seq, case_id, kind, actor, note, at_ms,"
                  " previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  {a.sequence, a.case_id, static_cast<int>(a.kind), a.actor.substr(0, 64), a.note,
                   absl::ToUnixMillis(a.time), a.previous_hash, a.hash})
          .status());
  JIBAN_ASSIGN_OR_RETURN(int64_t n, tx_.Execute("UPDATE escalation_chain_head SET seq = ?, hash = ?"
                                                " WHERE id = 1 AND seq = ?",
                                                {a.sequence, a.hash, a.sequence - 1}));
  return db::ExpectOneRow(n, "case log head");
}

absl::StatusOr<bool> SqlStore::ClaimKey(const std::string& key, const std::string& object_id) {
  auto inserted = tx_.Execute(
      "INSERT INTO escalation_idempotency (idempotency_key, object_id, created_at_ms)"
      " VALUES (?, ?, ?)",
      {key, object_id, absl::ToUnixMillis(absl::Now())});
  if (inserted.status().code() == absl::StatusCode::kAlreadyExists) return false;
  JIBAN_RETURN_IF_ERROR(inserted.status());
  return true;
}

absl::Status SqlStore::CaseChanged(const Case& c, const CaseAction& a, const CallContext& call) {
  v1::CaseChanged e;
  *e.mutable_case_() = ToProto(c);
  *e.mutable_action() = ToProto(a);
  return log_.Append(
      tx_, e, {.aggregate_id = c.id, .request_id = call.request_id, .trace_id = call.trace_id});
}

absl::Status SqlTransactor::Run(const std::function<absl::Status(Store&)>& fn) {
  return db_.Transact([&](db::Transaction& tx) {
    SqlStore store(tx, log_, hook());
    return fn(store);
  });
}

absl::StatusOr<std::vector<Light>> SqlReader::ListLights(const LightQuery& q) {
  std::string sql = absl::StrCat("SELECT ", kLightColumns, " FROM escalation_lights WHERE 1 = 1");
  db::Params params;
  if (!q.unit_id.empty()) {
    sql += " AND unit_id = ?";
    params.emplace_back(q.unit_id);
  }
  if (!q.district_code.empty()) {
    sql += " AND district_code = ?";
    params.emplace_back(q.district_code);
  }
  if (q.colour) {
    sql += " AND colour = ?";
    params.emplace_back(static_cast<int>(*q.colour));
  }
  if (q.cause) {
    sql += " AND cause = ?";
    params.emplace_back(static_cast<int>(*q.cause));
  }
  if (q.active_only) sql += " AND active = 1";
  if (!q.before_id.empty()) {
    sql += " AND id < ?";
    params.emplace_back(q.before_id);
  }
  sql += absl::StrCat(" ORDER BY id DESC LIMIT ", q.limit);
  return Lights(db_.Query(sql, params));
}

absl::StatusOr<std::vector<Light>> SqlReader::OrderLights(const std::string& order_id) {
  return Lights(db_.Query(absl::StrCat("SELECT ", kLightColumns,
                                       " FROM escalation_lights WHERE order_id = ? ORDER BY id"),
                          {order_id}));
}

absl::StatusOr<std::vector<LightCount>> SqlReader::CountActive(const std::string& unit_id,
                                                               const std::string& district_code) {
  std::string sql = "SELECT cause, COUNT(*) FROM escalation_lights WHERE active = 1";
  db::Params params;
  if (!unit_id.empty()) {
    sql += " AND unit_id = ?";
    params.emplace_back(unit_id);
  }
  if (!district_code.empty()) {
    sql += " AND district_code = ?";
    params.emplace_back(district_code);
  }
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query(sql + " GROUP BY cause ORDER BY cause", params));
  std::vector<LightCount> out;
  for (const db::Row& r : rows) out.push_back({static_cast<Cause>(r.Int(0)), r.Int(1)});
  return out;
}

}  // namespace jiban::escalation

namespace jiban::escalation {

absl::StatusOr<std::optional<Case>> SqlReader::FindCase(const std::string& id) {
  return OneCase(db_.Query(
      absl::StrCat("SELECT ", kCaseColumns, " FROM escalation_cases WHERE id = ?"), {id}));
}

absl::StatusOr<std::vector<Case>> SqlReader::ListCases(const CaseQuery& q) {
  std::string sql = absl::StrCat("SELECT ", kCaseColumns, " FROM escalation_cases WHERE 1 = 1");
  db::Params params;
  if (!q.unit_id.empty()) {
    sql += " AND unit_id = ?";
    params.emplace_back(q.unit_id);
  }
  if (q.state) {
    sql += " AND state = ?";
    params.emplace_back(static_cast<int>(*q.state));
  }
  if (!q.officer.empty()) {
    sql += " AND officer = ?";
    params.emplace_back(q.officer);
  }
  if (!q.district_code.empty()) {
    sql += " AND district_code = ?";
    params.emplace_back(q.district_code);
  }
  if (q.open_only) {
    sql += absl::StrCat(" AND state <> ", static_cast<int>(CaseState::kClosed));
  }
  if (!q.before_id.empty()) {
    sql += " AND id < ?";
    params.emplace_back(q.before_id);
  }
  sql += absl::StrCat(" ORDER BY id DESC LIMIT ", q.limit);
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  std::vector<Case> out;
  for (const db::Row& r : rows) out.push_back(CaseFromRow(r));
  return out;
}

absl::StatusOr<std::vector<CaseAction>> SqlReader::Actions(const std::string& case_id,
                                                           int64_t after_sequence, int limit) {
  const std::string sql = absl::StrCat(
      "SELECT seq, case_id, kind, actor, note, at_ms, previous_hash, hash FROM"
      " escalation_case_log WHERE seq > ?",
      case_id.empty() ? "" : " AND case_id = ?", " ORDER BY seq LIMIT ", limit);
  db::Params params{after_sequence};
  if (!case_id.empty()) params.emplace_back(case_id);
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  std::vector<CaseAction> out;
  for (const db::Row& r : rows) {
    out.push_back({.sequence = r.Int(0),
                   .case_id = r.Text(1),
                   .kind = static_cast<ActionKind>(r.Int(2)),
                   .actor = r.Text(3),
                   .note = r.Text(4),
                   .time = absl::FromUnixMillis(r.Int(5)),
                   .previous_hash = r.Text(6),
                   .hash = r.Text(7)});
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<CaseKind, int64_t>>> SqlReader::CountOpenCases() {
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT kind, COUNT(*) FROM escalation_cases"
                                              " WHERE state <> ? GROUP BY kind ORDER BY kind",
                                              {static_cast<int>(CaseState::kClosed)}));
  std::vector<std::pair<CaseKind, int64_t>> out;
  for (const db::Row& r : rows) out.emplace_back(static_cast<CaseKind>(r.Int(0)), r.Int(1));
  return out;
}

}  // namespace jiban::escalation
