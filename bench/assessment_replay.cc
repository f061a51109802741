// jiban-assessment-bench: how fast assessment recomputes from history. It builds a month of
// events as the three streams carry them (serialized jiban.events.v1.Event: routing's dispatches
// and changes, intake's evaluations, escalation's lights and cases), then times, in the same run:
//   baseline — decoding every event (protobuf parse and Any unpack): the floor of any replay;
//   replay   — decoding, converting and folding every event into per-order facts (Replay: the
//              consumers' Apply, into memory as a rebuild would), on one thread and on
//              --threads (routing's log split among them, its fold being commutative);
//   score    — gathering the month's facts per unit and scoring every unit.
// Events are made in chunks (not timed) so memory holds one chunk of events and all the facts.
// Prints one JSON line.
//
//   jiban-assessment-bench [--orders=1000000] [--units=60] [--chunk=50000] [--threads=2]
#include <chrono>
#include <iostream>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/calendar/calendar.h"
#include "libs/server/timestamp.h"
#include "proto/jiban/escalation/v1/escalation.pb.h"
#include "proto/jiban/events/v1/events.pb.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"
#include "services/assessment/app.h"
#include "services/assessment/convert.h"

namespace {

using jiban::server::ToTimestamp;
namespace rv1 = jiban::routing::v1;

std::string Wrap(const google::protobuf::Message& payload, absl::Time at, int64_t seq) {
  jiban::events::v1::Event e;
  e.set_sequence(seq);
  e.set_event_id(absl::StrCat("e", seq));
  e.mutable_payload()->PackFrom(payload);
  *e.mutable_occurred_time() = ToTimestamp(at);
  return e.SerializeAsString();
}

// The three logs of a chunk of orders.
struct Logs {
  std::vector<std::string> intake, routing, escalation;
  size_t size() const { return intake.size() + routing.size() + escalation.size(); }
};

// One order's events (5 or 6 of them), appended to the logs.
void Life(int64_t i, int units, std::mt19937& rng, absl::Time month, Logs& logs, int64_t& seq) {
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  rv1::WorkOrder o;
  o.set_id(absl::StrFormat("O%012d", i));
  o.set_request_id(absl::StrFormat("R%012d", i));
  o.set_tracking_number(absl::StrFormat("JB%010d", i));
  o.set_unit_id(absl::StrCat("unit.", i % units));
  o.set_unit_name(absl::StrCat("单位", i % units));
  o.set_unit_kind(static_cast<rv1::UnitKind>(1 + i % 4));
  o.set_lead(true);
  o.set_version(1);
  o.set_state(rv1::ORDER_STATE_DISPATCHED);
  absl::Time t = month + absl::Seconds(static_cast<int64_t>(rng() % (27 * 86400)));
  *o.mutable_dispatch_time() = ToTimestamp(t);
  *o.mutable_sign_for_deadline() = ToTimestamp(t + absl::Hours(24));
  *o.mutable_deadline() = ToTimestamp(t + absl::Hours(240));
  rv1::OrdersDispatched d;
  *d.add_orders() = o;
  logs.routing.push_back(Wrap(d, t, ++seq));
  auto change = [&](const char* name) {
    o.set_version(o.version() + 1);
    rv1::OrderChanged c;
    c.set_change(name);
    *c.mutable_order() = o;
    logs.routing.push_back(Wrap(c, t, ++seq));
  };
  t += absl::Hours(chance(85) ? 2 : 30);
  o.set_state(rv1::ORDER_STATE_SIGNED_FOR);
  *o.mutable_sign_time() = ToTimestamp(t);
  change("signed_for");
  if (chance(15)) {
    jiban::escalation::v1::LightRaised l;
    l.mutable_light()->set_id(absl::StrFormat("L%012d", i));
    l.mutable_light()->set_order_id(o.id());
    l.mutable_light()->set_unit_id(o.unit_id());
    l.mutable_light()->set_colour(chance(30) ? jiban::escalation::v1::LIGHT_COLOUR_RED
                                             : jiban::escalation::v1::LIGHT_COLOUR_YELLOW);
    *l.mutable_light()->mutable_raise_time() = ToTimestamp(t);
    logs.escalation.push_back(Wrap(l, t, ++seq));
  }
  t += absl::Hours(static_cast<int64_t>(rng() % 280));
  o.set_state(rv1::ORDER_STATE_REPLIED);
  o.mutable_reply()->set_outcome(rv1::REPLY_OUTCOME_RESOLVED);
  *o.mutable_reply()->mutable_reply_time() = ToTimestamp(t);
  change("replied");
  t += absl::Hours(20);
  jiban::intake::v1::RequestEvaluated ev;
  ev.set_id(o.request_id());
  ev.mutable_evaluation()->set_satisfaction(jiban::intake::v1::SATISFACTION_SATISFIED);
  ev.mutable_evaluation()->set_resolution(jiban::intake::v1::RESOLUTION_RESOLVED);
  ev.mutable_evaluation()->set_dissatisfied(chance(10));
  *ev.mutable_evaluation()->mutable_create_time() = ToTimestamp(t);
  logs.intake.push_back(Wrap(ev, t, ++seq));
  o.set_state(rv1::ORDER_STATE_CLOSED);
  change("closed");
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t orders = 1'000'000;
  int units = 60;
  int64_t chunk = 50'000;
  int threads = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    bool ok = false;
    if (a.rfind("--orders=", 0) == 0) ok = absl::SimpleAtoi(a.substr(9), &orders) && orders > 0;
    if (a.rfind("--units=", 0) == 0) ok = absl::SimpleAtoi(a.substr(8), &units) && units > 0;
    if (a.rfind("--chunk=", 0) == 0) ok = absl::SimpleAtoi(a.substr(8), &chunk) && chunk > 0;
    if (a.rfind("--threads=", 0) == 0) ok = absl::SimpleAtoi(a.substr(10), &threads) && threads > 0;
    if (!ok) {
      std::cerr << "usage: jiban-assessment-bench [--orders=N] [--units=N] [--chunk=N]"
                   " [--threads=2]\n";
      return 2;
    }
  }
  auto scheme = jiban::assessment::DefaultScheme();
  auto period = jiban::assessment::ParsePeriod("2026-11");
  if (!scheme.ok() || !period.ok()) return 1;
  scheme->version = 1;
  std::mt19937 rng(42);
  jiban::assessment::MemoryFacts one, many;  // the same replay on one thread and on `threads`
  std::chrono::steady_clock::duration decode{}, replay_one{}, replay_many{};
  int64_t events = 0, seq = 0, checksum = 0;
  Logs logs;
  jiban::events::v1::Event e;
  rv1::OrderChanged changed;
  rv1::OrdersDispatched dispatched;
  for (int64_t first = 0; first < orders; first += chunk) {
    logs = Logs();
    for (int64_t i = first; i < std::min(orders, first + chunk); ++i) {
      Life(i, units, rng, period->start, logs, seq);
    }
    events += static_cast<int64_t>(logs.size());
    // Baseline: decode only.
    auto start = std::chrono::steady_clock::now();
    for (const auto* log : {&logs.intake, &logs.routing, &logs.escalation}) {
      for (const std::string& bytes : *log) {
        e.ParseFromString(bytes);
        if (e.payload().UnpackTo(&changed) || e.payload().UnpackTo(&dispatched)) checksum++;
      }
    }
    decode += std::chrono::steady_clock::now() - start;
    // Replay: decode, convert, fold — on one thread, then on `threads`.
    for (auto [n, facts, elapsed] :
         {std::tuple{1, &one, &replay_one}, std::tuple{threads, &many, &replay_many}}) {
      start = std::chrono::steady_clock::now();
      auto part = jiban::assessment::Replay(logs.intake, logs.routing, logs.escalation, n);
      if (!part.ok()) return 1;
      facts->MergeFrom(std::move(*part));
      *elapsed += std::chrono::steady_clock::now() - start;
    }
  }
  auto start = std::chrono::steady_clock::now();
  int64_t total = 0;
  const auto unit_facts = many.Facts(period->start, period->end, "");
  for (const auto& f : unit_facts) {
    total += jiban::assessment::Score(*scheme, f, *period, period->end).total_centipoints;
  }
  const auto score = std::chrono::steady_clock::now() - start;
  // Both replays must agree: the split fold is the same fold.
  int64_t check = 0;
  for (const auto& f : one.Facts(period->start, period->end, "")) {
    check += jiban::assessment::Score(*scheme, f, *period, period->end).total_centipoints;
  }
  if (check != total || one.orders() != many.orders()) {
    std::cerr << "jiban-assessment-bench: the replays disagree\n";
    return 1;
  }
  auto rate = [&](std::chrono::steady_clock::duration d) {
    return static_cast<double>(orders) / Seconds(d);
  };
  std::cout << absl::StrFormat(
      "{\"orders\":%d,\"events\":%d,\"units\":%d,\"facts_kept\":%d,\"threads\":%d,"
      "\"baseline_decode_orders_per_s\":%.0f,\"replay_1_thread_orders_per_s\":%.0f,"
      "\"replay_orders_per_s\":%.0f,\"ratio_to_baseline\":%.3f,\"score_seconds\":%.3f,"
      "\"checksum\":%d}\n",
      orders, events, unit_facts.size(), many.orders(), threads, rate(decode), rate(replay_one),
      rate(replay_many), rate(replay_many) / rate(decode), Seconds(score), checksum + total);
  return 0;
}
