// jiban-bench: a closed-loop gRPC load generator. N calls in flight (one blocking caller per
// slot), a warm-up, then a fixed measuring window; reports throughput and latency percentiles as
// one JSON line, so bench/run.sh can put every figure beside the baseline measured in the same run.
//
//   jiban-bench --target=127.0.0.1:8081 --rpc=intake.submit --concurrency=64 --seconds=10
//   rpcs: echo (the baseline server), intake.submit, intake.get
//
// --token=JWT sends it as the bearer token (calls through the gateway).
// --rate=R paces the callers to R calls/s in total (open loop while the service keeps up).
// --watch=ROUTING_ADDR (with intake.submit) also follows routing's event stream and reports the
// dispatch lag: from intake's answer to routing's OrdersDispatched (or RequestTriaged) event for
// the same request, for every submission of the measuring window that intake did not link to an
// open master as a duplicate (those are handled with their master and get no orders).
#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/jiban/bench/v1/echo.grpc.pb.h"
#include "proto/jiban/events/v1/events.grpc.pb.h"
#include "proto/jiban/intake/v1/intake.grpc.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"

namespace {

struct Args {
  std::string target = "127.0.0.1:8081";
  std::string texts;  // optional TSV of real messages (title in column 3, text in column 5)
  std::string rpc = "echo";
  std::string label;
  int concurrency = 64;
  int channels = 4;
  double seconds = 10;
  double warmup = 2;
  double rate = 0;    // calls/s over all callers; 0: closed loop
  std::string watch;  // routing's address: measure the dispatch lag
  std::string token;  // a bearer token (calls through the gateway)
};

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) return false;
    const std::string key = arg.substr(2, eq - 2), value = arg.substr(eq + 1);
    bool ok = true;
    if (key == "target")
      a->target = value;
    else if (key == "rpc")
      a->rpc = value;
    else if (key == "label")
      a->label = value;
    else if (key == "texts")
      a->texts = value;
    else if (key == "token")
      a->token = value;
    else if (key == "concurrency")
      ok = absl::SimpleAtoi(value, &a->concurrency) && a->concurrency > 0;
    else if (key == "channels")
      ok = absl::SimpleAtoi(value, &a->channels) && a->channels > 0;
    else if (key == "seconds")
      ok = absl::SimpleAtod(value, &a->seconds) && a->seconds > 0;
    else if (key == "warmup")
      ok = absl::SimpleAtod(value, &a->warmup) && a->warmup >= 0;
    else if (key == "rate")
      ok = absl::SimpleAtod(value, &a->rate) && a->rate >= 0;
    else if (key == "watch")
      a->watch = value;
    else
      return false;
    if (!ok) return false;
  }
  return a->rpc == "echo" || a->rpc == "intake.submit" || a->rpc == "intake.get";
}

struct Message {
  std::string title, text;
};

std::vector<Message> LoadTexts(const std::string& path) {
  std::vector<Message> out;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() >= 5 && !f[2].empty() && !f[4].empty() && f[2].size() <= 250 &&
        f[4].size() <= 12000) {
      out.push_back({f[2], f[4]});
    }
  }
  return out;
}

constexpr const char* kDistricts[] = {"410202", "410203", "410204", "410205", "410212",
                                      "410221", "410222", "410223", "410225"};

// One call of the chosen RPC; `n` makes each request distinct (a new request id per call).
// The first `max` bytes of UTF-8 text `s`, cut at a character boundary.
std::string Prefix(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  while (max > 0 && (static_cast<unsigned char>(s[max]) & 0xC0) == 0x80) --max;
  return s.substr(0, max);
}

