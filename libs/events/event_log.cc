#include "libs/events/event_log.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/status/macros.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"

namespace jiban::generated {
db::MigrationSet events_migrations(db::Dialect dialect);
}  // namespace jiban::generated

namespace jiban::events {
namespace {

constexpr size_t kChunk = 32;

// UPDATE jiban_events SET seq = CASE id WHEN ? THEN ? ... END WHERE id IN (?, ...), kChunk pairs.
const std::string& NumberingStatement() {
  static const std::string kSql = [] {
    std::string sql = "UPDATE jiban_events SET seq = CASE id";
    for (size_t i = 0; i < kChunk; ++i) sql += " WHEN ? THEN ?";
    sql += " END WHERE id IN (?";
    for (size_t i = 1; i < kChunk; ++i) sql += ", ?";
    return sql + ")";
  }();
  return kSql;
}

}  // namespace

db::MigrationSet Migrations(db::Dialect dialect) {
  return generated::events_migrations(dialect);
}

EventLog::EventLog(db::Database& db, const Clock& clock, IdGenerator& ids,
                   prometheus::Registry& metrics, EventLogOptions options)
    : db_(db),
      clock_(clock),
      ids_(ids),
      options_(options),
      head_gauge_(prometheus::BuildGauge()
                      .Name("jiban_event_log_head_sequence")
                      .Help("Highest sequence number assigned in this service's event log")
                      .Register(metrics)
                      .Add({})),
      appended_(prometheus::BuildCounter()
                    .Name("jiban_event_log_appended_total")
                    .Help("Events appended to this service's event log (committed or not)")
                    .Register(metrics)
                    .Add({})) {}

EventLog::~EventLog() { Stop(); }

absl::Status EventLog::Append(db::Transaction& tx, const google::protobuf::Message& payload,
                              const EventContext& context) {
  std::string bytes;
  if (!payload.SerializeToString(&bytes)) return absl::InternalError("cannot serialize event");
  JIBAN_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO jiban_events (event_id, type_url, payload, aggregate_id, request_id, trace_id,"
      " occurred_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
      {ids_.Next(), absl::StrCat("type.googleapis.com/", payload.GetDescriptor()->full_name()),
       db::Blob{std::move(bytes)}, context.aggregate_id, context.request_id, context.trace_id,
       absl::ToUnixMillis(clock_.Now())}));
  appended_.Increment();
  tx.OnCommit([this] { NoteLocalCommit(); });
  return absl::OkStatus();
}

void EventLog::NoteLocalCommit() {
  absl::MutexLock lock(&mu_);
  ++local_commits_;
}

absl::StatusOr<int> EventLog::SequencePending() {
  int numbered = 0;
  int64_t head = 0;
  // Cheap check first, so an idle poll costs one indexed read and no write lock.
  JIBAN_ASSIGN_OR_RETURN(auto any, db_.Query("SELECT id FROM jiban_events WHERE seq IS NULL LIMIT 1"));
  if (any.empty()) return 0;
  // READ COMMITTED: the scan sees committed events only and takes no gap locks, so an open
  // producer transaction never blocks the numbering of events committed after it.
  JIBAN_ASSIGN_OR_RETURN(auto tx, db_.Begin(db::Isolation::kReadCommitted));
  JIBAN_ASSIGN_OR_RETURN(
      auto counter,
      tx.QueryOne(absl::StrCat("SELECT next_seq FROM jiban_event_sequencer WHERE id = 1",
                               tx.ForUpdate())));
  if (!counter.has_value()) return absl::InternalError("event sequencer row is missing");
  int64_t next = counter->Int(0);
  JIBAN_ASSIGN_OR_RETURN(auto pending,
                         tx.Query("SELECT id FROM jiban_events WHERE seq IS NULL ORDER BY id "
                                  "LIMIT ?",
                                  {options_.sequence_batch}));
  // Number in chunks of kChunk with one statement each; a short last chunk repeats its final
  // (id, seq) pair, which is harmless, so the statement text (and its prepared form) never varies.
  for (size_t begin = 0; begin < pending.size(); begin += kChunk) {
    db::Params params;
    params.reserve(3 * kChunk);
    for (size_t i = 0; i < kChunk; ++i) {
      const size_t k = std::min(begin + i, pending.size() - 1);
      params.emplace_back(pending[k].Int(0));
      params.emplace_back(next + static_cast<int64_t>(k));
    }
    for (size_t i = 0; i < kChunk; ++i) {
      params.emplace_back(pending[std::min(begin + i, pending.size() - 1)].Int(0));
    }
    JIBAN_RETURN_IF_ERROR(tx.Execute(NumberingStatement(), params));
  }
  numbered = static_cast<int>(pending.size());
  next += numbered;
  if (numbered > 0) {
    JIBAN_RETURN_IF_ERROR(
        tx.Execute("UPDATE jiban_event_sequencer SET next_seq = ? WHERE id = 1", {next}));
  }
  head = next - 1;
  JIBAN_RETURN_IF_ERROR(tx.Commit());
  absl::MutexLock lock(&mu_);
  if (head > head_) {
    head_ = head;
    head_gauge_.Set(static_cast<double>(head));
  }
  return numbered;
}

