#include "services/bundle/sql_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/pii/pii.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "nlohmann/json.hpp"
#include "services/bundle/convert.h"

namespace jiban::generated {
::jiban::db::MigrationSet bundle_migrations(::jiban::db::Dialect dialect);
}  // namespace jiban::generated

namespace jiban::bundle {
namespace {

constexpr char kColumns[] = "body, version";

absl::StatusOr<Application> Decode(const db::Row& row) {
  v1::Application p;
  if (!p.ParseFromString(row.Text(0))) return absl::DataLossError("unreadable application row");
  Application a = FromProto(p);
  a.version = row.Int(1);
  return a;
}

absl::StatusOr<std::vector<Application>> DecodeAll(absl::StatusOr<std::vector<db::Row>> rows) {
  JIBAN_RETURN_IF_ERROR(rows.status());
  std::vector<Application> out;
  for (const db::Row& row : *rows) {
    JIBAN_ASSIGN_OR_RETURN(Application a, Decode(row));
    out.push_back(std::move(a));
  }
  return out;
}

int PendingParts(const Application& a) {
  return static_cast<int>(std::count_if(a.parts.begin(), a.parts.end(), [](const Part& p) {
    return p.state == PartState::kPending;
  }));
}

// The stored body: the catalogue without its version, so equal catalogues compare equal.
std::string CatalogueBody(const Catalogue& c) {
  v1::Catalogue p = ToProto(c);
  p.clear_version();
  std::string out;
  p.SerializeToString(&out);
  return out;
}

absl::StatusOr<Catalogue> DecodeCatalogue(const db::Row& row) {
  v1::Catalogue p;
  if (!p.ParseFromString(row.Text(1))) return absl::DataLossError("unreadable catalogue row");
  Catalogue c = FromProto(p);
  c.version = row.Int(0);
  return c;
}

std::string FormAssociatedData(const std::string& application_id) {
  return absl::StrCat("bundle_forms.form_sealed:", application_id);
}

constexpr char kDecisionColumns[] =
    "hotspot_key, kind, action, note, actor, decided_at_ms, window_ms, category, place, match_key,"
    " signature, count_at_decision, label, id";

HotSpotDecision DecodeDecision(const db::Row& r) {
  HotSpotDecision d{.id = r.Text(13),
                    .action = static_cast<ActionKind>(r.Int(2)),
                    .note = r.Text(3),
                    .actor = r.Text(4),
                    .decided_at = absl::FromUnixMillis(r.Int(5)),
                    .window = absl::Milliseconds(r.Int(6))};
  d.spot.key = r.Text(0);
  d.spot.kind = static_cast<HotSpotKind>(r.Int(1));
  d.spot.category = r.Text(7);
  d.spot.place = r.Text(8);
  d.spot.match_key = r.Text(9);
  d.spot.signature = pii::DecodeMinHash(r.Text(10));
  d.spot.count = static_cast<int>(r.Int(11));
  d.spot.label = r.Text(12);
  return d;
}

}  // namespace

std::vector<db::MigrationSet> Migrations(db::Dialect dialect) {
  return {db::PlatformMigrations(dialect), events::Migrations(dialect),
          generated::bundle_migrations(dialect)};
}

absl::StatusOr<std::optional<Application>> SqlStore::GetApplication(const std::string& id) {
  JIBAN_ASSIGN_OR_RETURN(auto row, tx_.QueryOne(absl::StrCat("SELECT ", kColumns,
                                                             " FROM bundle_applications"
                                                             " WHERE id = ?",
                                                             tx_.ForUpdate()),
                                                {id}));
  if (!row) return std::nullopt;
  return Decode(*row);
}

absl::Status SqlStore::PutApplication(Application& a, int64_t expected_version) {
  const int64_t next = expected_version + 1;
  std::string body;
  ToProto(a, absl::InfinitePast()).SerializeToString(&body);
  if (expected_version == 0) {
    JIBAN_RETURN_IF_ERROR(
        tx_.Execute("INSERT INTO bundle_applications (id, tracking_number, bundle_id, state,"
                    " pending, body, version, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    {a.id, a.tracking_number, a.bundle_id, static_cast<int>(a.state),
                     PendingParts(a), db::Blob{body}, next, absl::ToUnixMillis(a.submit_time)})
            .status());
  } else {
    JIBAN_ASSIGN_OR_RETURN(
        int64_t matched,
        tx_.Execute("UPDATE bundle_applications SET state = ?, pending = ?, body = ?, version = ?"
                    " WHERE id = ? AND version = ?",
                    {static_cast<int>(a.state), PendingParts(a), db::Blob{body}, next, a.id,
                     expected_version}));
    JIBAN_RETURN_IF_ERROR(db::ExpectOneRow(matched, "application"));
  }
  a.version = next;
  return absl::OkStatus();
}

