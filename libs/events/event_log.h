// The transactional outbox every service uses to publish facts.
//
// A producer appends events inside its own transaction (Append). Auto-increment ids are not commit
// order when writers run concurrently: a reader that follows ids would step past an id whose
// transaction commits late and never see it. So an event is not readable until the sequencer has
// numbered it: the sequencer takes the committed, unnumbered events and gives them the next
// numbers under a lock, in its own transaction. Numbering is serial, so a reader sees a
// contiguous, gap-free prefix; an event whose transaction committed late simply gets a later
// number. A rolled-back event is never numbered and never read.
//
// The sequencer wakes on a local commit (Transaction::OnCommit) and polls for commits made by
// other replicas; readers (StreamEvents) wake when new numbers are assigned.
#ifndef JIBAN_LIBS_EVENTS_EVENT_LOG_H_
#define JIBAN_LIBS_EVENTS_EVENT_LOG_H_

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "prometheus/registry.h"
#include "proto/jiban/events/v1/events.pb.h"

namespace jiban::events {

// The event log's own tables (outbox, sequencer, consumer cursors); every service applies these
// with its own migrations.
db::MigrationSet Migrations(db::Dialect dialect);

// Who caused an event; carried into the envelope for tracing across services.
struct EventContext {
  std::string aggregate_id;
  std::string request_id;
  std::string trace_id;
};

struct EventLogOptions {
  absl::Duration poll_interval = absl::Milliseconds(200);  // picks up other replicas' commits
  // After a numbering pass the sequencer waits this long before the next, so under load one pass
  // numbers many commits instead of one transaction per commit.
  absl::Duration min_pass_interval = absl::Milliseconds(5);
  int sequence_batch = 1000;
};

class EventLog {
 public:
  EventLog(db::Database& db, const Clock& clock, IdGenerator& ids, prometheus::Registry& metrics,
           EventLogOptions options = {});
  ~EventLog();  // stops the sequencer

  // Appends `payload` in `tx`. Visible to readers only once `tx` commits and is numbered.
  absl::Status Append(db::Transaction& tx, const google::protobuf::Message& payload,
                      const EventContext& context);

  // Numbers committed, unnumbered events; returns how many it numbered. Safe to call from several
  // threads and replicas at once. The background sequencer calls it; tests may call it directly.
  absl::StatusOr<int> SequencePending();

  struct Batch {
    std::vector<jiban::events::v1::Event> events;
    int64_t head_sequence = 0;
  };
  // Numbered events with sequence > after, in order, at most `limit`.
  absl::StatusOr<Batch> Read(int64_t after, int limit);
  // The highest sequence numbered so far (by any replica); 0 when none.
  absl::StatusOr<int64_t> Head();

  // Blocks until events after `after` may be readable, `timeout` passes, or Stop() is called.
  void WaitForEvents(int64_t after, absl::Duration timeout);

  // Starts the background sequencer (idempotent).
  void Start();
  // Stops the sequencer and releases every waiting reader (for shutdown).
  void Stop();
  bool stopping() const;

 private:
  void SequencerLoop();
  void NoteLocalCommit();

  db::Database& db_;
  const Clock& clock_;
  IdGenerator& ids_;
  const EventLogOptions options_;
  prometheus::Gauge& head_gauge_;
  prometheus::Counter& appended_;

  mutable absl::Mutex mu_;
  int64_t local_commits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t head_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sequencer_;
};

}  // namespace jiban::events

#endif  // JIBAN_LIBS_EVENTS_EVENT_LOG_H_
