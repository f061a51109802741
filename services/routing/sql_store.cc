#include "services/routing/sql_store.h"

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/db/sequence.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "services/routing/convert.h"

namespace jiban::generated {
::jiban::db::MigrationSet routing_migrations(::jiban::db::Dialect dialect);
}  // namespace jiban::generated

namespace jiban::routing {
namespace {

constexpr char kRequestColumns[] =
    "id, tracking_number, nature, title, district_code, town_code, enterprise, created_at_ms,"
    " state, triage_reason, category, confidence, excluded_units, return_count, clock_start_ms,"
    " paused_working_days, updated_at_ms";

RoutedRequest RequestFromRow(const db::Row& row) {
  RoutedRequest r;
  r.facts.id = row.Text(0);
  r.facts.tracking_number = row.Text(1);
  r.facts.nature = static_cast<Nature>(row.Int(2));
  r.facts.title = row.Text(3);
  r.facts.district_code = row.Text(4);
  r.facts.town_code = row.Text(5);
  r.facts.enterprise = row.Int(6) != 0;
  r.facts.create_time = absl::FromUnixMillis(row.Int(7));
  r.state = static_cast<RequestState>(row.Int(8));
  r.triage_reason = row.Text(9);
  r.category = row.Text(10);
  r.confidence = row.Double(11);
  const std::string excluded = row.Text(12);
  if (!excluded.empty()) r.excluded_units = absl::StrSplit(excluded, ',');
  r.return_count = static_cast<int>(row.Int(13));
  if (auto ms = row.OptionalInt(14)) r.clock_start = absl::FromUnixMillis(*ms);
  r.paused_working_days = static_cast<int>(row.Int(15));
  r.update_time = absl::FromUnixMillis(row.Int(16));
  return r;
}

absl::StatusOr<WorkOrder> OrderFromBody(const std::string& body) {
  v1::WorkOrder p;
  if (!p.ParseFromString(body)) {
    return Error(absl::StatusCode::kDataLoss, "ORDER_CORRUPT", "a stored work order is unreadable");
  }
  return FromProto(p);
}

events::EventContext Context(const std::string& aggregate, const CallContext& call) {
  return {.aggregate_id = aggregate, .request_id = call.request_id, .trace_id = call.trace_id};
}

}  // namespace

std::vector<db::MigrationSet> Migrations(db::Dialect dialect) {
  return {db::PlatformMigrations(dialect), events::Migrations(dialect),
          generated::routing_migrations(dialect)};
}

absl::StatusOr<std::optional<RoutedRequest>> SqlStore::GetRequest(const std::string& id,
                                                                  bool for_update) {
  JIBAN_ASSIGN_OR_RETURN(auto row, tx_.QueryOne(absl::StrCat("SELECT ", kRequestColumns,
                                                             " FROM routing_requests WHERE id = ?",
                                                             for_update ? tx_.ForUpdate() : ""),
                                                {id}));
  if (!row) return std::nullopt;
  return RequestFromRow(*row);
}

absl::Status SqlStore::PutRequest(const RoutedRequest& r, bool insert) {
  // Built value by value: GCC 12 misreads braced lists of variants as uninitialised.
  db::Value clock;
  if (r.clock_start) clock = db::Value(absl::ToUnixMillis(*r.clock_start));
  db::Params params;
  if (insert) {
    for (db::Value v : {db::Value(r.facts.id), db::Value(r.facts.tracking_number),
                        db::Value(static_cast<int>(r.facts.nature)),
                        db::Value(r.facts.title.substr(0, 1200)), db::Value(r.facts.district_code),
                        db::Value(r.facts.town_code), db::Value(r.facts.enterprise ? 1 : 0),
                        db::Value(absl::ToUnixMillis(r.facts.create_time))}) {
      params.push_back(std::move(v));
    }
  }
  params.emplace_back(static_cast<int>(r.state));
  params.emplace_back(r.triage_reason);
  if (insert) {
    params.emplace_back(r.category);
    params.emplace_back(r.confidence);
    params.emplace_back(absl::StrJoin(r.excluded_units, ","));
  }
  params.emplace_back(r.return_count);
  params.push_back(clock);
  params.emplace_back(r.paused_working_days);
  params.emplace_back(absl::ToUnixMillis(r.update_time));
  if (insert) {
    return tx_
        .Execute(absl::StrCat("INSERT INTO routing_requests (id, tracking_number, nature, title,"
                              " district_code, town_code, enterprise, created_at_ms, state,"
                              " triage_reason, category, confidence, excluded_units, return_count,"
                              " clock_start_ms, paused_working_days, updated_at_ms)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 params)
        .status();
  }
  params.emplace_back(r.facts.id);
  JIBAN_ASSIGN_OR_RETURN(
      int64_t n,
      tx_.Execute("UPDATE routing_requests SET state = ?, triage_reason = ?, return_count = ?,"
                  " clock_start_ms = ?, paused_working_days = ?, updated_at_ms = ? WHERE id = ?",
                  params));
  return db::ExpectOneRow(n, "routing request");
}

absl::StatusOr<std::optional<WorkOrder>> SqlStore::GetOrder(const std::string& id,
                                                            bool for_update) {
  JIBAN_ASSIGN_OR_RETURN(auto row, tx_.QueryOne(absl::StrCat("SELECT body FROM routing_orders"
                                                             " WHERE id = ?",
                                                             for_update ? tx_.ForUpdate() : ""),
                                                {id}));
  if (!row) return std::nullopt;
  return OrderFromBody(row->Text(0));
}

absl::StatusOr<std::vector<WorkOrder>> SqlStore::OrdersOfRequest(const std::string& request_id,
                                                                 bool for_update) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows, tx_.Query(absl::StrCat("SELECT body FROM routing_orders WHERE request_id = ?"
                                        " ORDER BY id",
                                        for_update ? tx_.ForUpdate() : ""),
                           {request_id}));
  std::vector<WorkOrder> out;
  for (const db::Row& row : rows) {
    JIBAN_ASSIGN_OR_RETURN(WorkOrder o, OrderFromBody(row.Text(0)));
    out.push_back(std::move(o));
  }
  return out;
}

absl::Status SqlStore::PutOrder(const WorkOrder& o, int64_t expected_version) {
  const std::string body = ToProto(o).SerializeAsString();
  if (expected_version == 0) {
    return tx_
        .Execute(
            "INSERT INTO routing_orders (id, request_id, unit_id, state, deadline_ms,"
            " version, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            {o.id, o.request_id, o.unit_id, static_cast<int>(o.state),
             absl::ToUnixMillis(o.deadline), o.version, db::Blob{body}})
        .status();
  }
  JIBAN_ASSIGN_OR_RETURN(
      int64_t n,
      tx_.Execute("UPDATE routing_orders SET state = ?, deadline_ms = ?, version = ?, body = ?"
                  " WHERE id = ? AND version = ?",
                  {static_cast<int>(o.state), absl::ToUnixMillis(o.deadline), o.version,
                   db::Blob{body}, o.id, expected_version}));
  if (n != 1) {
    return Error(absl::StatusCode::kAborted, "ORDER_CHANGED",
                 "the work order changed concurrently; retry");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SqlStore::ClaimKey(const std::string& key, const std::string& object_id) {
  auto inserted = tx_.Execute(
      "INSERT INTO routing_idempotency (idempotency_key, object_id, created_at_ms)"
      " VALUES (?, ?, ?)",
      {key, object_id, absl::ToUnixMillis(absl::Now())});
  if (inserted.status().code() == absl::StatusCode::kAlreadyExists) return false;
  JIBAN_RETURN_IF_ERROR(inserted.status());
  return true;
}

absl::Status SqlStore::Dispatched(const std::vector<WorkOrder>& orders, const CallContext& call) {
  if (orders.empty()) return absl::OkStatus();
  v1::OrdersDispatched e;
  for (const WorkOrder& o : orders) *e.add_orders() = ToProto(o);
  return log_.Append(tx_, e, Context(orders.front().request_id, call));
}

absl::Status SqlStore::Triaged(const RoutedRequest& r, const CallContext& call) {
  v1::RequestTriaged e;
  *e.mutable_item() = ToTriageItem(r);
  return log_.Append(tx_, e, Context(r.facts.id, call));
}

absl::Status SqlStore::Changed(const OrderChange& change, const CallContext& call) {
  v1::OrderChanged e;
  e.set_change(change.change);
  *e.mutable_order() = ToProto(change.order);
  e.set_request_return_count(change.request_return_count);
  return log_.Append(tx_, e, Context(change.order.request_id, call));
}

absl::Status SqlTransactor::Run(const std::function<absl::Status(Store&)>& fn) {
  return db_.Transact([&](db::Transaction& tx) {
    SqlStore store(tx, log_);
    return fn(store);
  });
}

absl::StatusOr<std::optional<WorkOrder>> SqlReader::FindOrder(const std::string& id) {
  JIBAN_ASSIGN_OR_RETURN(auto rows,
                         db_.Query("SELECT body FROM routing_orders WHERE id = ?", {id}));
  if (rows.empty()) return std::nullopt;
  return OrderFromBody(rows[0].Text(0));
}

absl::StatusOr<std::vector<WorkOrder>> SqlReader::ListOrders(const OrderQuery& q) {
  std::string sql = "SELECT body FROM routing_orders WHERE 1 = 1";
  db::Params params;
  if (!q.unit_id.empty()) {
    sql += " AND unit_id = ?";
    params.push_back(q.unit_id);
  }
  if (!q.request_id.empty()) {
    sql += " AND request_id = ?";
    params.push_back(q.request_id);
  }
  if (q.state) {
    sql += " AND state = ?";
    params.push_back(static_cast<int>(*q.state));
  }
  if (!q.before_id.empty()) {
    sql += " AND id < ?";
    params.push_back(q.before_id);
  }
  sql += absl::StrCat(" ORDER BY id DESC LIMIT ", q.limit);
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  std::vector<WorkOrder> out;
  for (const db::Row& row : rows) {
    JIBAN_ASSIGN_OR_RETURN(WorkOrder o, OrderFromBody(row.Text(0)));
    out.push_back(std::move(o));
  }
  return out;
}

absl::StatusOr<std::vector<RoutedRequest>> SqlReader::ListTriage(const std::string& after_id,
                                                                 int limit) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(absl::StrCat("SELECT ", kRequestColumns,
                             " FROM routing_requests WHERE state = ? AND id > ? ORDER BY id LIMIT ",
                             limit),
                {static_cast<int>(RequestState::kTriage), after_id}));
  std::vector<RoutedRequest> out;
  for (const db::Row& row : rows) out.push_back(RequestFromRow(row));
  return out;
}

