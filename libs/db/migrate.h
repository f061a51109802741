// Forward-only, checksummed schema migrations, per component and dialect. Each service embeds its
// migrations (jiban_embed_migrations in CMake) and applies them at start-up; a service refuses to
// run against a database that is newer than itself or whose applied migrations were edited.
#ifndef JIBAN_LIBS_DB_MIGRATE_H_
#define JIBAN_LIBS_DB_MIGRATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/db/db.h"

namespace jiban::db {

struct Migration {
  int version;       // 1, 2, 3, ... without gaps
  std::string name;  // file name without extension, e.g. "0001_requests"
  std::string sql;   // statements separated by ';' at the end of a line
};

// The migrations of one component (a service, or a platform piece such as the event log).
struct MigrationSet {
  std::string component;
  std::vector<Migration> migrations;
};

enum class MigrateMode {
  kApply,      // apply pending migrations
  kCheckOnly,  // fail with FAILED_PRECONDITION (SCHEMA_OUT_OF_DATE) if any are pending
};

// Brings every set up to date (or checks it). Errors, all FAILED_PRECONDITION:
//   SCHEMA_TOO_NEW     the database has a version this binary does not know
//   MIGRATION_EDITED   an applied migration's text differs from the binary's (checksum)
//   SCHEMA_OUT_OF_DATE pending migrations in kCheckOnly mode
// Concurrent callers (several replicas starting at once) are serialised by a database lock.
absl::Status Migrate(Database& db, const std::vector<MigrationSet>& sets,
                     MigrateMode mode = MigrateMode::kApply);

// Splits a migration file into statements (';' ending a line; '--' comment lines dropped).
std::vector<std::string> SplitStatements(const std::string& sql);

}  // namespace jiban::db

#endif  // JIBAN_LIBS_DB_MIGRATE_H_
