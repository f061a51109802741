#include "services/intake/sql_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/clock/clock.h"
#include "libs/pii/pii.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "nlohmann/json.hpp"
#include "services/intake/convert.h"

namespace jiban::generated {
db::MigrationSet intake_migrations(db::Dialect dialect);
}  // namespace jiban::generated

namespace jiban::intake {
namespace {

// Column order of kColumns, used by FromRow.
constexpr char kColumns[] =
    "id, tracking_number, channel, nature, status, title, body, district_code, town_code, "
    "address_sealed, latitude, longitude, requester_kind, name_sealed, phone_sealed, "
    "id_number_sealed, enterprise_name, credit_code, confidential, attachments, answer, "
    "guide_entry_id, helper_post_id, help_actions, master_id, satisfaction, resolution, "
    "evaluation_comment, evaluated_at_ms, created_at_ms, updated_at_ms, submitter";
enum Col {
  kId,
  kTracking,
  kChannel,
  kNature,
  kStatus,
  kTitle,
  kBody,
  kDistrict,
  kTown,
  kAddress,
  kLat,
  kLon,
  kKind,
  kName,
  kPhone,
  kIdNumber,
  kEnterpriseName,
  kCreditCode,
  kConfidential,
  kAttachments,
  kAnswer,
  kGuide,
  kHelper,
  kHelpActions,
  kMaster,
  kSatisfaction,
  kResolution,
  kComment,
  kEvaluatedAt,
  kCreated,
  kUpdated,
  kSubmitter,
  kColumnCount  // a query's extra columns come after kColumns
};

std::string AttachmentsJson(const std::vector<Attachment>& list) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& a : list) {
    j.push_back({{"uri", a.uri},
                 {"sha256", a.sha256},
                 {"media_type", a.media_type},
                 {"size_bytes", a.size_bytes}});
  }
  return j.dump();
}

std::vector<Attachment> AttachmentsFromJson(const std::string& text) {
  std::vector<Attachment> out;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return out;
  for (const auto& a : j) {
    out.push_back({a.value("uri", ""), a.value("sha256", ""), a.value("media_type", ""),
                   a.value("size_bytes", int64_t{0})});
  }
  return out;
}

db::Value OrNull(const std::string& s) { return s.empty() ? db::Value() : db::Value(s); }

std::string NormalizedAddress(const std::string& address) {
  std::string half = pii::ToHalfWidth(address);
  half.erase(std::remove_if(half.begin(), half.end(),
                            [](char c) { return c == ' ' || c == '\t' || c == ','; }),
             half.end());
  return half;
}

// Where the personal data of the requester lives in a row.
struct RequesterColumns {
  std::string name, phone, id_number;
};

RequesterColumns PersonalData(const Requester& r) {
  switch (r.kind) {
    case Requester::Kind::kCitizen:
      return {r.citizen.name, r.citizen.phone, r.citizen.id_number};
    case Requester::Kind::kEnterprise:
      return {r.enterprise.contact_name, r.enterprise.contact_phone, ""};
    default:
      return {};
  }
}

}  // namespace

std::vector<db::MigrationSet> Migrations(db::Dialect dialect) {
  return {db::PlatformMigrations(dialect), events::Migrations(dialect),
          generated::intake_migrations(dialect)};
}

db::Value SqlIntakeStore::Seal(const char* column, const std::string& id,
                               const std::string& plain) const {
  if (plain.empty()) return db::Value();
  return db::Blob{sealer_.Seal(plain, absl::StrCat("intake_requests.", column, ":", id))};
}

absl::StatusOr<std::string> SqlIntakeStore::Open(const char* column, const std::string& id,
                                                 const db::Row& row, size_t index) const {
  if (row.IsNull(index)) return std::string();
  return sealer_.Open(row.Text(index), absl::StrCat("intake_requests.", column, ":", id));
}

std::string SqlIntakeStore::AddressKey(const std::string& address) const {
  const std::string normalized = NormalizedAddress(address);
  return normalized.empty() ? "" : sealer_.BlindIndex("address", normalized);
}

