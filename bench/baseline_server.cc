// The raw baseline every Jiban figure is compared with, measured in the same run: a gRPC unary
// handler that performs exactly one durable INSERT (autocommit) and answers. No interceptor, no
// validation, no events — the floor of "gRPC + one database write" on this machine.
//
//   JIBAN_DB_DSN=mysql://root@127.0.0.1:3306/bench jiban-bench-baseline   (JIBAN_GRPC_ADDR)
#include <iostream>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "libs/db/db.h"
#include "libs/server/env.h"
#include "libs/server/server.h"
#include "proto/jiban/bench/v1/echo.grpc.pb.h"

namespace {

class BaselineEcho final : public jiban::bench::v1::EchoService::Service {
 public:
  explicit BaselineEcho(jiban::db::Database& db) : db_(db) {}
  grpc::Status Echo(grpc::ServerContext*, const jiban::bench::v1::EchoRequest* req,
                    jiban::bench::v1::EchoResponse* resp) override {
    auto lease = db_.Acquire();
    if (!lease.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no connection");
    auto n = (*lease)->Execute("INSERT INTO bench_echo (payload) VALUES (?)",
                               {jiban::db::Blob{req->payload()}});
    if (!n.ok()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "insert failed");
    resp->set_row_id((*lease)->LastInsertId().value_or(0));
    resp->set_payload(req->payload());
    return grpc::Status::OK;
  }

 private:
  jiban::db::Database& db_;
};

}  // namespace

int main() {
  jiban::server::BlockTerminationSignals();
  jiban::server::Env env;
  const std::string dsn = env.Required("JIBAN_DB_DSN");
  const std::string addr = env.Address("JIBAN_GRPC_ADDR", "127.0.0.1:0");
  const int pool = env.Int("JIBAN_DB_POOL_SIZE", 64, 1, 512);
  if (auto s = env.Validate(); !s.ok()) {
    std::cerr << "jiban-bench-baseline: " << s.message() << "\n";
    return 2;
  }
  auto db = jiban::db::Database::Open(dsn, {.pool_size = pool});
  if (!db.ok()) {
    std::cerr << "jiban-bench-baseline: " << db.status() << "\n";
    return 1;
  }
  const bool mysql = (*db)->dialect() == jiban::db::Dialect::kMySql;
  auto created = (*db)->Execute(
      mysql ? "CREATE TABLE IF NOT EXISTS bench_echo (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
              "payload VARBINARY(4096) NOT NULL) ENGINE=InnoDB"
            : "CREATE TABLE IF NOT EXISTS bench_echo (id INTEGER PRIMARY KEY AUTOINCREMENT, "
              "payload BLOB NOT NULL)");
  if (!created.ok()) {
    std::cerr << "jiban-bench-baseline: " << created.status() << "\n";
    return 1;
  }
  BaselineEcho service(**db);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(addr, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server) return 1;
  std::cout << "{\"msg\":\"started\",\"grpc_port\":" << port << "}" << std::endl;
  jiban::server::WaitForTerminationSignal();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