grpc::Status CallOnce(const Args& args, const std::vector<Message>& texts, grpc::Channel* channel,
                      uint64_t n, int slot, std::string* created_id, bool* duplicate) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!args.token.empty()) ctx.AddMetadata("authorization", "Bearer " + args.token);
  if (args.rpc == "echo") {
    jiban::bench::v1::EchoRequest req;
    req.set_payload(std::string(500, 'x'));
    jiban::bench::v1::EchoResponse resp;
    return jiban::bench::v1::EchoService::NewStub(
               std::shared_ptr<grpc::Channel>(channel, [](grpc::Channel*) {}))
        ->Echo(&ctx, req, &resp);
  }
  if (args.rpc == "intake.get") {
    // A read of an id that does not exist: the whole service path (interceptor, handler, domain,
    // one indexed read) without writing; NOT_FOUND is the expected answer.
    jiban::intake::v1::GetRequestRequest get;
    get.set_id(absl::StrCat("01JB", slot, "X", n));
    jiban::intake::v1::GetRequestResponse got;
    grpc::Status s = jiban::intake::v1::IntakeService::NewStub(
                         std::shared_ptr<grpc::Channel>(channel, [](grpc::Channel*) {}))
                         ->GetRequest(&ctx, get, &got);
    return s.error_code() == grpc::StatusCode::NOT_FOUND ? grpc::Status::OK : s;
  }
  jiban::intake::v1::SubmitRequestRequest req;
  req.set_request_id(absl::StrCat("bench-", absl::ToUnixMicros(absl::Now()), "-", slot, "-", n));
  auto* r = req.mutable_request();
  r->set_channel(jiban::intake::v1::CHANNEL_HOTLINE);
  r->set_nature(jiban::intake::v1::NATURE_COMPLAINT);
  // Real messages when given (varied texts and districts), else one template: the worst case for
  // the duplicate detector, where every request resembles every other.
  if (!texts.empty()) {
    const Message& m = texts[(n * 7919 + static_cast<uint64_t>(slot) * 104729) % texts.size()];
    r->set_title(m.title);
    r->set_text(m.text);
    if (!args.watch.empty()) {
      // Following dispatch: two messages joined, so that few submissions are duplicates of an
      // earlier one (a duplicate is handled with its master and gets no orders of its own).
      const Message& other =
          texts[(n * 104729 + static_cast<uint64_t>(slot) * 7919 + 17) % texts.size()];
      r->set_text(Prefix(m.text, 3000) + "。另外，" + Prefix(other.text, 3000));
    }
    r->mutable_location()->set_district_code(kDistricts[(n + slot) % 9]);
  } else {
    r->set_title("小区门口路灯不亮");
    r->set_text(absl::StrCat("中山路北段", slot, "号院", n, "号楼门口的路灯坏了一周。"));
    r->mutable_location()->set_district_code("410202");
  }
  r->mutable_location()->set_address(absl::StrCat("开封市中山路北段", slot, "号院", n, "号楼"));
  auto* citizen = r->mutable_requester()->mutable_citizen();
  citizen->set_name("张三");
  citizen->set_phone(absl::StrCat("1380013", 1000 + slot % 9000));
  jiban::intake::v1::SubmitRequestResponse resp;
  ctx.AddMetadata("x-request-id", req.request_id());
  grpc::Status s = jiban::intake::v1::IntakeService::NewStub(
                       std::shared_ptr<grpc::Channel>(channel, [](grpc::Channel*) {}))
                       ->SubmitRequest(&ctx, req, &resp);
  *created_id = resp.request().id();
  *duplicate = !resp.request().master_id().empty();  // handled with its master: no orders
  return s;
}