absl::Status SqlStore::PutForm(const std::string& application_id,
                               const std::map<std::string, std::string>& form) {
  const std::string json = nlohmann::json(form).dump();
  return tx_
      .Execute("INSERT INTO bundle_forms (application_id, form_sealed) VALUES (?, ?)",
               {application_id, db::Blob{sealer_.Seal(json, FormAssociatedData(application_id))}})
      .status();
}

absl::StatusOr<std::map<std::string, std::string>> SqlStore::GetForm(
    const std::string& application_id) {
  JIBAN_ASSIGN_OR_RETURN(
      auto row, tx_.QueryOne("SELECT form_sealed FROM bundle_forms WHERE application_id = ?",
                             {application_id}));
  if (!row) return std::map<std::string, std::string>{};
  JIBAN_ASSIGN_OR_RETURN(std::string json,
                         sealer_.Open(row->Text(0), FormAssociatedData(application_id)));
  auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return absl::DataLossError("unreadable sealed form");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : parsed.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

absl::StatusOr<std::optional<Store::Claim>> SqlStore::ClaimKey(const std::string& key,
                                                               const Claim& claim) {
  auto inserted = tx_.Execute(
      "INSERT INTO bundle_keys (idempotency_key, fingerprint, application_id, created_at_ms)"
      " VALUES (?, ?, ?, ?)",
      {key, claim.fingerprint, claim.application_id, absl::ToUnixMillis(absl::Now())});
  if (inserted.ok()) return std::nullopt;
  if (inserted.status().code() != absl::StatusCode::kAlreadyExists) return inserted.status();
  JIBAN_ASSIGN_OR_RETURN(auto row, tx_.QueryOne("SELECT fingerprint, application_id FROM"
                                                " bundle_keys WHERE idempotency_key = ?",
                                                {key}));
  if (!row) return absl::AbortedError("idempotency key vanished; retry");
  return Claim{row->Text(0), row->Text(1)};
}

absl::Status SqlStore::Audit(const std::string& application_id, const std::string& action,
                             const std::string& actor, absl::Time time) {
  return tx_
      .Execute(
          "INSERT INTO bundle_audit (application_id, action, actor, time_ms) VALUES (?, ?, ?, ?)",
          {application_id, action, actor, absl::ToUnixMillis(time)})
      .status();
}

absl::Status SqlStore::PutSignal(const Signal& sig) {
  auto inserted = tx_.Execute(
      "INSERT INTO bundle_signals (request_id, time_ms, category, place, place_key, person_key,"
      " consultation, signature, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {sig.id, absl::ToUnixMillis(sig.time), sig.category, sig.place, sig.place_key, sig.person_key,
       sig.consultation ? 1 : 0, db::Blob{pii::EncodeMinHash(sig.signature)}, sig.label});
  if (inserted.status().code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
  return inserted.status();
}

absl::Status SqlStore::SetCategory(const std::string& request_id, const std::string& category) {
  return tx_
      .Execute("UPDATE bundle_signals SET category = ? WHERE request_id = ?",
               {category, request_id})
      .status();
}

absl::StatusOr<std::optional<HotSpotDecision>> SqlStore::GetDecision(const std::string& key) {
  JIBAN_ASSIGN_OR_RETURN(
      auto row, tx_.QueryOne(absl::StrCat("SELECT ", kDecisionColumns,
                                          " FROM bundle_hotspot_decisions WHERE hotspot_key = ?",
                                          tx_.ForUpdate()),
                             {key}));
  if (!row) return std::nullopt;
  return DecodeDecision(*row);
}

absl::Status SqlStore::PutDecision(const HotSpotDecision& d) {
  return tx_
      .Execute(absl::StrCat("INSERT INTO bundle_hotspot_decisions (", kDecisionColumns,
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
               {d.spot.key, static_cast<int>(d.spot.kind), static_cast<int>(d.action), d.note,
                d.actor, absl::ToUnixMillis(d.decided_at), absl::ToInt64Milliseconds(d.window),
                d.spot.category, d.spot.place, d.spot.match_key,
                db::Blob{pii::EncodeMinHash(d.spot.signature)}, d.spot.count, d.spot.label, d.id})
      .status();
}

absl::Status SqlStore::Submitted(const Application& a, const CallContext& call) {
  v1::ApplicationSubmitted e;
  *e.mutable_application() = ToProto(a, a.submit_time);
  return log_.Append(tx_, e, {a.id, call.request_id, call.trace_id});
}

absl::Status SqlStore::Completed(const Application& a, const CallContext& call) {
  v1::ApplicationCompleted e;
  *e.mutable_application() = ToProto(a, a.complete_time.value_or(a.submit_time));
  return log_.Append(tx_, e, {a.id, call.request_id, call.trace_id});
}

absl::Status SqlTransactor::Run(const std::function<absl::Status(Store&)>& fn) {
  return db_.Transact([&](db::Transaction& tx) {
    SqlStore store(tx, log_, sealer_);
    return fn(store);
  });
}

absl::StatusOr<std::optional<Application>> SqlReader::FindApplication(const std::string& key) {
  JIBAN_ASSIGN_OR_RETURN(auto found,
                         DecodeAll(db_.Query(absl::StrCat("SELECT ", kColumns,
                                                          " FROM bundle_applications WHERE id = ?"
                                                          " OR tracking_number = ?"),
                                             {key, key})));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

absl::StatusOr<std::vector<Application>> SqlReader::ListApplications(const ApplicationQuery& q) {
  std::string sql = absl::StrCat("SELECT ", kColumns, " FROM bundle_applications WHERE 1 = 1");
  db::Params params;
  if (!q.bundle_id.empty()) {
    sql += " AND bundle_id = ?";
    params.emplace_back(q.bundle_id);
  }
  if (q.state) {
    sql += " AND state = ?";
    params.emplace_back(static_cast<int>(*q.state));
  }
  if (!q.before_id.empty()) {
    sql += " AND id < ?";
    params.emplace_back(q.before_id);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(q.limit);
  return DecodeAll(db_.Query(sql, params));
}

absl::StatusOr<std::vector<Application>> SqlReader::PendingApplications(int limit) {
  return DecodeAll(db_.Query(absl::StrCat("SELECT ", kColumns,
                                          " FROM bundle_applications WHERE pending > 0"
                                          " ORDER BY id LIMIT ?"),
                             {limit}));
}

absl::StatusOr<std::vector<Signal>> SqlReader::Signals(absl::Time from, absl::Time to) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT request_id, time_ms, category, place, place_key, person_key, consultation,"
                " signature, label FROM bundle_signals WHERE time_ms >= ? AND time_ms < ?"
                " ORDER BY time_ms",
                {absl::ToUnixMillis(from), absl::ToUnixMillis(to)}));
  std::vector<Signal> out;
  out.reserve(rows.size());
  for (const db::Row& r : rows) {
    out.push_back({.id = r.Text(0),
                   .time = absl::FromUnixMillis(r.Int(1)),
                   .category = r.Text(2),
                   .place = r.Text(3),
                   .place_key = r.Text(4),
                   .person_key = r.Text(5),
                   .consultation = r.Int(6) != 0,
                   .signature = pii::DecodeMinHash(r.Text(7)),
                   .label = r.Text(8)});
  }
  return out;
}

absl::StatusOr<std::optional<HotSpotDecision>> SqlReader::FindDecision(const std::string& key) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows, db_.Query(absl::StrCat("SELECT ", kDecisionColumns,
                                        " FROM bundle_hotspot_decisions WHERE hotspot_key = ?"),
                           {key}));
  if (rows.empty()) return std::nullopt;
  return DecodeDecision(rows.front());
}