absl::StatusOr<EventLog::Batch> EventLog::Read(int64_t after, int limit) {
  Batch batch;
  JIBAN_ASSIGN_OR_RETURN(
      auto rows,
      db_.Query("SELECT seq, event_id, type_url, payload, aggregate_id, request_id, trace_id,"
                " occurred_at_ms FROM jiban_events WHERE seq > ? ORDER BY seq LIMIT ?",
                {after, limit}));
  JIBAN_ASSIGN_OR_RETURN(batch.head_sequence, Head());
  batch.events.reserve(rows.size());
  for (const auto& row : rows) {
    auto& e = batch.events.emplace_back();
    e.set_sequence(row.Int(0));
    e.set_event_id(row.Text(1));
    e.mutable_payload()->set_type_url(row.Text(2));
    e.mutable_payload()->set_value(row.Text(3));
    e.set_aggregate_id(row.Text(4));
    e.set_request_id(row.Text(5));
    e.set_trace_id(row.Text(6));
    *e.mutable_occurred_time() =
        google::protobuf::util::TimeUtil::MillisecondsToTimestamp(row.Int(7));
  }
  // The head is read after the events, so it is never below the last event returned.
  if (!batch.events.empty()) {
    batch.head_sequence = std::max(batch.head_sequence, batch.events.back().sequence());
  }
  return batch;
}

absl::StatusOr<int64_t> EventLog::Head() {
  JIBAN_ASSIGN_OR_RETURN(auto head, db_.Query("SELECT next_seq FROM jiban_event_sequencer"));
  return head.empty() ? 0 : head.front().Int(0) - 1;
}

void EventLog::WaitForEvents(int64_t after, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this, after]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return head_ > after || stop_; };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
}

void EventLog::Start() {
  absl::MutexLock lock(&mu_);
  if (sequencer_.joinable() || stop_) return;
  sequencer_ = std::thread([this] { SequencerLoop(); });
}

void EventLog::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (sequencer_.joinable()) sequencer_.join();
}

bool EventLog::stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

void EventLog::SequencerLoop() {
  int64_t seen_commits = -1;
  absl::Duration backoff = absl::ZeroDuration();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this, &seen_commits]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stop_ || local_commits_ != seen_commits;
      };
      mu_.AwaitWithTimeout(absl::Condition(&woken),
                           std::max(options_.poll_interval, backoff));
      if (stop_) return;
      seen_commits = local_commits_;
    }
    auto numbered = SequencePending();
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.min_pass_interval);
    }
    if (!numbered.ok()) {
      // Database trouble (or a conflict with another replica's sequencer): back off, retry.
      backoff = std::min(std::max(backoff * 2, absl::Milliseconds(50)), absl::Seconds(2));
      continue;
    }
    backoff = absl::ZeroDuration();
    if (*numbered == options_.sequence_batch) {
      absl::MutexLock lock(&mu_);
      seen_commits = -1;  // more may be waiting: go round again at once
    }
  }
}

}  // namespace jiban::events
