// Internal to libs/db: the two drivers behind Connection, and the shared error constructors.
#ifndef JIBAN_LIBS_DB_DRIVERS_H_
#define JIBAN_LIBS_DB_DRIVERS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/db/db.h"

namespace jiban::db::internal {

struct MySqlTarget {
  std::string host;
  int port = 3306;
  std::string user;
  std::string password;
  std::string database;
};

absl::StatusOr<std::unique_ptr<Connection>> OpenSqlite(const std::string& path);
absl::StatusOr<std::unique_ptr<Connection>> OpenMySql(const MySqlTarget& target);

// Parses "mysql://user[:password]@host[:port]/database".
absl::StatusOr<MySqlTarget> ParseMySqlDsn(absl::string_view dsn);

absl::Status DuplicateKey(absl::string_view driver, int code);
absl::Status Conflict(absl::string_view driver, int code);
absl::Status Unavailable(absl::string_view driver, int code);
absl::Status ConstraintViolated(absl::string_view driver, int code);
absl::Status DbError(absl::string_view driver, int code);

}  // namespace jiban::db::internal

#endif  // JIBAN_LIBS_DB_DRIVERS_H_
