// jiban-escalation-bench: escalation's durable timers at scale, through its own domain and store
// (no gRPC: routing's events are fed in as the consumer would apply them).
//
//   1. Loads --orders open work orders (4 timers each, falling due weeks later) in batches.
//   2. Times scan ticks with nothing due: the cost of a tick with that many open orders, against
//      the same tick on an almost empty table in the same run (the baseline).
//   3. Feeds --rate new orders per second for --seconds, each with a sign-for limit of 2 s, while a
//      scanner ticks every --scan seconds, as the service does; then reads every light raised for
//      those orders and reports how long after its instant each was raised.
// Prints one JSON line; resident memory of this process (which holds no timers) included.
//
//   JIBAN_DB_DSN=mysql://root@127.0.0.1:3306/x jiban-escalation-bench [--orders=1000000]
//       [--rate=1000] [--seconds=30] [--scan=0.25]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/events/event_log.h"
#include "prometheus/registry.h"
#include "services/escalation/domain.h"
#include "services/escalation/sql_store.h"

namespace {

using jiban::escalation::OrderUpdate;

OrderUpdate Dispatched(const std::string& id, absl::Time now, absl::Duration sign_for) {
  return {.change = "dispatched",
          .order = {.order_id = id,
                    .request_id = "r-" + id,
                    .tracking_number = "JB" + id,
                    .unit_id = "dept.bench",
                    .unit_name = "基准单位",
                    .answerable = {"张三", "主任"},
                    .lead = true,
                    .dispatch_time = now,
                    .clock_start = now,
                    .sign_for_deadline = now + sign_for,
                    .deadline = now + sign_for + absl::Hours(24 * 7)}};
}

int64_t ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kib = 0;
      absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(6, line.size() - 9)), &kib);
      return kib;
    }
  }
  return 0;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Median of `n` ticks (nothing due) in milliseconds.