// Follows routing's event stream and notes when each request was dispatched or triaged.
class DispatchWatch {
 public:
  explicit DispatchWatch(const std::string& target)
      : stub_(jiban::events::v1::EventLogService::NewStub(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))) {
    thread_ = std::thread([this] { Run(); });
  }
  ~DispatchWatch() {
    ctx_.TryCancel();
    thread_.join();
  }
  // When routing's event for `request_id` arrived, if it has.
  std::optional<absl::Time> SeenAt(const std::string& request_id) {
    absl::MutexLock lock(&mu_);
    auto it = seen_.find(request_id);
    if (it == seen_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void Run() {
    jiban::events::v1::StreamEventsRequest req;
    auto reader = stub_->StreamEvents(&ctx_, req);
    jiban::events::v1::StreamEventsResponse batch;
    while (reader->Read(&batch)) {
      const absl::Time now = absl::Now();
      absl::MutexLock lock(&mu_);
      for (const auto& e : batch.events()) {
        jiban::routing::v1::OrdersDispatched d;
        jiban::routing::v1::RequestTriaged t;
        if (e.payload().UnpackTo(&d) && d.orders_size() > 0) {
          seen_.emplace(d.orders(0).request_id(), now);
        } else if (e.payload().UnpackTo(&t)) {
          seen_.emplace(t.item().request_id(), now);
        }
      }
    }
  }
  std::unique_ptr<jiban::events::v1::EventLogService::Stub> stub_;
  grpc::ClientContext ctx_;
  absl::Mutex mu_;
  std::map<std::string, absl::Time> seen_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) {
    std::cerr << "usage: jiban-bench --target=HOST:PORT --rpc=echo|intake.submit|intake.get "
                 "[--concurrency=64] [--channels=4] [--seconds=10] [--warmup=2] [--label=X] "
                 "[--texts=attachment3_msgs_votes.tsv] [--rate=CALLS_PER_S] [--watch=ROUTING] "
                 "[--token=JWT]\n";
    return 2;
  }
  const std::vector<Message> texts =
      args.texts.empty() ? std::vector<Message>() : LoadTexts(args.texts);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < args.channels; ++i) {
    grpc::ChannelArguments ch;
    ch.SetInt("grpc.channel_id", i);  // distinct channels → distinct HTTP/2 connections
    channels.push_back(
        grpc::CreateCustomChannel(args.target, grpc::InsecureChannelCredentials(), ch));
  }
  std::atomic<bool> measuring{false}, stop{false};
  std::vector<std::vector<double>> latencies(args.concurrency);
  std::vector<uint64_t> errors(args.concurrency, 0);
  absl::Mutex error_mu;
  std::map<std::string, uint64_t> error_samples;  // "code: message" → count
  std::unique_ptr<DispatchWatch> watch;
  if (!args.watch.empty()) watch = std::make_unique<DispatchWatch>(args.watch);
  std::vector<std::vector<std::pair<std::string, absl::Time>>> acked(args.concurrency);
  std::vector<uint64_t> duplicates(args.concurrency, 0);
  std::vector<std::thread> threads;
  const absl::Time paced_from = absl::Now();
  for (int slot = 0; slot < args.concurrency; ++slot) {
    threads.emplace_back([&, slot] {
      grpc::Channel* channel = channels[slot % channels.size()].get();
      uint64_t n = 0;
      const absl::Duration every =
          args.rate > 0 ? absl::Seconds(args.concurrency / args.rate) : absl::ZeroDuration();
      absl::Time next = paced_from + every * slot / args.concurrency;
      while (!stop.load(std::memory_order_relaxed)) {
        if (args.rate > 0) {
          if (absl::Now() < next) absl::SleepFor(next - absl::Now());  // pacing, not syncing
          next += every;
        }
        const absl::Time t0 = absl::Now();
        std::string created;
        bool duplicate = false;
        grpc::Status s = CallOnce(args, texts, channel, n++, slot, &created, &duplicate);
        const absl::Time t1 = absl::Now();
        const double seconds = absl::ToDoubleSeconds(t1 - t0);
        if (!measuring.load(std::memory_order_relaxed)) continue;
        if (s.ok()) {
          latencies[slot].push_back(seconds);
          if (watch && duplicate) ++duplicates[slot];
          if (watch && !created.empty() && !duplicate) acked[slot].emplace_back(created, t1);
        } else {
          ++errors[slot];
          absl::MutexLock lock(&error_mu);
          ++error_samples[absl::StrCat(s.error_code(), ": ", s.error_message())];
        }
      }
    });
  }
  absl::SleepFor(absl::Seconds(args.warmup));
  measuring = true;
  const absl::Time start = absl::Now();
  absl::SleepFor(absl::Seconds(args.seconds));
  measuring = false;
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  stop = true;
  for (auto& t : threads) t.join();

  std::vector<double> all;
  uint64_t error_total = 0;
  for (int i = 0; i < args.concurrency; ++i) {
    all.insert(all.end(), latencies[i].begin(), latencies[i].end());
    error_total += errors[i];
  }
  std::sort(all.begin(), all.end());
  auto pct = [&all](double p) {
    if (all.empty()) return 0.0;
    return all[std::min(all.size() - 1, static_cast<size_t>(p * static_cast<double>(all.size())))];
  };
  std::string dispatch;
  if (watch) {
    // Every submission of the window should reach routing; allow 10 s for the tail to drain.
    std::vector<double> lags;
    size_t missing = 0;
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    for (const auto& per_slot : acked) {
      for (const auto& [id, at] : per_slot) {
        std::optional<absl::Time> seen = watch->SeenAt(id);
        while (!seen && absl::Now() < give_up) {
          absl::SleepFor(absl::Milliseconds(20));  // a benchmark waiting for stragglers
          seen = watch->SeenAt(id);
        }
        if (seen) {
          lags.push_back(std::max(0.0, absl::ToDoubleSeconds(*seen - at)));
        } else {
          ++missing;
        }
      }
    }
    std::sort(lags.begin(), lags.end());
    auto lag = [&lags](double p) {
      if (lags.empty()) return 0.0;
      return lags[std::min(lags.size() - 1,
                           static_cast<size_t>(p * static_cast<double>(lags.size())))];
    };
    uint64_t merged = 0;
    for (uint64_t d : duplicates) merged += d;
    dispatch = absl::StrFormat(
        ",\"duplicates\":%d,\"dispatched\":%d,\"undispatched\":%d,"
        "\"dispatch_p50_ms\":%.1f,\"dispatch_p99_ms\":%.1f,"
        "\"dispatch_max_ms\":%.1f",
        merged, lags.size(), missing, lag(0.5) * 1000, lag(0.99) * 1000,
        lags.empty() ? 0.0 : lags.back() * 1000);
  }
  std::cout << absl::StrFormat(
                   "{\"label\":\"%s\",\"rpc\":\"%s\",\"concurrency\":%d,\"seconds\":%.1f,"
                   "\"ok\":%d,\"errors\":%d,\"rps\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
                   "\"p999_ms\":%.2f%s}",
                   args.label.empty() ? args.rpc : args.label, args.rpc, args.concurrency, elapsed,
                   all.size(), error_total, static_cast<double>(all.size()) / elapsed,
                   pct(0.5) * 1000, pct(0.99) * 1000, pct(0.999) * 1000, dispatch)
            << std::endl;
  for (const auto& [what, count] : error_samples) {
    std::cerr << "jiban-bench: " << count << " × " << what << "\n";
  }
  return error_total == 0 ? 0 : 1;
}
