#include "libs/events/consumer.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"

namespace jiban::events {
namespace {

using jiban::events::v1::StreamEventsResponse;

// Reads one stream ahead of the thread that applies it: while a transaction commits, the batches
// the source sends meanwhile wait here, and the next transaction takes them all (up to
// kMaxEventsPerTransaction). A consumer that falls behind therefore commits rarely and in bulk,
// instead of once per small batch; an idle one applies each event as soon as it arrives.
class ReadAhead {
 public:
  static constexpr size_t kMaxEventsPerTransaction = 1000;
  static constexpr size_t kMaxQueuedEvents = 5000;  // the reader waits beyond this

  explicit ReadAhead(grpc::ClientReader<StreamEventsResponse>& reader)
      : thread_([this, &reader] { Read(reader); }) {}
  // The stream must have been cancelled or have ended (its Read returns false) before this.
  ~ReadAhead() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

  // Waits for at least one response; moves the waiting ones (whole responses, at most about
  // kMaxEventsPerTransaction events) into `out`, and sets `head` to the newest head of the source
  // log any response read so far has told (queued ones included: a lag gauge that counts what
  // waits here). False when the stream ended with nothing left.
  bool Take(std::vector<StreamEventsResponse>* out, int64_t* head) {
    out->clear();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](ReadAhead* r)
             ABSL_SHARED_LOCKS_REQUIRED(r->mu_) { return !r->queue_.empty() || r->ended_; },
        this));
    size_t events = 0;
    while (!queue_.empty() &&
           (out->empty() || events + static_cast<size_t>(queue_.front().events_size()) <=
                                kMaxEventsPerTransaction)) {
      events += static_cast<size_t>(queue_.front().events_size());
      queued_events_ -= static_cast<size_t>(queue_.front().events_size());
      out->push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    *head = newest_head_;
    return !out->empty();
  }

 private:
  void Read(grpc::ClientReader<StreamEventsResponse>& reader) {
    StreamEventsResponse response;
    while (reader.Read(&response)) {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ReadAhead* r) ABSL_SHARED_LOCKS_REQUIRED(r->mu_) {
            return r->queued_events_ < kMaxQueuedEvents || r->stopping_;
          },
          this));
      if (stopping_) break;
      newest_head_ = std::max(newest_head_, response.head_sequence());
      queued_events_ += static_cast<size_t>(response.events_size());
      queue_.push_back(std::move(response));
      response = StreamEventsResponse();
    }
    absl::MutexLock lock(&mu_);
    ended_ = true;
  }

  absl::Mutex mu_;
  std::deque<StreamEventsResponse> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_events_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t newest_head_ ABSL_GUARDED_BY(mu_) = 0;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace

Consumer::Consumer(ConsumerOptions options, db::Database& db, Handler handler,
                   prometheus::Registry& metrics)
    : options_(std::move(options)),
      db_(db),
      handler_(std::move(handler)),
      stub_(jiban::events::v1::EventLogService::NewStub(options_.source)),
      lag_(prometheus::BuildGauge()
               .Name("jiban_event_consumer_lag_events")
               .Help("Events committed in the source log that this consumer has not applied yet")
               .Register(metrics)
               .Add({{"consumer", options_.name}})),
      applied_(prometheus::BuildCounter()
                   .Name("jiban_event_consumer_applied_total")
                   .Help("Events applied by this consumer")
                   .Register(metrics)
                   .Add({{"consumer", options_.name}})),
      failures_(prometheus::BuildCounter()
                    .Name("jiban_event_consumer_failures_total")
                    .Help("Failed attempts to stream or apply events (each retried)")
                    .Register(metrics)
                    .Add({{"consumer", options_.name}})) {}

Consumer::~Consumer() { Stop(); }

absl::Status Consumer::Start() {
  // Create the cursor row once, so Apply can always lock it.
  auto created = db_.Execute(
      "INSERT INTO jiban_consumer_cursors (consumer, last_sequence, updated_at_ms) "
      "VALUES (?, 0, 0)",
      {options_.name});
  if (!created.ok() && created.status().code() != absl::StatusCode::kAlreadyExists) {
    return created.status();
  }
  absl::MutexLock lock(&mu_);
  if (!thread_.joinable() && !stop_) {
    thread_ = std::thread([this] { Loop(); });
    head_thread_ = std::thread([this] { PollHead(); });
  }
  return absl::OkStatus();
}

void Consumer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
  if (head_thread_.joinable()) head_thread_.join();
}

void Consumer::SetLag() {
  if (cursor_read_) {
    lag_.Set(static_cast<double>(std::max<int64_t>(0, source_head_ - applied_through_)));
  }
}

