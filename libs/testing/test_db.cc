#include "libs/testing/test_db.h"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/clock/clock.h"

namespace jiban::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// 80 random bits behind a timestamp: unique across tests and concurrent test processes.
std::string UniqueSuffix() {
  SystemClock clock;
  return absl::AsciiStrToLower(IdGenerator(clock).Next());
}

}  // namespace

std::vector<db::Dialect> Drivers() {
  if (!Env("JIBAN_TEST_MYSQL_DSN").empty() || Env("CI") == "true") {
    return {db::Dialect::kSqlite, db::Dialect::kMySql};
  }
  WARN("JIBAN_TEST_MYSQL_DSN is not set: running the SQLite driver only "
       "(tests/run.sh starts MariaDB and sets it)");
  return {db::Dialect::kSqlite};
}

const char* DialectName(db::Dialect d) { return d == db::Dialect::kMySql ? "mysql" : "sqlite"; }

std::unique_ptr<TestDatabase> TestDatabase::Create(db::Dialect dialect,
                                                   const std::vector<db::MigrationSet>& sets,
                                                   db::Options options) {
  auto t = std::make_unique<TestDatabase>();
  t->dialect_ = dialect;
  if (dialect == db::Dialect::kSqlite) {
    t->dir_ = std::filesystem::temp_directory_path() / ("jiban-test-" + UniqueSuffix());
    std::filesystem::create_directories(t->dir_);
    t->dsn_ = "sqlite:" + (t->dir_ / "test.db").string();
  } else {
    t->admin_dsn_ = Env("JIBAN_TEST_MYSQL_DSN");
    if (t->admin_dsn_.empty()) {
      FAIL("CI=true but JIBAN_TEST_MYSQL_DSN is not set: MariaDB-backed tests cannot run");
    }
    auto admin = db::Database::Open(t->admin_dsn_, {.pool_size = 1});
    if (!admin.ok()) FAIL("cannot reach the test MariaDB: " << admin.status());
    t->mysql_name_ = "t_" + UniqueSuffix();
    auto created = (*admin)->Execute(absl::StrCat("CREATE DATABASE ", t->mysql_name_,
                                                  " CHARACTER SET utf8mb4 COLLATE "
                                                  "utf8mb4_unicode_ci"));
    if (!created.ok()) FAIL("CREATE DATABASE failed: " << created.status());
    t->dsn_ = t->admin_dsn_.substr(0, t->admin_dsn_.rfind('/') + 1) + t->mysql_name_;
  }
  auto opened = db::Database::Open(t->dsn_, options);
  if (!opened.ok()) FAIL("cannot open test database: " << opened.status());
  t->db_ = std::move(opened).value();
  if (!sets.empty()) {
    auto migrated = db::Migrate(*t->db_, sets);
    if (!migrated.ok()) FAIL("migrations failed: " << migrated);
  }
  return t;
}

std::unique_ptr<db::Database> TestDatabase::OpenAnother(db::Options options) const {
  auto opened = db::Database::Open(dsn_, options);
  if (!opened.ok()) FAIL("cannot open test database: " << opened.status());
  return std::move(opened).value();
}

TestDatabase::~TestDatabase() {
  db_.reset();
  if (!mysql_name_.empty()) {
    if (auto admin = db::Database::Open(admin_dsn_, {.pool_size = 1}); admin.ok()) {
      (void)(*admin)->Execute("DROP DATABASE IF EXISTS " + mysql_name_);
    }
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

TempDir::TempDir()
    : path_(std::filesystem::temp_directory_path() / ("jiban-tmp-" + UniqueSuffix())) {
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace jiban::testing