absl::StatusOr<Request> SqlIntakeStore::FromRow(const db::Row& row) const {
  Request r;
  r.id = row.Text(kId);
  r.tracking_number = row.Text(kTracking);
  r.channel = static_cast<Channel>(row.Int(kChannel));
  r.nature = static_cast<Nature>(row.Int(kNature));
  r.status = static_cast<Status>(row.Int(kStatus));
  r.title = row.Text(kTitle);
  r.text = row.Text(kBody);
  r.location.district_code = row.Text(kDistrict);
  r.location.town_code = row.Text(kTown);
  JIBAN_ASSIGN_OR_RETURN(r.location.address, Open("address", r.id, row, kAddress));
  if (!row.IsNull(kLat)) {
    r.location.latitude = row.Double(kLat);
    r.location.longitude = row.Double(kLon);
  }
  r.requester.kind = static_cast<Requester::Kind>(row.Int(kKind));
  JIBAN_ASSIGN_OR_RETURN(std::string name, Open("name", r.id, row, kName));
  JIBAN_ASSIGN_OR_RETURN(std::string phone, Open("phone", r.id, row, kPhone));
  if (r.requester.kind == Requester::Kind::kCitizen) {
    JIBAN_ASSIGN_OR_RETURN(std::string id_number, Open("id_number", r.id, row, kIdNumber));
    r.requester.citizen = {name, phone, id_number};
  } else if (r.requester.kind == Requester::Kind::kEnterprise) {
    r.requester.enterprise = {row.Text(kEnterpriseName), row.Text(kCreditCode), name, phone};
  }
  r.confidential = row.Int(kConfidential) != 0;
  r.attachments = AttachmentsFromJson(row.Text(kAttachments));
  r.answer = row.Text(kAnswer);
  r.guide_entry_id = row.Text(kGuide);
  if (!row.IsNull(kHelper)) r.help = HelpDetails{row.Text(kHelper), row.Text(kHelpActions)};
  r.master_id = row.Text(kMaster);
  if (!row.IsNull(kSatisfaction)) {
    r.evaluation = Evaluation{static_cast<Satisfaction>(row.Int(kSatisfaction)),
                              static_cast<Resolution>(row.Int(kResolution)), row.Text(kComment),
                              absl::FromUnixMillis(row.Int(kEvaluatedAt))};
  }
  r.create_time = absl::FromUnixMillis(row.Int(kCreated));
  r.update_time = absl::FromUnixMillis(row.Int(kUpdated));
  r.submitter = row.Text(kSubmitter);
  return r;
}

