// The MySQL driver over Connector/C++ 1.1 (JDBC-style, raw owning pointers, exceptions). Every
// Connector object is wrapped in a unique_ptr and every exception is caught here and turned into
// a status; nothing above this file sees a Connector type.
#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "libs/db/drivers.h"
#include "libs/status/status.h"

namespace jiban::db::internal {
namespace {

// Server and client error numbers that mean "this connection or server is gone".
bool IsConnectionError(int code) {
  switch (code) {
    case 1040:  // too many connections
    case 1053:  // server shutdown in progress
    case 1077:  // normal shutdown
    case 1152:  // aborted connection
    case 1927:  // connection was killed
    case 2002:  // can't connect through socket
    case 2003:  // can't connect to server
    case 2005:  // unknown host
    case 2006:  // server has gone away
    case 2013:  // lost connection during query
    case 2055:  // lost connection at reading
    case 4031:  // disconnected for inactivity
      return true;
    default:
      return false;
  }
}

absl::Status FromMySql(const sql::SQLException& e, bool* broken) {
  const int code = e.getErrorCode();
  switch (code) {
    case 1062:  // ER_DUP_ENTRY
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
      return DuplicateKey("mysql", code);
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1213:  // ER_LOCK_DEADLOCK
    case 1020:  // ER_CHECKREAD (record changed since last read)
      return Conflict("mysql", code);
    case 1451:  // ER_ROW_IS_REFERENCED_2
    case 1452:  // ER_NO_REFERENCED_ROW_2
      return ConstraintViolated("mysql", code);
    default:
      break;
  }
  // Connector/C++ reports some client-side failures with code 0 and SQLSTATE 08xxx / HY000.
  if (IsConnectionError(code) || (e.getSQLStateCStr()[0] == '0' && e.getSQLStateCStr()[1] == '8')) {
    *broken = true;
    return Unavailable("mysql", code);
  }
  // Anything else (a refused privilege, a bad statement) is a bug or a misconfiguration; the
  // connection is not trusted afterwards: Connector/C++ 1.1 can lose track of its server-side
  // prepared statements after a failed prepare (the next execute fails with error 1243).
  *broken = true;
  return DbError("mysql", code);
}

sql::mysql::MySQL_Driver* Driver() {
  // Connector/C++ requires the driver instance to be created once, before worker threads use it.
  static sql::mysql::MySQL_Driver* const driver = sql::mysql::get_mysql_driver_instance();
  return driver;
}

// Connector/C++ wants threadInit()/threadEnd() around each thread's use of the client library;
// the first connection a thread leases registers it, and the thread's exit unregisters it.
void EnsureThreadInit() {
  struct ThreadGuard {
    ThreadGuard() { Driver()->threadInit(); }
    ~ThreadGuard() { Driver()->threadEnd(); }
  };
  thread_local ThreadGuard guard;
}

class MySqlConnection final : public Connection {
 public:
  explicit MySqlConnection(std::unique_ptr<sql::Connection> conn) : conn_(std::move(conn)) {}
  ~MySqlConnection() override {
    cache_.clear();
    try {
      conn_->close();
    } catch (const sql::SQLException&) {
      // Closing a dead connection fails; there is nothing left to release.
    }
  }

  Dialect dialect() const override { return Dialect::kMySql; }
  bool broken() const override { return broken_; }

  absl::StatusOr<int64_t> Execute(absl::string_view sql, const Params& params) override {
    EnsureThreadInit();
    try {
      auto* ps = Prepare(sql, params);
      return static_cast<int64_t>(ps->executeUpdate());
    } catch (const sql::SQLException& e) {
      return FromMySql(e, &broken_);
    }
  }

  absl::StatusOr<std::vector<Row>> Query(absl::string_view sql, const Params& params) override {
    EnsureThreadInit();
    try {
      auto* ps = Prepare(sql, params);
      std::unique_ptr<sql::ResultSet> rs(ps->executeQuery());
      sql::ResultSetMetaData* meta = rs->getMetaData();  // owned by the result set
      const unsigned n = meta->getColumnCount();
      std::vector<int> types(n);
      for (unsigned i = 0; i < n; ++i) types[i] = meta->getColumnType(i + 1);
      std::vector<Row> rows;
      while (rs->next()) {
        std::vector<Value> values;
        values.reserve(n);
        for (unsigned i = 0; i < n; ++i) values.push_back(Column(*rs, i + 1, types[i]));
        rows.emplace_back(std::move(values));
      }
      return rows;
    } catch (const sql::SQLException& e) {
      return FromMySql(e, &broken_);
    }
  }

  absl::StatusOr<int64_t> LastInsertId() override {
    auto rows = Query("SELECT LAST_INSERT_ID()", {});
    if (!rows.ok()) return rows.status();
    return rows->at(0).Int(0);
  }

