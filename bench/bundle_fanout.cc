// How soon an application becomes its work orders: intake, routing and the bundle service run in
// this process over real gRPC (each on its own database: MySQL when JIBAN_BENCH_MYSQL_DSN names a
// server, whose databases bench_fanout_* are created, else SQLite files), and --applications
// applications are submitted at --rate per second. An application is fanned out when routing's
// event stream carries the OrdersDispatched of its last part; the time from the submit call's
// start to then is its fan-out latency. The baseline, in the same run: an ordinary request
// submitted to intake until routing's OrdersDispatched for it (one classification, one order).
//
//   jiban-bundle-bench [--applications=300] [--rate=20]
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/create_channel.h"
#include "libs/crypto/sealer.h"
#include "libs/events/consumer.h"
#include "libs/pii/pii.h"
#include "libs/server/server.h"
#include "proto/jiban/bundle/v1/bundle.grpc.pb.h"
#include "proto/jiban/intake/v1/intake.grpc.pb.h"
#include "services/bundle/app.h"
#include "services/intake/app.h"
#include "services/routing/app.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string Dsn(const std::string& mysql, const std::filesystem::path& dir, const char* name) {
  if (mysql.empty()) return absl::StrCat("sqlite:", (dir / name).string());
  const std::string db = absl::StrCat("bench_fanout_", name);
  const std::string base = mysql.substr(0, mysql.rfind('/') + 1);
  auto admin = jiban::db::Database::Open(mysql, {.pool_size = 1});
  if (admin.ok()) {
    (void)(*admin)->Execute(absl::StrCat("DROP DATABASE IF EXISTS ", db));
    (void)(*admin)->Execute(absl::StrCat("CREATE DATABASE ", db));
  }
  return base + db;
}

struct Stats {
  double p50, p99, max;
};
Stats Of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return {0, 0, 0};
  const auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
  };
  return {at(0.5), at(0.99), v.back()};
}