absl::StatusOr<Request> SqlIntakeStore::Create(const std::string& request_id,
                                               const std::string& canonical, const Request& request,
                                               const Signature& signature,
                                               const CallContext& call) {
  Request stored = request;
  JIBAN_ASSIGN_OR_RETURN(int64_t serial, serials_.Next());
  stored.tracking_number = TrackingNumber(request.create_time, serial);
  const RequesterColumns pd = PersonalData(request.requester);
  const std::string address_key = AddressKey(request.location.address);
  const std::string& id = request.id;
  const bool enterprise = request.requester.kind == Requester::Kind::kEnterprise;
  absl::Status s = db_.Transact([&](db::Transaction& tx) -> absl::Status {
    auto inserted = tx.Execute(
        "INSERT INTO intake_requests (id, tracking_number, client_request_id, fingerprint,"
        " channel, nature, status, title, body, district_code, town_code, address_sealed,"
        " address_index, latitude, longitude, requester_kind, name_sealed, phone_sealed,"
        " phone_index, id_number_sealed, id_number_index, enterprise_name, credit_code,"
        " confidential, attachments, answer, guide_entry_id, helper_post_id, help_actions,"
        " master_id, text_signature, created_at_ms, updated_at_ms, submitter)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?, ?, ?, ?, ?)",
        {id,
         stored.tracking_number,
         request_id,
         sealer_.BlindIndex("fingerprint", canonical),
         static_cast<int>(request.channel),
         static_cast<int>(request.nature),
         static_cast<int>(request.status),
         request.title,
         request.text,
         request.location.district_code,
         request.location.town_code,
         Seal("address", id, request.location.address),
         OrNull(address_key),
         request.location.latitude,
         request.location.longitude,
         static_cast<int>(request.requester.kind),
         Seal("name", id, pd.name),
         Seal("phone", id, pd.phone),
         pd.phone.empty() ? db::Value() : db::Value(sealer_.BlindIndex("phone", pd.phone)),
         Seal("id_number", id, pd.id_number),
         pd.id_number.empty() ? db::Value()
                              : db::Value(sealer_.BlindIndex("id_number", pd.id_number)),
         enterprise ? db::Value(request.requester.enterprise.name) : db::Value(),
         enterprise ? db::Value(request.requester.enterprise.credit_code) : db::Value(),
         request.confidential ? 1 : 0,
         AttachmentsJson(request.attachments),
         OrNull(request.answer),
         OrNull(request.guide_entry_id),
         request.help ? db::Value(request.help->helper_post_id) : db::Value(),
         request.help ? db::Value(request.help->actions) : db::Value(),
         OrNull(request.master_id),
         db::Blob{pii::EncodeMinHash(signature)},
         absl::ToUnixMillis(request.create_time),
         absl::ToUnixMillis(request.update_time),
         request.submitter});
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return Error(absl::StatusCode::kAlreadyExists, "DUPLICATE_REQUEST_ID",
                   "request_id already used");
    }
    JIBAN_RETURN_IF_ERROR(inserted);
    v1::RequestSubmitted event;
    *event.mutable_request() = ToSummary(stored);
    return log_.Append(
        tx, event, {.aggregate_id = id, .request_id = call.request_id, .trace_id = call.trace_id});
  });
  JIBAN_RETURN_IF_ERROR(s);
  if (stored.status == Status::kReceived && DuplicateEligible(stored.nature)) {
    candidates_.Add(stored.location.district_code, {.id = stored.id,
                                                    .master_id = stored.master_id,
                                                    .town_code = stored.location.town_code,
                                                    .address_key = address_key,
                                                    .latitude = stored.location.latitude,
                                                    .longitude = stored.location.longitude,
                                                    .create_time = stored.create_time,
                                                    .signature = signature});
  }
  return stored;
}

absl::StatusOr<std::optional<IntakeStore::Replay>> SqlIntakeStore::FindByRequestId(
    const std::string& request_id, const std::string& canonical) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(absl::StrCat("SELECT ", kColumns,
                             ", fingerprint FROM intake_requests WHERE client_request_id = ?"),
                {request_id}));
  if (rows.empty()) return std::optional<Replay>();
  JIBAN_ASSIGN_OR_RETURN(Request r, FromRow(rows[0]));
  const bool same = rows[0].Text(kColumnCount) == sealer_.BlindIndex("fingerprint", canonical);
  return std::optional<Replay>(Replay{std::move(r), same});
}

absl::Status SqlIntakeStore::Complete(db::Transaction* tx, Request& r) {
  const std::string supplements_sql =
      "SELECT body, attachments, created_at_ms FROM intake_supplements WHERE request_id = ? "
      "ORDER BY pk";
  const std::string members_sql = "SELECT COUNT(*) FROM intake_requests WHERE master_id = ?";
  auto query = [&](const std::string& sql) {
    return tx ? tx->Query(sql, {r.id}) : db_.Query(sql, {r.id});
  };
  JIBAN_ASSIGN_OR_RETURN(auto supplements, query(supplements_sql));
  r.supplements.clear();
  for (const auto& row : supplements) {
    r.supplements.push_back(
        {row.Text(0), AttachmentsFromJson(row.Text(1)), absl::FromUnixMillis(row.Int(2))});
  }
  JIBAN_ASSIGN_OR_RETURN(auto members, query(members_sql));
  r.member_count = static_cast<int>(members.front().Int(0));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Request>> SqlIntakeStore::Get(const std::string& id) {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query(absl::StrCat("SELECT ", kColumns, " FROM intake_requests WHERE id = ?"), {id}));
  if (rows.empty()) return std::optional<Request>();
  JIBAN_ASSIGN_OR_RETURN(Request r, FromRow(rows[0]));
  JIBAN_RETURN_IF_ERROR(Complete(nullptr, r));
  return std::optional<Request>(std::move(r));
}

