#include "services/intake/sql_store.h"

#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "services/intake/convert.h"

namespace jiban::generated {
db::MigrationSet intake_migrations(db::Dialect dialect);
}  // namespace jiban::generated

namespace jiban::intake {
namespace {

constexpr char kColumns[] =
    "id, tracking_number, channel, nature, title, body, district_code, town_code, latitude, "
    "longitude, status, created_at_ms, fingerprint";

Request FromRow(const db::Row& row) {
  Request r;
  r.id = row.Text(0);
  r.tracking_number = row.Text(1);
  r.channel = static_cast<Channel>(row.Int(2));
  r.nature = static_cast<Nature>(row.Int(3));
  r.title = row.Text(4);
  r.text = row.Text(5);
  r.location.district_code = row.Text(6);
  r.location.town_code = row.Text(7);
  if (!row.IsNull(8)) r.location.latitude = row.Double(8);
  if (!row.IsNull(9)) r.location.longitude = row.Double(9);
  r.status = static_cast<Status>(row.Int(10));
  r.create_time = absl::FromUnixMillis(row.Int(11));
  return r;
}

}  // namespace

std::vector<db::MigrationSet> Migrations(db::Dialect dialect) {
  return {db::PlatformMigrations(dialect), events::Migrations(dialect),
          generated::intake_migrations(dialect)};
}

absl::StatusOr<Request> SqlIntakeStore::Create(const std::string& request_id,
                                               const std::string& fingerprint,
                                               const Request& request, const CallContext& call) {
  Request stored = request;
  JIBAN_ASSIGN_OR_RETURN(int64_t serial, serials_.Next());
  stored.tracking_number = TrackingNumber(request.create_time, serial);
  absl::Status s = db_.Transact([&](db::Transaction& tx) -> absl::Status {
    auto inserted = tx.Execute(
        "INSERT INTO intake_requests (id, tracking_number, client_request_id, fingerprint,"
        " channel, nature, title, body, district_code, town_code, latitude, longitude, status,"
        " created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {request.id, stored.tracking_number, request_id, fingerprint,
         static_cast<int>(request.channel),
         static_cast<int>(request.nature), request.title, request.text,
         request.location.district_code, request.location.town_code, request.location.latitude,
         request.location.longitude, static_cast<int>(request.status),
         absl::ToUnixMillis(request.create_time)});
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return Error(absl::StatusCode::kAlreadyExists, "DUPLICATE_REQUEST_ID",
                   "request_id already used");
    }
    JIBAN_RETURN_IF_ERROR(inserted);
    v1::RequestSubmitted event;
    *event.mutable_request() = ToProto(stored);
    return log_.Append(tx, event,
                       {.aggregate_id = stored.id, .request_id = call.request_id,
                        .trace_id = call.trace_id});
  });
  JIBAN_RETURN_IF_ERROR(s);
  return stored;
}

absl::StatusOr<std::optional<StoredSubmission>> SqlIntakeStore::FindByRequestId(
    const std::string& request_id) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows, db_.Query(absl::StrCat("SELECT ", kColumns,
                                        " FROM intake_requests WHERE client_request_id = ?"),
                           {request_id}));
  if (rows.empty()) return std::optional<StoredSubmission>();
  return std::optional<StoredSubmission>(StoredSubmission{FromRow(rows[0]), rows[0].Text(12)});
}

absl::StatusOr<std::optional<Request>> SqlIntakeStore::Get(const std::string& id) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(absl::StrCat("SELECT ", kColumns, " FROM intake_requests WHERE id = ?"), {id}));
  if (rows.empty()) return std::optional<Request>();
  return std::optional<Request>(FromRow(rows[0]));
}

}  // namespace jiban::intake