absl::StatusOr<std::vector<HotSpotDecision>> SqlReader::ListDecisions(const std::string& before_id,
                                                                      int limit) {
  std::string sql = absl::StrCat("SELECT ", kDecisionColumns, " FROM bundle_hotspot_decisions");
  db::Params params;
  if (!before_id.empty()) {
    sql += " WHERE id < ?";
    params.emplace_back(before_id);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(limit);
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  std::vector<HotSpotDecision> out;
  for (const db::Row& r : rows) out.push_back(DecodeDecision(r));
  return out;
}

absl::StatusOr<std::optional<Catalogue>> SqlReader::LatestCatalogue() {
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT version, body FROM bundle_catalogues"
                                              " ORDER BY version DESC LIMIT 1"));
  if (rows.empty()) return std::nullopt;
  return DecodeCatalogue(rows.front());
}

absl::StatusOr<std::optional<Catalogue>> SqlReader::CatalogueVersion(int64_t version) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT version, body FROM bundle_catalogues WHERE version = ?", {version}));
  if (rows.empty()) return std::nullopt;
  return DecodeCatalogue(rows.front());
}

absl::StatusOr<Catalogue> SqlReader::PutCatalogue(const Catalogue& c, const std::string& actor,
                                                  int64_t expected_version) {
  const std::string body = CatalogueBody(c);
  Catalogue stored;
  const absl::Status done = db_.Transact([&](db::Transaction& tx) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto latest,
                           tx.QueryOne(absl::StrCat("SELECT version, body FROM bundle_catalogues"
                                                    " ORDER BY version DESC LIMIT 1",
                                                    tx.ForUpdate())));
    const int64_t current = latest ? latest->Int(0) : 0;
    if (expected_version >= 0 && expected_version != current) {
      return Error(absl::StatusCode::kAborted, "CATALOGUE_CHANGED",
                   "another catalogue version was stored since; read it and retry");
    }
    stored = c;
    if (latest && latest->Text(1) == body) {
      stored.version = current;
      return absl::OkStatus();
    }
    stored.version = current + 1;
    return tx
        .Execute(
            "INSERT INTO bundle_catalogues (version, body, actor, created_at_ms)"
            " VALUES (?, ?, ?, ?)",
            {stored.version, db::Blob{body}, actor, absl::ToUnixMillis(absl::Now())})
        .status();
  });
  if (!done.ok()) return done;
  return stored;
}

}  // namespace jiban::bundle