absl::StatusOr<std::vector<Unit>> ConfigStore::Units() {
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT body FROM routing_units ORDER BY id"));
  std::vector<Unit> out;
  for (const db::Row& row : rows) {
    v1::Unit p;
    if (!p.ParseFromString(row.Text(0))) {
      return Error(absl::StatusCode::kDataLoss, "UNIT_CORRUPT", "a stored unit is unreadable");
    }
    out.push_back(FromProto(p));
  }
  return out;
}

absl::Status ConfigStore::Audit(db::Transaction& tx, const std::string& actor,
                                const std::string& action, const std::string& object_id,
                                const std::string& body) {
  return tx
      .Execute(
          "INSERT INTO routing_audit (id, actor, action, object_id, body, created_at_ms)"
          " VALUES (?, ?, ?, ?, ?, ?)",
          {ids_.Next(), actor.substr(0, 128), action, object_id, db::Blob{body},
           absl::ToUnixMillis(clock_.Now())})
      .status();
}

absl::StatusOr<int> ConfigStore::PutUnits(const std::vector<Unit>& units,
                                          const std::string& actor) {
  int changed = 0;
  const absl::Status done = db_.Transact([&](db::Transaction& tx) -> absl::Status {
    changed = 0;
    for (const Unit& u : units) {
      const std::string body = ToProto(u).SerializeAsString();
      JIBAN_ASSIGN_OR_RETURN(auto row, tx.QueryOne(absl::StrCat("SELECT body FROM routing_units"
                                                                " WHERE id = ?",
                                                                tx.ForUpdate()),
                                                   {u.id}));
      if (row && row->Text(0) == body) continue;
      const int64_t now = absl::ToUnixMillis(clock_.Now());
      if (row) {
        JIBAN_RETURN_IF_ERROR(tx.Execute("UPDATE routing_units SET body = ?, updated_at_ms = ?"
                                         " WHERE id = ?",
                                         {db::Blob{body}, now, u.id})
                                  .status());
      } else {
        JIBAN_RETURN_IF_ERROR(tx.Execute("INSERT INTO routing_units (id, body, updated_at_ms)"
                                         " VALUES (?, ?, ?)",
                                         {u.id, db::Blob{body}, now})
                                  .status());
      }
      JIBAN_RETURN_IF_ERROR(Audit(tx, actor, row ? "unit_updated" : "unit_added", u.id, body));
      ++changed;
    }
    return absl::OkStatus();
  });
  JIBAN_RETURN_IF_ERROR(done);
  return changed;
}

