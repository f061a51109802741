#include "libs/db/db.h"

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/db/drivers.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"

namespace jiban::db {
namespace internal {
namespace {
absl::Status Make(absl::StatusCode code, absl::string_view reason, absl::string_view what,
                  absl::string_view driver, int err) {
  return Error(code, reason, absl::StrCat(what, " (", driver, " error ", err, ")"));
}
}  // namespace

absl::Status DuplicateKey(absl::string_view driver, int code) {
  return Make(absl::StatusCode::kAlreadyExists, "DB_DUPLICATE_KEY", "duplicate key", driver, code);
}
absl::Status Conflict(absl::string_view driver, int code) {
  return Make(absl::StatusCode::kAborted, "DB_CONFLICT",
              "transaction conflict (deadlock, lock wait or busy); retry", driver, code);
}
absl::Status Unavailable(absl::string_view driver, int code) {
  return Make(absl::StatusCode::kUnavailable, "DB_UNAVAILABLE", "database unavailable", driver,
              code);
}
absl::Status ConstraintViolated(absl::string_view driver, int code) {
  return Make(absl::StatusCode::kFailedPrecondition, "DB_CONSTRAINT", "constraint violated",
              driver, code);
}
absl::Status DbError(absl::string_view driver, int code) {
  return Make(absl::StatusCode::kInternal, "DB_ERROR", "database error", driver, code);
}

absl::StatusOr<MySqlTarget> ParseMySqlDsn(absl::string_view dsn) {
  auto bad = [](absl::string_view why) {
    return Error(absl::StatusCode::kInvalidArgument, "INVALID_DSN",
                 absl::StrCat("mysql DSN must look like mysql://user[:password]@host[:port]/"
                              "database: ",
                              why));
  };
  constexpr absl::string_view kScheme = "mysql://";
  if (!absl::StartsWith(dsn, kScheme)) return bad("wrong scheme");
  absl::string_view rest = dsn.substr(kScheme.size());
  MySqlTarget t;
  const size_t at = rest.rfind('@');
  if (at == absl::string_view::npos) return bad("no user");
  absl::string_view userinfo = rest.substr(0, at);
  rest = rest.substr(at + 1);
  const size_t colon = userinfo.find(':');
  t.user = std::string(userinfo.substr(0, colon));
  if (colon != absl::string_view::npos) t.password = std::string(userinfo.substr(colon + 1));
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return bad("no database");
  absl::string_view hostport = rest.substr(0, slash);
  t.database = std::string(rest.substr(slash + 1));
  const size_t pc = hostport.rfind(':');
  t.host = std::string(hostport.substr(0, pc));
  if (pc != absl::string_view::npos &&
      (!absl::SimpleAtoi(hostport.substr(pc + 1), &t.port) || t.port <= 0 || t.port > 65535)) {
    return bad("bad port");
  }
  if (t.user.empty() || t.host.empty() || t.database.empty()) return bad("empty part");
  for (char c : t.database) {
    if (!(absl::ascii_isalnum(c) || c == '_')) return bad("database name must be [A-Za-z0-9_]");
  }
  return t;
}
}  // namespace internal

int64_t Row::Int(size_t i) const {
  const auto& v = values_.at(i).variant();
  if (auto* p = std::get_if<int64_t>(&v)) return *p;
  if (auto* p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
  if (auto* p = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    if (absl::SimpleAtoi(*p, &out)) return out;
  }
  return 0;
}

double Row::Double(size_t i) const {
  const auto& v = values_.at(i).variant();
  if (auto* p = std::get_if<double>(&v)) return *p;
  if (auto* p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (auto* p = std::get_if<std::string>(&v)) {
    double out = 0;
    if (absl::SimpleAtod(*p, &out)) return out;
  }
  return 0;
}

std::string Row::Text(size_t i) const {
  const auto& v = values_.at(i).variant();
  if (auto* p = std::get_if<std::string>(&v)) return *p;
  if (auto* p = std::get_if<Blob>(&v)) return p->bytes;
  if (auto* p = std::get_if<int64_t>(&v)) return absl::StrCat(*p);
  if (auto* p = std::get_if<double>(&v)) return absl::StrCat(*p);
  return "";
}

std::optional<int64_t> Row::OptionalInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::optional<std::string> Row::OptionalText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

Lease::~Lease() {
  if (conn_ != nullptr) db_->Release(std::move(conn_));
}

Transaction::~Transaction() {
  if (!done_ && lease_) (void)lease_->Rollback();
  Finish();
}

void Transaction::Finish() {
  done_ = true;
  if (write_lock_ != nullptr) std::exchange(write_lock_, nullptr)->Unlock();
}

absl::StatusOr<int64_t> Transaction::Execute(absl::string_view sql, const Params& params) {
  return lease_->Execute(sql, params);
}

absl::StatusOr<std::vector<Row>> Transaction::Query(absl::string_view sql, const Params& params) {
  return lease_->Query(sql, params);
}

absl::StatusOr<std::optional<Row>> Transaction::QueryOne(absl::string_view sql,
                                                         const Params& params) {
  JIBAN_ASSIGN_OR_RETURN(auto rows, lease_->Query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows.front()));
}

absl::string_view Transaction::ForUpdate() const {
  return dialect() == Dialect::kMySql ? " FOR UPDATE" : "";
}

absl::Status Transaction::Commit() {
  if (done_) return absl::FailedPreconditionError("transaction already finished");
  absl::Status s = lease_->Commit();
  if (!s.ok()) (void)lease_->Rollback();
  Finish();
  if (!s.ok()) return s;
  for (auto& fn : on_commit_) fn();
  return absl::OkStatus();
}

Database::Database(PrivateTag, Dialect dialect, Factory factory, Options options)
    : dialect_(dialect), factory_(std::move(factory)), options_(options) {}

Database::~Database() = default;

absl::StatusOr<std::unique_ptr<Database>> Database::Open(absl::string_view dsn, Options options) {
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError("database pool size must be at least 1");
  }
  std::unique_ptr<Database> db;
  if (absl::StartsWith(dsn, "sqlite:")) {
    std::string path(dsn.substr(7));
    if (path.empty()) return absl::InvalidArgumentError("sqlite DSN needs a file path");
    db = std::make_unique<Database>(
        PrivateTag{}, Dialect::kSqlite, [path] { return internal::OpenSqlite(path); }, options);
  } else if (absl::StartsWith(dsn, "mysql://")) {
    JIBAN_ASSIGN_OR_RETURN(auto target, internal::ParseMySqlDsn(dsn));
    db = std::make_unique<Database>(
        PrivateTag{}, Dialect::kMySql, [target] { return internal::OpenMySql(target); }, options);
  } else {
    return Error(absl::StatusCode::kInvalidArgument, "INVALID_DSN",
                 "database DSN must start with sqlite: or mysql://");
  }
  // Open one connection now so a wrong DSN fails at start-up, not at the first request.
  JIBAN_ASSIGN_OR_RETURN(auto lease, db->Acquire());
  return db;
}

absl::StatusOr<Lease> Database::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    auto usable = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.pool_size;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&usable), options_.acquire_timeout)) {
      return Error(absl::StatusCode::kUnavailable, "DB_POOL_EXHAUSTED",
                   "no database connection became free in time");
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;
  }
  auto conn = factory_();
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return conn.status();
  }
  return Lease(this, std::move(conn).value());
}