absl::StatusOr<std::optional<Request>> SqlIntakeStore::GetByTrackingNumber(
    const std::string& tracking_number) {
  JIBAN_ASSIGN_OR_RETURN(auto rows,
                         db_.Query(absl::StrCat("SELECT ", kColumns,
                                                " FROM intake_requests WHERE tracking_number = ?"),
                                   {tracking_number}));
  if (rows.empty()) return std::optional<Request>();
  JIBAN_ASSIGN_OR_RETURN(Request r, FromRow(rows[0]));
  return std::optional<Request>(std::move(r));
}

absl::StatusOr<std::vector<Request>> SqlIntakeStore::List(const ListQuery& query) {
  const Intake::ListFilter& q = query.filter;
  std::vector<std::string> where;
  db::Params params;
  auto filter = [&](const char* clause, db::Value v) {
    where.push_back(clause);
    params.push_back(std::move(v));
  };
  if (q.status != Status::kUnspecified) filter("status = ?", static_cast<int>(q.status));
  if (q.nature != Nature::kUnspecified) filter("nature = ?", static_cast<int>(q.nature));
  if (q.channel != Channel::kUnspecified) filter("channel = ?", static_cast<int>(q.channel));
  if (!q.district_code.empty()) filter("district_code = ?", q.district_code);
  // Time bounds also bound the (time-ordered) id, so the scan walks only that part of the key.
  if (q.from) {
    filter("id >= ?", UlidLowerBound(*q.from));
    filter("created_at_ms >= ?", absl::ToUnixMillis(*q.from));
  }
  if (q.to) {
    filter("id < ?", UlidLowerBound(*q.to + absl::Milliseconds(1)));
    filter("created_at_ms < ?", absl::ToUnixMillis(*q.to));
  }
  if (!q.requester_phone.empty()) {
    filter("phone_index = ?", sealer_.BlindIndex("phone", q.requester_phone));
  }
  if (!q.submitter.empty()) filter("submitter = ?", q.submitter);
  if (!query.before_id.empty()) filter("id < ?", query.before_id);
  params.push_back(query.limit);
  const std::string sql =
      absl::StrCat("SELECT ", kColumns, " FROM intake_requests",
                   where.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(where, " AND ")),
                   " ORDER BY id DESC LIMIT ?");
  JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  std::vector<Request> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    JIBAN_ASSIGN_OR_RETURN(Request r, FromRow(row));
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<TimelineEntry>> SqlIntakeStore::History(const std::string& id) {
  JIBAN_ASSIGN_OR_RETURN(auto rows,
                         db_.Query("SELECT at_ms, status, description FROM intake_history "
                                   "WHERE request_id = ? ORDER BY pk",
                                   {id}));
  std::vector<TimelineEntry> out;
  for (const auto& row : rows) {
    out.push_back({absl::FromUnixMillis(row.Int(0)), static_cast<Status>(row.Int(1)), row.Text(2)});
  }
  return out;
}

absl::StatusOr<std::vector<DuplicateCandidate>> SqlIntakeStore::DuplicateShortlist(
    const std::string& district_code, const DuplicateCandidate& incoming,
    const DuplicatePolicy& policy) {
  return candidates_.Shortlist(district_code, incoming, policy);
}