namespace {
absl::StatusOr<DispatchList> ListFromRow(const db::Row& row) {
  v1::DispatchList p;
  if (!p.ParseFromString(row.Text(1))) {
    return Error(absl::StatusCode::kDataLoss, "DISPATCH_LIST_CORRUPT",
                 "a stored dispatch list is unreadable");
  }
  DispatchList l = FromProto(p);
  l.version = row.Int(0);
  l.create_time = absl::FromUnixMillis(row.Int(2));
  return l;
}

// The rules only (version and time zeroed): what "the same list" means.
std::string RulesOf(DispatchList l) {
  l.version = 0;
  l.create_time = absl::Time();
  return ToProto(l).SerializeAsString();
}
}  // namespace

absl::StatusOr<std::optional<DispatchList>> ConfigStore::LatestList() {
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT version, body, created_at_ms FROM"
                                              " routing_dispatch_lists ORDER BY version DESC"
                                              " LIMIT 1"));
  if (rows.empty()) return std::nullopt;
  return ListFromRow(rows[0]);
}

absl::StatusOr<std::optional<DispatchList>> ConfigStore::ListVersion(int64_t version) {
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT version, body, created_at_ms FROM"
                                              " routing_dispatch_lists WHERE version = ?",
                                              {version}));
  if (rows.empty()) return std::nullopt;
  return ListFromRow(rows[0]);
}