  absl::Status ExecuteRaw(absl::string_view sql) override {
    EnsureThreadInit();
    try {
      std::unique_ptr<sql::Statement> stmt(conn_->createStatement());
      stmt->execute(sql::SQLString(sql.data(), sql.size()));
      // Drain any result so the connection stays usable.
      do {
        std::unique_ptr<sql::ResultSet> rs(stmt->getResultSet());
      } while (stmt->getMoreResults());
      return absl::OkStatus();
    } catch (const sql::SQLException& e) {
      return FromMySql(e, &broken_);
    }
  }

  absl::Status Begin(Isolation isolation) override {
    if (isolation == Isolation::kReadCommitted) {
      if (auto s = ExecuteRaw("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"); !s.ok()) return s;
    }
    return ExecuteRaw("START TRANSACTION");
  }
  absl::Status Commit() override { return ExecuteRaw("COMMIT"); }
  absl::Status Rollback() override {
    if (broken_) return absl::OkStatus();
    return ExecuteRaw("ROLLBACK");
  }

 private:
  sql::PreparedStatement* Prepare(absl::string_view sql, const Params& params) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      std::unique_ptr<sql::PreparedStatement> ps(conn_->prepareStatement(key));
      it = cache_.emplace(std::move(key), std::move(ps)).first;
    }
    sql::PreparedStatement* ps = it->second.get();
    ps->clearParameters();
    for (size_t i = 0; i < params.size(); ++i) {
      const unsigned idx = static_cast<unsigned>(i) + 1;
      const auto& v = params[i].variant();
      if (auto* p = std::get_if<int64_t>(&v)) {
        ps->setInt64(idx, *p);
      } else if (auto* p = std::get_if<double>(&v)) {
        ps->setDouble(idx, *p);
      } else if (auto* p = std::get_if<std::string>(&v)) {
        ps->setString(idx, sql::SQLString(p->data(), p->size()));
      } else if (auto* p = std::get_if<Blob>(&v)) {
        ps->setString(idx, sql::SQLString(p->bytes.data(), p->bytes.size()));
      } else {
        ps->setNull(idx, sql::DataType::VARCHAR);
      }
    }
    return ps;
  }

  static Value Column(sql::ResultSet& rs, unsigned i, int type) {
    if (rs.isNull(i)) return Value();
    switch (type) {
      case sql::DataType::BIT:
      case sql::DataType::TINYINT:
      case sql::DataType::SMALLINT:
      case sql::DataType::MEDIUMINT:
      case sql::DataType::INTEGER:
      case sql::DataType::BIGINT:
        return Value(static_cast<int64_t>(rs.getInt64(i)));
      case sql::DataType::REAL:
      case sql::DataType::DOUBLE:
        return Value(static_cast<double>(rs.getDouble(i)));
      case sql::DataType::BINARY:
      case sql::DataType::VARBINARY:
      case sql::DataType::LONGVARBINARY: {
        sql::SQLString s = rs.getString(i);
        return Value(Blob{std::string(s.c_str(), s.length())});
      }
      default: {
        sql::SQLString s = rs.getString(i);
        return Value(std::string(s.c_str(), s.length()));
      }
    }
  }

  std::unique_ptr<sql::Connection> conn_;
  std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>> cache_;
  bool broken_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> OpenMySql(const MySqlTarget& target) {
  EnsureThreadInit();
  try {
    sql::ConnectOptionsMap opts;
    opts["hostName"] = sql::SQLString(absl::StrCat("tcp://", target.host, ":", target.port));
    opts["userName"] = sql::SQLString(target.user);
    opts["password"] = sql::SQLString(target.password);
    opts["schema"] = sql::SQLString(target.database);
    opts["OPT_RECONNECT"] = false;  // a silent reconnect would drop an open transaction
    opts["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    opts["OPT_CONNECT_TIMEOUT"] = 5;
    opts["OPT_READ_TIMEOUT"] = 30;
    opts["OPT_WRITE_TIMEOUT"] = 30;
    opts["CLIENT_FOUND_ROWS"] = true;  // UPDATE reports matched rows, as SQLite does
    std::unique_ptr<sql::Connection> conn(Driver()->connect(opts));
    auto out = std::make_unique<MySqlConnection>(std::move(conn));
    if (auto s = out->ExecuteRaw("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE'");
        !s.ok()) {
      return s;
    }
    if (auto s = out->ExecuteRaw("SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci"); !s.ok()) {
      return s;
    }
    return std::unique_ptr<Connection>(std::move(out));
  } catch (const sql::SQLException& e) {
    bool broken = false;
    absl::Status s = FromMySql(e, &broken);
    // 1044/1045/1049: access denied or unknown database — a configuration error, said plainly.
    if (e.getErrorCode() == 1044 || e.getErrorCode() == 1045 || e.getErrorCode() == 1049) {
      return Error(absl::StatusCode::kFailedPrecondition, "DB_CONFIG",
                   absl::StrCat("cannot log in to mysql database '", target.database, "' as '",
                                target.user, "' (mysql error ", e.getErrorCode(), ")"));
    }
    return s;
  }
}

}  // namespace jiban::db::internal