void Consumer::PollHead() {
  bool behind = false;  // at the last poll
  do {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    jiban::events::v1::GetHeadResponse response;
    if (!stub_->GetHead(&context, jiban::events::v1::GetHeadRequest(), &response).ok()) continue;
    int64_t applied = 0, head = 0;
    {
      absl::MutexLock lock(&mu_);
      source_head_ = std::max(source_head_, response.head_sequence());
      SetLag();
      if (!cursor_read_) continue;
      applied = applied_through_;
      head = source_head_;
    }
    const bool was_behind = std::exchange(behind, applied < head);
    if (options_.on_progress && (behind || was_behind)) options_.on_progress(applied, head);
  } while (Backoff(options_.head_interval));
}

absl::StatusOr<int64_t> Consumer::Cursor() {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT last_sequence FROM jiban_consumer_cursors WHERE consumer = ?",
                           {options_.name}));
  return rows.empty() ? 0 : rows.front().Int(0);
}

absl::Status Consumer::Apply(const jiban::events::v1::Event& event) { return ApplyAll({&event}); }

absl::Status Consumer::ApplyAll(const std::vector<const jiban::events::v1::Event*>& events) {
  int applied = 0;
  int64_t through = 0;
  absl::Status s = db_.Transact([&](db::Transaction& tx) -> absl::Status {
    applied = 0;
    JIBAN_ASSIGN_OR_RETURN(
        auto cursor, tx.QueryOne(absl::StrCat("SELECT last_sequence FROM jiban_consumer_cursors "
                                              "WHERE consumer = ?",
                                              tx.ForUpdate()),
                                 {options_.name}));
    if (!cursor.has_value()) {
      return absl::FailedPreconditionError("consumer cursor row missing; call Start() first");
    }
    const int64_t start = cursor->Int(0);
    through = start;
    for (const auto* event : events) {
      if (event->sequence() <= through) continue;  // already applied
      JIBAN_RETURN_IF_ERROR(handler_(tx, *event));
      through = event->sequence();
      ++applied;
    }
    if (through == start) return absl::OkStatus();
    return tx
        .Execute(
            "UPDATE jiban_consumer_cursors SET last_sequence = ?, updated_at_ms = ? "
            "WHERE consumer = ?",
            {through, absl::ToUnixMillis(absl::Now()), options_.name})
        .status();
  });
  if (!s.ok()) return s;
  applied_.Increment(applied);
  absl::MutexLock lock(&mu_);
  applied_through_ = std::max(applied_through_, through);
  return s;
}

bool Consumer::WaitApplied(int64_t sequence, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return applied_through_ >= sequence; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool Consumer::Backoff(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stop_), d);
  return !stop_;
}

void Consumer::Loop() {
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    auto cursor = Cursor();
    if (!cursor.ok()) {
      failures_.Increment();
      if (!Backoff(backoff)) return;
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      active_ = &context;
      applied_through_ = std::max(applied_through_, *cursor);
      cursor_read_ = true;
    }
    jiban::events::v1::StreamEventsRequest request;
    request.set_after_sequence(*cursor);
    auto reader = stub_->StreamEvents(&context, request);
    bool healthy = true;
    {
      ReadAhead ahead(*reader);
      std::vector<StreamEventsResponse> responses;
      int64_t head = 0;
      while (healthy && ahead.Take(&responses, &head)) {
        {
          absl::MutexLock lock(&mu_);
          if (stop_) break;  // Stop() cancelled the stream; what is queued waits for next time
        }
        // What has arrived in one transaction (one commit, one fsync); when it fails, event by
        // event, so that the events before a failing one still take effect.
        std::vector<const jiban::events::v1::Event*> batch;
        for (const auto& response : responses) {
          for (const auto& event : response.events()) batch.push_back(&event);
        }
        if (!batch.empty() && !ApplyAll(batch).ok()) {
          for (const auto* event : batch) {
            if (!Apply(*event).ok()) {
              failures_.Increment();
              healthy = false;  // reconnect from the cursor after a backoff
              break;
            }
          }
        }
        if (healthy && !batch.empty()) {
          *cursor = batch.back()->sequence();
          backoff = absl::Milliseconds(50);
        }
        absl::MutexLock lock(&mu_);
        source_head_ = std::max(source_head_, head);
        SetLag();
      }
      if (!healthy) context.TryCancel();  // ends the reader's Read before `ahead` joins it
    }
    grpc::Status finished = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      active_ = nullptr;
      if (stop_) return;
    }
    if (healthy && !finished.ok()) failures_.Increment();
    if (!Backoff(backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace jiban::events
