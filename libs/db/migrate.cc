#include "libs/db/migrate.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "libs/crypto/sealer.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"

namespace jiban::db {
namespace {

constexpr absl::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS jiban_schema_migrations ("
    " component VARCHAR(64) NOT NULL,"
    " version INTEGER NOT NULL,"
    " name VARCHAR(255) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " applied_at_ms BIGINT NOT NULL,"
    " PRIMARY KEY (component, version))";

absl::Status Precondition(absl::string_view reason, std::string message) {
  return Error(absl::StatusCode::kFailedPrecondition, reason, message);
}

// Verifies the applied versions of `set` against the binary and applies what is pending, all on
// one connection that holds the migration lock.
absl::Status MigrateSet(Connection& conn, const MigrationSet& set, MigrateMode mode) {
  JIBAN_ASSIGN_OR_RETURN(auto rows,
                         conn.Query("SELECT version, name, checksum FROM jiban_schema_migrations "
                                    "WHERE component = ? ORDER BY version",
                                    {set.component}));
  std::map<int, const Migration*> known;
  for (const auto& m : set.migrations) known[m.version] = &m;
  const int newest_known = known.empty() ? 0 : known.rbegin()->first;
  int applied_max = 0;
  for (const auto& row : rows) {
    const int version = static_cast<int>(row.Int(0));
    applied_max = std::max(applied_max, version);
    auto it = known.find(version);
    if (it == known.end()) {
      if (version > newest_known) {
        return Precondition("SCHEMA_TOO_NEW",
                            absl::StrCat("database schema of '", set.component, "' is at version ",
                                         version, ", newer than this binary knows (", newest_known,
                                         "); run a newer release"));
      }
      return Precondition("MIGRATION_EDITED",
                          absl::StrCat("migration ", version, " of '", set.component,
                                       "' was applied but is missing from this binary"));
    }
    if (row.Text(2) != crypto::Sha256Hex(it->second->sql)) {
      return Precondition("MIGRATION_EDITED",
                          absl::StrCat("migration ", row.Text(1), " of '", set.component,
                                       "' was edited after it was applied; migrations are "
                                       "forward-only: add a new one instead"));
    }
  }
  for (const auto& [version, m] : known) {
    if (version <= applied_max) continue;
    if (mode == MigrateMode::kCheckOnly) {
      return Precondition(
          "SCHEMA_OUT_OF_DATE",
          absl::StrCat("migration ", m->name, " of '", set.component, "' has not been applied"));
    }
    // SQLite runs DDL transactionally; MySQL commits each DDL statement implicitly, so keep one
    // DDL statement per MySQL migration where a partial failure would matter.
    JIBAN_RETURN_IF_ERROR(conn.Begin(Isolation::kDefault));
    absl::Status s;
    for (const auto& stmt : SplitStatements(m->sql)) {
      s = conn.ExecuteRaw(stmt);
      if (!s.ok()) break;
    }
    if (s.ok()) {
      s = conn.Execute(
                  "INSERT INTO jiban_schema_migrations "
                  "(component, version, name, checksum, applied_at_ms) VALUES (?, ?, ?, ?, ?)",
                  {set.component, version, m->name, crypto::Sha256Hex(m->sql),
                   absl::ToUnixMillis(absl::Now())})
              .status();
    }
    if (s.ok()) s = conn.Commit();
    if (!s.ok()) {
      (void)conn.Rollback();
      return WithMessage(s, absl::StrCat("migration ", m->name, " of '", set.component,
                                         "' failed: ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  for (absl::string_view line : absl::StrSplit(sql, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, line, "\n");
    if (absl::EndsWith(trimmed, ";")) {
      absl::string_view stmt = absl::StripAsciiWhitespace(current);
      stmt.remove_suffix(1);
      out.emplace_back(stmt);
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) {
    out.emplace_back(absl::StripAsciiWhitespace(current));
  }
  return out;
}

absl::Status Migrate(Database& db, const std::vector<MigrationSet>& sets, MigrateMode mode) {
  JIBAN_ASSIGN_OR_RETURN(auto lease, db.Acquire());
  Connection& conn = *lease;
  if (mode == MigrateMode::kCheckOnly) {
    // Read-only, so a runtime user without DDL rights can check: no table, no lock.
    for (const auto& set : sets) {
      absl::Status s = MigrateSet(conn, set, mode);
      if (s.ok()) continue;
      // A database error here (not a lost connection) is the missing migrations table.
      if (s.code() != absl::StatusCode::kInternal || ReasonOf(s) != "DB_ERROR") return s;
      return Precondition("SCHEMA_OUT_OF_DATE",
                          absl::StrCat("no migrations of '", set.component,
                                       "' are recorded; run `jiban <service> migrate` first"));
    }
    return absl::OkStatus();
  }
  JIBAN_RETURN_IF_ERROR(conn.ExecuteRaw(kCreateTable));
  const bool mysql = conn.dialect() == Dialect::kMySql;
  if (mysql) {
    JIBAN_ASSIGN_OR_RETURN(auto got, conn.Query("SELECT GET_LOCK('jiban_migrate', 120)", {}));
    if (got.empty() || got[0].Int(0) != 1) {
      return Error(absl::StatusCode::kUnavailable, "MIGRATION_LOCK_TIMEOUT",
                   "another instance held the migration lock for 120 s");
    }
  }
  absl::Status result;
  for (const auto& set : sets) {
    result = MigrateSet(conn, set, mode);
    if (!result.ok()) break;
  }
  if (mysql) (void)conn.Query("SELECT RELEASE_LOCK('jiban_migrate')", {});
  return result;
}

}  // namespace jiban::db