void Database::Release(std::unique_ptr<Connection> conn) {
  absl::MutexLock lock(&mu_);
  if (conn->broken()) {
    --open_;
    return;  // destroyed outside the pool's interest; a fresh one is opened on demand
  }
  idle_.push_back(std::move(conn));
}

absl::StatusOr<Transaction> Database::Begin(Isolation isolation) {
  JIBAN_ASSIGN_OR_RETURN(auto lease, Acquire());
  absl::Mutex* lock = nullptr;
  if (dialect_ == Dialect::kSqlite) {
    lock = &write_lock_;
    lock->Lock();
  }
  Transaction tx(std::move(lease), lock);  // unlocks on every path from here
  JIBAN_RETURN_IF_ERROR(tx.lease_->Begin(isolation));
  return tx;
}

absl::StatusOr<int64_t> Database::Execute(absl::string_view sql, const Params& params) {
  JIBAN_ASSIGN_OR_RETURN(auto lease, Acquire());
  if (dialect_ == Dialect::kSqlite) {
    absl::MutexLock lock(&write_lock_);
    return lease->Execute(sql, params);
  }
  return lease->Execute(sql, params);
}

absl::StatusOr<std::vector<Row>> Database::Query(absl::string_view sql, const Params& params) {
  JIBAN_ASSIGN_OR_RETURN(auto lease, Acquire());
  return lease->Query(sql, params);
}

absl::Status Database::Transact(const std::function<absl::Status(Transaction&)>& fn,
                                int max_attempts) {
  absl::Status last;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    auto tx = Begin();
    if (!tx.ok()) return tx.status();
    last = fn(*tx);
    if (last.ok()) last = tx->Commit();
    if (last.code() != absl::StatusCode::kAborted) return last;
  }
  return last;
}

absl::Status Database::Ping() {
  JIBAN_ASSIGN_OR_RETURN(auto lease, Acquire());
  return lease->Query("SELECT 1", {}).status();
}

absl::Status ExpectOneRow(int64_t matched, absl::string_view what) {
  if (matched == 1) return absl::OkStatus();
  return Error(absl::StatusCode::kAborted, "DB_VERSION_CONFLICT",
               absl::StrCat(what, " was changed concurrently; retry"));
}

}  // namespace jiban::db