// Random words from a pool of common characters: no two texts alike.
std::string Words(std::mt19937& rng, int n) {
  static const std::vector<char32_t> pool = jiban::pii::DecodeUtf8(
      "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下"
      "过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都"
      "两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重");
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  std::string out;
  for (int i = 0; i < n; ++i) jiban::pii::AppendUtf8(pool[pick(rng)], &out);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int applications = 300, rate = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    bool ok = false;
    if (a.rfind("--applications=", 0) == 0) {
      ok = absl::SimpleAtoi(a.substr(15), &applications) && applications > 0;
    }
    if (a.rfind("--rate=", 0) == 0) ok = absl::SimpleAtoi(a.substr(7), &rate) && rate > 0;
    if (!ok) {
      std::cerr << "usage: jiban-bundle-bench [--applications=N] [--rate=N]\n";
      return 2;
    }
  }
  const char* mysql_env = std::getenv("JIBAN_BENCH_MYSQL_DSN");
  const std::string mysql = mysql_env == nullptr ? "" : mysql_env;
  const auto dir =
      std::filesystem::temp_directory_path() / absl::StrCat("jiban-fanout-", ::getpid());
  std::filesystem::create_directories(dir);
  std::ostringstream logs;

  jiban::server::Server intake_server(jiban::server::ServerOptions::Loopback("intake"), &logs),
      routing_server(jiban::server::ServerOptions::Loopback("routing"), &logs),
      bundle_server(jiban::server::ServerOptions::Loopback("bundle"), &logs);
  const auto address = [](const jiban::server::Server& s) {
    return absl::StrCat("127.0.0.1:", s.grpc_port());
  };
  const std::string keys = jiban::crypto::Sealer::NewSpec();
  auto intake = jiban::intake::IntakeApp::Create(
      {.db_dsn = Dsn(mysql, dir, "intake"), .field_keys = keys}, intake_server);
  if (!intake.ok() || !intake_server.Start().ok()) {
    std::cerr << "intake: " << intake.status() << "\n";
    return 1;
  }
  auto routing = jiban::routing::RoutingApp::Create(
      {.db_dsn = Dsn(mysql, dir, "routing"), .intake_address = address(intake_server)},
      routing_server);
  if (!routing.ok() || !routing_server.Start().ok()) {
    std::cerr << "routing: " << routing.status() << "\n";
    return 1;
  }
  auto bundle = jiban::bundle::BundleApp::Create({.db_dsn = Dsn(mysql, dir, "bundle"),
                                                  .field_keys = keys,
                                                  .intake_address = address(intake_server),
                                                  .routing_address = address(routing_server)},
                                                 bundle_server);
  if (!bundle.ok() || !bundle_server.Start().ok()) {
    std::cerr << "bundle: " << bundle.status() << "\n";
    return 1;
  }

  // Routing's stream: when each request or part got its order.
  absl::Mutex mu;
  std::map<std::string, Clock::time_point> dispatched;  // request id or item id → seen
  auto watcher_db = jiban::db::Database::Open(absl::StrCat("sqlite:", (dir / "watch").string()));
  if (!watcher_db.ok() ||
      !jiban::db::Migrate(**watcher_db, {jiban::events::Migrations((*watcher_db)->dialect())},
                          jiban::db::MigrateMode::kApply)
           .ok()) {
    std::cerr << "watcher database failed\n";
    return 1;
  }
  prometheus::Registry metrics;
  auto routing_channel =
      grpc::CreateChannel(address(routing_server), grpc::InsecureChannelCredentials());
  jiban::events::Consumer watcher(
      {.name = "bench<-routing", .source = routing_channel}, **watcher_db,
      [&](jiban::db::Transaction&, const jiban::events::v1::Event& e) -> absl::Status {
        jiban::routing::v1::OrdersDispatched d;
        if (!e.payload().UnpackTo(&d)) return absl::OkStatus();
        const auto now = Clock::now();
        absl::MutexLock lock(&mu);
        for (const auto& o : d.orders()) dispatched.try_emplace(o.request_id(), now);
        return absl::OkStatus();
      },
      metrics);
  if (!watcher.Start().ok()) return 1;

  auto bundle_stub = jiban::bundle::v1::BundleService::NewStub(
      grpc::CreateChannel(address(bundle_server), grpc::InsecureChannelCredentials()));
  auto intake_stub = jiban::intake::v1::IntakeService::NewStub(
      grpc::CreateChannel(address(intake_server), grpc::InsecureChannelCredentials()));
  std::vector<std::pair<std::string, Clock::time_point>> apps, requests;
  std::mt19937 rng(7);
  const auto interval = std::chrono::microseconds(1'000'000 / rate);
  auto next = Clock::now();
  int errors = 0;
  for (int i = 0; i < applications; ++i) {
    std::this_thread::sleep_until(next);  // pacing the load, not synchronisation
    next += interval;
    jiban::bundle::v1::SubmitApplicationRequest req;
    req.set_request_id(absl::StrCat("bench-a", i));
    req.set_bundle_id("newborn");
    for (const auto& [k, v] :
         std::map<std::string, std::string>{{"child_name", "张小宝"},
                                            {"birth_date", "2026-11-01"},
                                            {"guardian_name", "张三"},
                                            {"guardian_id_number", "11010519491231002X"},
                                            {"contact_phone", "13800138000"}}) {
      (*req.mutable_form())[k] = v;
    }
    for (const char* m :
         {"birth_certificate", "household_register", "id_card", "marriage_certificate"}) {
      req.add_material_ids(m);
    }
    jiban::bundle::v1::SubmitApplicationResponse resp;
    grpc::ClientContext ctx;
    const auto start = Clock::now();
    if (bundle_stub->SubmitApplication(&ctx, req, &resp).ok()) {
      apps.emplace_back(resp.application().id(), start);
    } else {
      ++errors;
    }
    // The baseline: an ordinary request through intake and routing, interleaved.
    jiban::intake::v1::SubmitRequestRequest sub;
    sub.set_request_id(absl::StrCat("bench-r", i));
    auto* r = sub.mutable_request();
    r->set_channel(jiban::intake::v1::CHANNEL_HOTLINE);
    // 办不成事 goes to its window by the rules alone; random wording keeps intake from merging
    // the requests as duplicates of each other.
    r->set_nature(jiban::intake::v1::NATURE_COULD_NOT_GET_DONE);
    r->set_title(absl::StrCat("办事没办成：", Words(rng, 12)));
    r->set_text(Words(rng, 40));
    r->mutable_location()->set_district_code("410202");
    r->mutable_requester()->mutable_citizen()->set_name("李四");
    r->mutable_requester()->mutable_citizen()->set_phone("13800138000");
    jiban::intake::v1::SubmitRequestResponse sresp;
    grpc::ClientContext sctx;
    const auto sstart = Clock::now();
    if (intake_stub->SubmitRequest(&sctx, sub, &sresp).ok()) {
      requests.emplace_back(sresp.request().id(), sstart);
    } else {
      ++errors;
    }
  }
  // Wait (bounded) until every part and request has been seen dispatched.
  const auto all_seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (const auto& [id, _] : apps) {
      for (int p = 0; p < 3; ++p) {
        if (!dispatched.contains(jiban::bundle::ItemId(id, p))) return false;
      }
    }
    for (const auto& [id, _] : requests) {
      if (!dispatched.contains(id)) return false;
    }
    return true;
  };
  std::vector<double> fanout, baseline;
  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(&all_seen), absl::Seconds(60));
    for (const auto& [id, start] : apps) {
      Clock::time_point last = start;
      bool complete = true;
      for (int p = 0; p < 3; ++p) {
        auto it = dispatched.find(jiban::bundle::ItemId(id, p));
        if (it == dispatched.end()) {
          complete = false;
        } else {
          last = std::max(last, it->second);
        }
      }
      if (complete)
        fanout.push_back(std::chrono::duration<double, std::milli>(last - start).count());
    }
    for (const auto& [id, start] : requests) {
      auto it = dispatched.find(id);
      if (it != dispatched.end()) {
        baseline.push_back(std::chrono::duration<double, std::milli>(it->second - start).count());
      }
    }
  }
  watcher.Stop();
  bundle_server.Shutdown();
  routing_server.Shutdown();
  intake_server.Shutdown();
  bundle->reset();
  routing->reset();
  intake->reset();
  std::filesystem::remove_all(dir);
  const Stats f = Of(fanout), b = Of(baseline);
  std::cout
      << absl::StrFormat(
             "{\"driver\":\"%s\",\"applications\":%d,\"rate\":%d,\"fanned_out\":%d,\"errors\":%d,"
             "\"fanout_ms\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
             "\"baseline_dispatch_ms\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
             "\"p99_ratio\":%.2f}",
             mysql.empty() ? "sqlite" : "mysql", applications, rate, fanout.size(), errors, f.p50,
             f.p99, f.max, b.p50, b.p99, b.max, b.p99 > 0 ? f.p99 / b.p99 : 0)
      << std::endl;
  return fanout.size() == apps.size() ? 0 : 1;
}