double TickMillis(jiban::escalation::Escalation& e, int n) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (!e.Tick(absl::Now()).ok()) return -1;
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  return Percentile(ms, 0.5);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t orders = 1'000'000;
  int rate = 1000, seconds = 30;
  double scan = 0.25;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    bool ok = false;
    if (a.rfind("--orders=", 0) == 0) ok = absl::SimpleAtoi(a.substr(9), &orders) && orders >= 0;
    if (a.rfind("--rate=", 0) == 0) ok = absl::SimpleAtoi(a.substr(7), &rate) && rate > 0;
    if (a.rfind("--seconds=", 0) == 0) ok = absl::SimpleAtoi(a.substr(10), &seconds) && seconds > 0;
    if (a.rfind("--scan=", 0) == 0) ok = absl::SimpleAtod(a.substr(7), &scan) && scan > 0;
    if (!ok) {
      std::cerr << "usage: JIBAN_DB_DSN=... jiban-escalation-bench [--orders=N] [--rate=N]"
                   " [--seconds=N] [--scan=S]\n";
      return 2;
    }
  }
  const char* dsn = std::getenv("JIBAN_DB_DSN");
  if (dsn == nullptr) {
    std::cerr << "jiban-escalation-bench: set JIBAN_DB_DSN (an empty database)\n";
    return 2;
  }
  auto db = jiban::db::Database::Open(dsn, {.pool_size = 4});
  if (!db.ok()) {
    std::cerr << "jiban-escalation-bench: " << db.status().message() << "\n";
    return 1;
  }
  if (auto s = jiban::db::Migrate(**db, jiban::escalation::Migrations((*db)->dialect()),
                                  jiban::db::MigrateMode::kApply);
      !s.ok()) {
    std::cerr << "jiban-escalation-bench: " << s.message() << "\n";
    return 1;
  }
  jiban::SystemClock clock;
  jiban::IdGenerator ids(clock);
  prometheus::Registry metrics;
  jiban::events::EventLog log(**db, clock, ids, metrics);
  jiban::escalation::SqlTransactor tx(**db, log);
  jiban::escalation::SqlReader reader(**db);
  jiban::escalation::Escalation escalation(tx, reader, clock, ids);
  auto feed = [&](const std::vector<OrderUpdate>& batch) {
    return tx.Run([&](jiban::escalation::Store& s) -> absl::Status {
      for (const OrderUpdate& u : batch) {
        if (auto st = escalation.OnUpdate(s, u, {"bench", ""}); !st.ok()) return st;
      }
      return absl::OkStatus();
    });
  };

  // 1 and 2: ticks on a near-empty table, then with `orders` open orders.
  std::vector<OrderUpdate> batch;
  for (int i = 0; i < 100; ++i) {
    batch.push_back(Dispatched(absl::StrFormat("B%09d", i), absl::Now(), absl::Hours(24 * 30)));
  }
  if (!feed(batch).ok()) return 1;
  const double tick_small = TickMillis(escalation, 50);
  const auto load_start = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < orders; first += 1000) {
    batch.clear();
    for (int64_t i = first; i < std::min(orders, first + 1000); ++i) {
      batch.push_back(Dispatched(absl::StrFormat("O%09d", i), absl::Now(), absl::Hours(24 * 30)));
    }
    if (auto s = feed(batch); !s.ok()) {
      std::cerr << "jiban-escalation-bench: load: " << s.message() << "\n";
      return 1;
    }
  }
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const double tick_large = TickMillis(escalation, 50);

  // 3. New orders at `rate`/s, each due for sign-for 2 s later, while the scanner ticks.
  std::atomic<bool> stop = false;
  std::atomic<int64_t> tick_failures = 0;
  std::thread scanner([&] {
    while (!stop) {
      if (!escalation.Tick(absl::Now()).ok()) tick_failures++;
      std::this_thread::sleep_for(std::chrono::duration<double>(scan));
    }
  });
  const absl::Time feed_start = absl::Now();
  int64_t fed = 0;
  const int per_batch = std::max(1, rate / 100);  // a batch every 10 ms, as the consumer would
  while (absl::Now() < feed_start + absl::Seconds(seconds)) {
    const int64_t due = static_cast<int64_t>(absl::ToDoubleSeconds(absl::Now() - feed_start) *
                                             static_cast<double>(rate));
    if (fed >= due) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // pacing the load, not a test
      continue;
    }
    batch.clear();
    for (int i = 0; i < per_batch; ++i, ++fed) {
      batch.push_back(Dispatched(absl::StrFormat("L%09d", fed), absl::Now(), absl::Seconds(2)));
    }
    if (!feed(batch).ok()) return 1;
  }
  // Until every fed order's sign-for timers have fired (its last instant is 2 s after the feed).
  const absl::Time end = absl::Now() + absl::Seconds(2) + absl::Seconds(scan) * 4;
  while (absl::Now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  scanner.join();
  auto rows = (*db)->Query(
      "SELECT raised_ms - due_ms FROM escalation_lights WHERE order_id LIKE 'L%' ORDER BY id");
  if (!rows.ok()) return 1;
  std::vector<double> lag;
  for (const auto& r : *rows) lag.push_back(static_cast<double>(r.Int(0)));
  std::cout << absl::StrFormat(
      "{\"open_orders\":%d,\"load_orders_per_s\":%.0f,\"tick_ms_100_orders\":%.3f,"
      "\"tick_ms_open_orders\":%.3f,\"tick_ratio\":%.2f,\"fed_per_s\":%.0f,\"lights\":%d,"
      "\"expected_lights\":%d,\"lag_ms_p50\":%.0f,\"lag_ms_p99\":%.0f,\"lag_ms_max\":%.0f,"
      "\"tick_failures\":%d,\"rss_kib\":%d}\n",
      orders, static_cast<double>(orders) / load_seconds, tick_small, tick_large,
      tick_large / tick_small, static_cast<double>(fed) / seconds, lag.size(), fed * 2,
      Percentile(lag, 0.5), Percentile(lag, 0.99), Percentile(lag, 1.0), tick_failures.load(),
      ResidentKiB());
  return 0;
}
