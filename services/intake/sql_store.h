// IntakeStore over libs/db (MySQL or SQLite), appending events to the service's event log in the
// same transaction as the state change.
#ifndef JIBAN_SERVICES_INTAKE_SQL_STORE_H_
#define JIBAN_SERVICES_INTAKE_SQL_STORE_H_

#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/db/sequence.h"
#include "libs/events/event_log.h"
#include "services/intake/store.h"

namespace jiban::intake {

// Intake's own migrations plus the event log's, in the order they must be applied.
std::vector<db::MigrationSet> Migrations(db::Dialect dialect);

class SqlIntakeStore final : public IntakeStore {
 public:
  SqlIntakeStore(db::Database& db, events::EventLog& log)
      : db_(db), log_(log), serials_(db, "intake.tracking_number") {}

  absl::StatusOr<Request> Create(const std::string& request_id, const std::string& fingerprint,
                                 const Request& request, const CallContext& call) override;
  absl::StatusOr<std::optional<StoredSubmission>> FindByRequestId(
      const std::string& request_id) override;
  absl::StatusOr<std::optional<Request>> Get(const std::string& id) override;

 private:
  db::Database& db_;
  events::EventLog& log_;
  db::BlockSequence serials_;  // the serial part of tracking numbers
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_SQL_STORE_H_
