// Test support: every store test owns a fresh database, and the same test body runs against both
// drivers.
//
//   auto dialect = GENERATE(from_range(jiban::testing::Drivers()));
//   auto tdb = jiban::testing::TestDatabase::Create(dialect, {my_migrations});
//
// SQLite always runs (a temporary file). MySQL runs when JIBAN_TEST_MYSQL_DSN names an admin login
// on a disposable server (tests/run.sh starts MariaDB on 127.0.0.1 and sets it); each test gets a
// database of its own, dropped afterwards. With CI=true a missing server is a failure, not a skip.
#ifndef JIBAN_LIBS_TESTING_TEST_DB_H_
#define JIBAN_LIBS_TESTING_TEST_DB_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "libs/db/db.h"
#include "libs/db/migrate.h"

namespace jiban::testing {

std::vector<db::Dialect> Drivers();
const char* DialectName(db::Dialect d);

class TestDatabase {
 public:
  // Creates, opens and migrates a fresh database; aborts the test (Catch2 FAIL) on error.
  static std::unique_ptr<TestDatabase> Create(db::Dialect dialect,
                                              const std::vector<db::MigrationSet>& sets = {},
                                              db::Options options = {});
  TestDatabase() = default;
  ~TestDatabase();

  db::Database& db() { return *db_; }
  const std::string& dsn() const { return dsn_; }
  db::Dialect dialect() const { return dialect_; }
  // Opens another pool on the same database (e.g. to simulate a second replica).
  std::unique_ptr<db::Database> OpenAnother(db::Options options = {}) const;

 private:
  db::Dialect dialect_ = db::Dialect::kSqlite;
  std::string dsn_;
  std::string admin_dsn_;
  std::string mysql_name_;
  std::filesystem::path dir_;
  std::unique_ptr<db::Database> db_;
};

// A fresh temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace jiban::testing

#endif  // JIBAN_LIBS_TESTING_TEST_DB_H_