absl::Status SqlIntakeStore::FillTexts(std::vector<DuplicateCandidate>& candidates) {
  // Re-read each shortlisted candidate: its text, and whether it is still open (a cached entry
  // may have been withdrawn or merged since).
  std::vector<DuplicateCandidate> open;
  for (auto& c : candidates) {
    JIBAN_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT title, body, status, master_id "
                                                "FROM intake_requests WHERE id = ?",
                                                {c.id}));
    if (rows.empty() || !IsOpen(static_cast<Status>(rows[0].Int(2)))) continue;
    c.title = rows[0].Text(0);
    c.text = rows[0].Text(1);
    c.master_id = rows[0].Text(3);
    open.push_back(std::move(c));
  }
  candidates = std::move(open);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Request>> SqlIntakeStore::Update(const std::vector<std::string>& ids,
                                                            const Decide& decide, absl::Time at,
                                                            const std::string& idempotency_key,
                                                            const CallContext& call) {
  std::vector<std::string> sorted = ids;  // a fixed lock order: no deadlock between mergers
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<Request> result;
  absl::Status s = db_.Transact([&](db::Transaction& tx) -> absl::Status {
    result.clear();
    if (!idempotency_key.empty()) {
      JIBAN_ASSIGN_OR_RETURN(auto seen, tx.QueryOne("SELECT request_id FROM intake_supplements "
                                                    "WHERE client_request_id = ?",
                                                    {idempotency_key}));
      if (seen.has_value()) {
        if (sorted.size() != 1 || seen->Text(0) != sorted.front()) {
          return Error(absl::StatusCode::kAlreadyExists, "REQUEST_ID_REUSED",
                       "request_id was already used for a different request");
        }
        JIBAN_ASSIGN_OR_RETURN(
            auto row,
            tx.QueryOne(absl::StrCat("SELECT ", kColumns, " FROM intake_requests WHERE id = ?"),
                        {sorted.front()}));
        JIBAN_ASSIGN_OR_RETURN(Request r, FromRow(*row));
        JIBAN_RETURN_IF_ERROR(Complete(&tx, r));
        result.push_back(std::move(r));
        return absl::OkStatus();
      }
    }
    v1::RequestsMerged merged;
    for (const std::string& id : sorted) {
      JIBAN_ASSIGN_OR_RETURN(
          auto row, tx.QueryOne(absl::StrCat("SELECT ", kColumns,
                                             " FROM intake_requests WHERE id = ?", tx.ForUpdate()),
                                {id}));
      if (!row.has_value()) {
        return Error(absl::StatusCode::kNotFound, "REQUEST_NOT_FOUND",
                     absl::StrCat("no request with id ", id));
      }
      JIBAN_ASSIGN_OR_RETURN(Request r, FromRow(*row));
      JIBAN_RETURN_IF_ERROR(Complete(&tx, r));
      auto m = decide(r);
      if (m.status().code() == absl::StatusCode::kCancelled) {
        result.push_back(std::move(r));
        continue;
      }
      JIBAN_RETURN_IF_ERROR(m.status());
      r.status = m->status;
      r.update_time = at;
      events::EventContext ctx{
          .aggregate_id = id, .request_id = call.request_id, .trace_id = call.trace_id};
      switch (m->kind) {
        case Mutation::Kind::kSupplement: {
          const Supplement& sup = *m->supplement;
          auto inserted = tx.Execute(
              "INSERT INTO intake_supplements (request_id, client_request_id, body, attachments,"
              " created_at_ms) VALUES (?, ?, ?, ?, ?)",
              {id, idempotency_key, sup.text, AttachmentsJson(sup.attachments),
               absl::ToUnixMillis(sup.create_time)});
          if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
            // A racing retry committed first: run again, and the check above returns it.
            return absl::AbortedError("supplement committed concurrently; retry");
          }
          JIBAN_RETURN_IF_ERROR(inserted);
          r.supplements.push_back(sup);
          v1::RequestSupplemented e;
          e.set_id(id);
          *e.mutable_supplement() = ToProto(sup);
          JIBAN_RETURN_IF_ERROR(log_.Append(tx, e, ctx));
          break;
        }
        case Mutation::Kind::kWithdraw: {
          v1::RequestWithdrawn e;
          e.set_id(id);
          JIBAN_RETURN_IF_ERROR(log_.Append(tx, e, ctx));
          break;
        }
        case Mutation::Kind::kEvaluate: {
          r.evaluation = m->evaluation;
          v1::RequestEvaluated e;
          e.set_id(id);
          *e.mutable_evaluation() = ToProto(*m->evaluation);
          JIBAN_RETURN_IF_ERROR(log_.Append(tx, e, ctx));
          break;
        }
        case Mutation::Kind::kMerge:
          r.master_id = m->master_id;
          merged.set_master_id(m->master_id);
          merged.add_member_ids(id);
          break;
        case Mutation::Kind::kUnmerge: {
          r.master_id.clear();
          v1::RequestsMerged e;
          e.set_master_id(m->master_id);
          e.add_member_ids(id);
          e.set_unmerged(true);
          JIBAN_RETURN_IF_ERROR(log_.Append(tx, e, ctx));
          break;
        }
      }
      const Evaluation* ev = r.evaluation ? &*r.evaluation : nullptr;
      JIBAN_RETURN_IF_ERROR(tx.Execute(
          "UPDATE intake_requests SET status = ?, master_id = ?, satisfaction = ?, resolution = ?,"
          " evaluation_comment = ?, evaluated_at_ms = ?, updated_at_ms = ? WHERE id = ?",
          {static_cast<int>(r.status), OrNull(r.master_id),
           ev ? db::Value(static_cast<int>(ev->satisfaction)) : db::Value(),
           ev ? db::Value(static_cast<int>(ev->resolution)) : db::Value(),
           ev ? db::Value(ev->comment) : db::Value(),
           ev ? db::Value(absl::ToUnixMillis(ev->create_time)) : db::Value(),
           absl::ToUnixMillis(at), id}));
      JIBAN_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO intake_history (request_id, at_ms, status, description) VALUES (?, ?, ?, ?)",
          {id, absl::ToUnixMillis(at), static_cast<int>(r.status), m->description}));
      result.push_back(std::move(r));
    }
    if (merged.member_ids_size() > 0) {
      JIBAN_RETURN_IF_ERROR(log_.Append(tx, merged,
                                        {.aggregate_id = merged.master_id(),
                                         .request_id = call.request_id,
                                         .trace_id = call.trace_id}));
    }
    return absl::OkStatus();
  });
  JIBAN_RETURN_IF_ERROR(s);
  // Callers get the requests in the order they named them.
  std::vector<Request> ordered;
  for (const std::string& id : ids) {
    for (const Request& r : result) {
      if (r.id == id) {
        ordered.push_back(r);
        break;
      }
    }
  }
  return ordered;
}

