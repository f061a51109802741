// The SQLite driver: the embedded default (one file per service, WAL journal). Every transaction
// is BEGIN IMMEDIATE, so writers queue on the database lock instead of failing on upgrade, and a
// read inside a transaction is as good as a locking read.
#include <sqlite3.h>

#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "libs/db/drivers.h"
#include "libs/status/status.h"

namespace jiban::db::internal {
namespace {

absl::Status FromSqlite(int rc) {
  const int primary = rc & 0xFF;
  switch (primary) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return DuplicateKey("sqlite", rc);
      }
      return ConstraintViolated("sqlite", rc);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Conflict("sqlite", rc);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return Unavailable("sqlite", rc);
    default:
      return DbError("sqlite", rc);
  }
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  bool broken() const override { return false; }

  absl::StatusOr<int64_t> Execute(absl::string_view sql, const Params& params) override {
    auto stmt = Prepare(sql, params);
    if (!stmt.ok()) return stmt.status();
    int rc;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
    }
    const int err = sqlite3_extended_errcode(db_);
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return FromSqlite(err);
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  absl::StatusOr<std::vector<Row>> Query(absl::string_view sql, const Params& params) override {
    auto stmt = Prepare(sql, params);
    if (!stmt.ok()) return stmt.status();
    std::vector<Row> rows;
    const int n = sqlite3_column_count(*stmt);
    int rc;
    while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
      std::vector<Value> values;
      values.reserve(n);
      for (int i = 0; i < n; ++i) values.push_back(Column(*stmt, i));
      rows.emplace_back(std::move(values));
    }
    const int err = sqlite3_extended_errcode(db_);
    sqlite3_reset(*stmt);
    if (rc != SQLITE_DONE) return FromSqlite(err);
    return rows;
  }

  absl::StatusOr<int64_t> LastInsertId() override { return sqlite3_last_insert_rowid(db_); }

  absl::Status ExecuteRaw(absl::string_view sql) override {
    const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? absl::OkStatus() : FromSqlite(sqlite3_extended_errcode(db_));
  }

  absl::Status Begin(Isolation) override { return ExecuteRaw("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return ExecuteRaw("COMMIT"); }
  absl::Status Rollback() override {
    if (sqlite3_get_autocommit(db_)) return absl::OkStatus();  // nothing open
    return ExecuteRaw("ROLLBACK");
  }

 private:
  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql, const Params& params) {
    std::string key(sql);
    auto it = cache_.find(key);
    sqlite3_stmt* stmt = nullptr;
    if (it != cache_.end()) {
      stmt = it->second;
    } else {
      const int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                        SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return FromSqlite(sqlite3_extended_errcode(db_));
      cache_.emplace(std::move(key), stmt);
    }
    sqlite3_clear_bindings(stmt);
    if (sqlite3_bind_parameter_count(stmt) != static_cast<int>(params.size())) {
      return absl::InternalError(
          absl::StrCat("statement expects ", sqlite3_bind_parameter_count(stmt),
                       " parameters, got ", params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      const auto& v = params[i].variant();
      int rc = SQLITE_OK;
      if (auto* p = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *p);
      } else if (auto* p = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, idx, *p);
      } else if (auto* p = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, idx, p->data(), p->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else if (auto* p = std::get_if<Blob>(&v)) {
        rc = sqlite3_bind_blob64(stmt, idx, p->bytes.data(), p->bytes.size(), SQLITE_TRANSIENT);
      } else {
        rc = sqlite3_bind_null(stmt, idx);
      }
      if (rc != SQLITE_OK) return FromSqlite(rc);
    }
    return stmt;
  }

  static Value Column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return Value(static_cast<int64_t>(sqlite3_column_int64(stmt, i)));
      case SQLITE_FLOAT:
        return Value(sqlite3_column_double(stmt, i));
      case SQLITE_TEXT:
        return Value(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)),
                                 sqlite3_column_bytes(stmt, i)));
      case SQLITE_BLOB: {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        return Value(Blob{std::string(data, data + sqlite3_column_bytes(stmt, i))});
      }
      default:
        return Value();
    }
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> OpenSqlite(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  auto conn = std::make_unique<SqliteConnection>(raw);  // owns `raw` even when open failed
  if (rc != SQLITE_OK) {
    return Error(absl::StatusCode::kUnavailable, "DB_UNAVAILABLE",
                 absl::StrCat("cannot open sqlite database (sqlite error ", rc, ")"));
  }
  sqlite3_busy_timeout(raw, 10000);
  // WAL: readers never block the writer. synchronous=NORMAL survives a process crash (kill -9)
  // without losing a committed transaction; docs/decisions.md explains the power-loss trade-off.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                             "PRAGMA foreign_keys=ON"}) {
    auto s = conn->ExecuteRaw(pragma);
    if (!s.ok()) return s;
  }
  return conn;
}

}  // namespace jiban::db::internal
