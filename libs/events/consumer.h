// Consumes another service's event log with an exactly-once effect: each event is applied and the
// consumer's cursor advanced in one transaction of the consumer's own database, so a crash at any
// point either keeps both or neither, and a replayed event (at-least-once delivery) is skipped.
//
// A handler that fails leaves the event unapplied; the consumer retries it with backoff (and
// counts the failure) rather than skipping it: order and completeness matter more than progress.
#ifndef JIBAN_LIBS_EVENTS_CONSUMER_H_
#define JIBAN_LIBS_EVENTS_CONSUMER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "libs/db/db.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "proto/jiban/events/v1/events.grpc.pb.h"

namespace jiban::events {

using Handler =
    std::function<absl::Status(db::Transaction& tx, const jiban::events::v1::Event& event)>;

struct ConsumerOptions {
  std::string name;  // unique per consuming service and source, e.g. "routing<-intake"
  std::shared_ptr<grpc::Channel> source;
  absl::Duration max_backoff = absl::Seconds(5);
  // How often the source's head is asked for (GetHead), so that the lag gauge also counts what a
  // held-back stream has not delivered yet (a slow apply, flow control). Each ask is one logged
  // call on the source: every 5 s keeps that small beside a 15 s scrape interval.
  absl::Duration head_interval = absl::Seconds(5);
  // Told at each head poll while the consumer is behind (a replay from sequence 0, a backlog),
  // and once when it has caught up: what is applied and the source's head. Null: not told.
  std::function<void(int64_t applied_through, int64_t head)> on_progress;
};

class Consumer {
 public:
  Consumer(ConsumerOptions options, db::Database& db, Handler handler,
           prometheus::Registry& metrics);
  ~Consumer();  // stops

  // Starts the background loop.
  absl::Status Start();
  // Cancels the stream and joins the loop; an event being applied finishes or rolls back.
  void Stop();

  // Applies one event exactly once (skipping it when the cursor is already past it). The loop
  // uses it; exposed for tests and replay tools.
  absl::Status Apply(const jiban::events::v1::Event& event);
  // Applies events (in sequence order) in one transaction: all of them or none.
  absl::Status ApplyAll(const std::vector<const jiban::events::v1::Event*>& events);
  absl::StatusOr<int64_t> Cursor();
  // Blocks until every event up to `sequence` has been applied (or skipped as applied before) by
  // this consumer, or `timeout` passes; false on timeout. For tests and orderly hand-overs.
  bool WaitApplied(int64_t sequence, absl::Duration timeout);

 private:
  void Loop();
  void PollHead();                 // the head poller's loop
  bool Backoff(absl::Duration d);  // false when stopping
  // lag = the newest head heard of − what is applied, once the cursor is known.
  void SetLag() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ConsumerOptions options_;
  db::Database& db_;
  const Handler handler_;
  std::unique_ptr<jiban::events::v1::EventLogService::Stub> stub_;
  prometheus::Gauge& lag_;
  prometheus::Counter& applied_;
  prometheus::Counter& failures_;

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  int64_t applied_through_ ABSL_GUARDED_BY(mu_) = 0;
  bool cursor_read_ ABSL_GUARDED_BY(mu_) = false;
  int64_t source_head_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
  std::thread head_thread_;
};

}  // namespace jiban::events

#endif  // JIBAN_LIBS_EVENTS_CONSUMER_H_