absl::Status SqlIntakeStore::RecordSealedReads(const std::vector<std::string>& request_ids,
                                               const std::string& reader, absl::Time at,
                                               const CallContext& call) {
  return db_.Transact([&](db::Transaction& tx) -> absl::Status {
    for (const std::string& id : request_ids) {
      JIBAN_RETURN_IF_ERROR(tx.Execute("INSERT INTO intake_sealed_reads (request_id, reader,"
                                       " call_request_id, trace_id, at_ms) VALUES (?, ?, ?, ?, ?)",
                                       {id, reader.substr(0, 200), call.request_id, call.trace_id,
                                        absl::ToUnixMillis(at)})
                                .status());
    }
    return absl::OkStatus();
  });
}

absl::Status SqlIntakeStore::ApplyProgress(db::Transaction& tx, const RoutingProgress& p) {
  JIBAN_ASSIGN_OR_RETURN(auto row, tx.QueryOne(absl::StrCat("SELECT status FROM intake_requests"
                                                            " WHERE id = ?",
                                                            tx.ForUpdate()),
                                               {p.request_id}));
  if (!row) return absl::OkStatus();
  const auto step = StepFor(static_cast<Status>(row->Int(0)), p);
  if (!step) return absl::OkStatus();
  const int64_t at = absl::ToUnixMillis(p.at);
  JIBAN_RETURN_IF_ERROR(
      tx.Execute(absl::StrCat("UPDATE intake_requests SET status = ?, updated_at_ms = ?",
                              step->clears_evaluation
                                  ? ", satisfaction = NULL, resolution = NULL,"
                                    " evaluation_comment = NULL, evaluated_at_ms = NULL"
                                  : "",
                              " WHERE id = ?"),
                 {static_cast<int>(step->status), at, p.request_id})
          .status());
  return tx
      .Execute(
          "INSERT INTO intake_history (request_id, at_ms, status, description)"
          " VALUES (?, ?, ?, ?)",
          {p.request_id, at, static_cast<int>(step->status), step->description})
      .status();
}

}  // namespace jiban::intake
