#include "libs/events/consumer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"

namespace jiban::events {

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
  if (!thread_.joinable() && !stop_) thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Consumer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int64_t> Consumer::Cursor() {
  JIBAN_ASSIGN_OR_RETURN(
      auto rows, db_.Query("SELECT last_sequence FROM jiban_consumer_cursors WHERE consumer = ?",
                           {options_.name}));
  return rows.empty() ? 0 : rows.front().Int(0);
}

absl::Status Consumer::Apply(const jiban::events::v1::Event& event) {
  bool applied = false;
  absl::Status s = db_.Transact([&](db::Transaction& tx) -> absl::Status {
    applied = false;
    JIBAN_ASSIGN_OR_RETURN(
        auto cursor, tx.QueryOne(absl::StrCat("SELECT last_sequence FROM jiban_consumer_cursors "
                                              "WHERE consumer = ?",
                                              tx.ForUpdate()),
                                 {options_.name}));
    if (!cursor.has_value()) {
      return absl::FailedPreconditionError("consumer cursor row missing; call Start() first");
    }
    if (event.sequence() <= cursor->Int(0)) return absl::OkStatus();  // already applied
    JIBAN_RETURN_IF_ERROR(handler_(tx, event));
    JIBAN_RETURN_IF_ERROR(tx.Execute(
        "UPDATE jiban_consumer_cursors SET last_sequence = ?, updated_at_ms = ? "
        "WHERE consumer = ?",
        {event.sequence(), absl::ToUnixMillis(absl::Now()), options_.name}));
    applied = true;
    return absl::OkStatus();
  });
  if (s.ok() && applied) applied_.Increment();
  if (s.ok()) {
    absl::MutexLock lock(&mu_);
    applied_through_ = std::max(applied_through_, event.sequence());
  }
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
    }
    jiban::events::v1::StreamEventsRequest request;
    request.set_after_sequence(*cursor);
    auto reader = stub_->StreamEvents(&context, request);
    jiban::events::v1::StreamEventsResponse response;
    bool healthy = true;
    while (healthy && reader->Read(&response)) {
      for (const auto& event : response.events()) {
        absl::Status s = Apply(event);
        if (!s.ok()) {
          failures_.Increment();
          healthy = false;  // reconnect from the cursor after a backoff
          break;
        }
        *cursor = event.sequence();
        backoff = absl::Milliseconds(50);
      }
      lag_.Set(static_cast<double>(std::max<int64_t>(0, response.head_sequence() - *cursor)));
    }
    if (!healthy) context.TryCancel();
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
