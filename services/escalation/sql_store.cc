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
    " cause, due_ms, raised_ms, active, cleared_ms, clear_reason";

Light LightFromRow(const db::Row& r) {
  Light l{.id = r.Text(0),
          .order_id = r.Text(1),
          .request_id = r.Text(2),
          .tracking_number = r.Text(3),
          .unit_id = r.Text(4),
          .unit_name = r.Text(5),
          .answerable = {r.Text(6), r.Text(7)},
          .cause = static_cast<Cause>(r.Int(8)),
          .due = absl::FromUnixMillis(r.Int(9)),
          .raised = absl::FromUnixMillis(r.Int(10)),
          .active = r.Int(11) != 0,
          .clear_reason = r.Text(13)};
  if (auto ms = r.OptionalInt(12)) l.cleared = absl::FromUnixMillis(*ms);
  return l;
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
                   " deadline_ms, signed_for, paused, replied, open_order FROM escalation_orders"
                   " WHERE order_id = ?",
                   {order_id}));
  if (!row) return std::nullopt;
  const db::Row& r = *row;
  return Tracked{.order_id = r.Text(0),
                 .request_id = r.Text(1),
                 .tracking_number = r.Text(2),
                 .unit_id = r.Text(3),
                 .unit_name = r.Text(4),
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
          " sign_for_deadline_ms, deadline_ms, signed_for, paused, replied, open_order)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {t.order_id, t.request_id, t.tracking_number, t.unit_id, t.unit_name, t.answerable.name,
           t.answerable.post, t.lead ? 1 : 0, absl::ToUnixMillis(t.dispatch_time),
           absl::ToUnixMillis(t.clock_start), absl::ToUnixMillis(t.sign_for_deadline),
           absl::ToUnixMillis(t.deadline), t.signed_for ? 1 : 0, t.paused ? 1 : 0,
           t.replied ? 1 : 0, t.open ? 1 : 0})
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
  auto inserted =
      tx_.Execute(absl::StrCat("INSERT INTO escalation_lights (", kLightColumns,
                               ", colour) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                  {l.id, l.order_id, l.request_id, l.tracking_number, l.unit_id, l.unit_name,
                   l.answerable.name, l.answerable.post, static_cast<int>(l.cause),
                   absl::ToUnixMillis(l.due), absl::ToUnixMillis(l.raised), l.active ? 1 : 0,
                   db::Value(), l.clear_reason, static_cast<int>(ColourOf(l.cause))});
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

absl::StatusOr<std::vector<LightCount>> SqlReader::CountActive(const std::string& unit_id) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows, unit_id.empty()
                     ? db_.Query("SELECT cause, COUNT(*) FROM escalation_lights WHERE active = 1"
                                 " GROUP BY cause ORDER BY cause")
                     : db_.Query("SELECT cause, COUNT(*) FROM escalation_lights WHERE active = 1"
                                 " AND unit_id = ? GROUP BY cause ORDER BY cause",
                                 {unit_id}));
  std::vector<LightCount> out;
  for (const db::Row& r : rows) out.push_back({static_cast<Cause>(r.Int(0)), r.Int(1)});
  return out;
}

}  // namespace jiban::escalation