absl::StatusOr<DispatchList> ConfigStore::PutList(const DispatchList& list,
                                                  const std::string& actor,
                                                  int64_t expected_version) {
  DispatchList stored;
  const absl::Status done = db_.Transact([&](db::Transaction& tx) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(
        auto rows, tx.Query(absl::StrCat("SELECT version, body, created_at_ms FROM"
                                         " routing_dispatch_lists ORDER BY version DESC LIMIT 1",
                                         tx.ForUpdate())));
    std::optional<DispatchList> latest;
    if (!rows.empty()) {
      JIBAN_ASSIGN_OR_RETURN(latest, ListFromRow(rows[0]));
    }
    const int64_t current = latest ? latest->version : 0;
    if (expected_version >= 0 && expected_version != current) {
      return Error(absl::StatusCode::kAborted, "DISPATCH_LIST_CHANGED",
                   "the dispatch list changed since it was read; read it again");
    }
    if (latest && RulesOf(*latest) == RulesOf(list)) {
      stored = *latest;
      return absl::OkStatus();
    }
    stored = list;
    stored.version = current + 1;
    stored.create_time = clock_.Now();
    const std::string body = RulesOf(list);
    auto inserted = tx.Execute(
        "INSERT INTO routing_dispatch_lists (version, body, actor, created_at_ms)"
        " VALUES (?, ?, ?, ?)",
        {stored.version, db::Blob{body}, actor.substr(0, 128),
         absl::ToUnixMillis(stored.create_time)});
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AbortedError("a concurrent dispatch list update; retry");
    }
    JIBAN_RETURN_IF_ERROR(inserted.status());
    return Audit(tx, actor, "dispatch_list_updated", absl::StrCat(stored.version), body);
  });
  JIBAN_RETURN_IF_ERROR(done);
  return stored;
}

}  // namespace jiban::routing
