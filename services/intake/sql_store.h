// IntakeStore over libs/db (MySQL or SQLite). Seals personal data with the service's Sealer
// (associated data binds each ciphertext to its column and request id) and appends events to the
// service's event log in the same transaction as each change.
#ifndef JIBAN_SERVICES_INTAKE_SQL_STORE_H_
#define JIBAN_SERVICES_INTAKE_SQL_STORE_H_

#include "libs/crypto/sealer.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/db/sequence.h"
#include "libs/events/event_log.h"
#include "services/intake/candidate_cache.h"
#include "services/intake/store.h"

namespace jiban::intake {

// Intake's own migrations plus the platform's, in the order they must be applied.
std::vector<db::MigrationSet> Migrations(db::Dialect dialect);

class SqlIntakeStore final : public IntakeStore {
 public:
  // `candidates` serves duplicate screening from memory; the store adds its own submits to it.
  SqlIntakeStore(db::Database& db, events::EventLog& log, const crypto::Sealer& sealer,
                 CandidateCache& candidates)
      : db_(db),
        log_(log),
        sealer_(sealer),
        serials_(db, "intake.tracking_number"),
        candidates_(candidates) {}

  absl::StatusOr<Request> Create(const std::string& request_id, const std::string& canonical,
                                 const Request& request, const Signature& signature,
                                 const CallContext& call) override;
  absl::StatusOr<std::optional<Replay>> FindByRequestId(const std::string& request_id,
                                                        const std::string& canonical) override;
  absl::StatusOr<std::optional<Request>> Get(const std::string& id) override;
  absl::StatusOr<std::optional<Request>> GetByTrackingNumber(
      const std::string& tracking_number) override;
  absl::StatusOr<std::vector<Request>> List(const ListQuery& query) override;
  absl::StatusOr<std::vector<TimelineEntry>> History(const std::string& id) override;
  absl::Status RecordSealedReads(const std::vector<std::string>& request_ids,
                                 const std::string& reader, absl::Time at,
                                 const CallContext& call) override;
  absl::StatusOr<std::vector<DuplicateCandidate>> DuplicateShortlist(
      const std::string& district_code, const DuplicateCandidate& incoming,
      const DuplicatePolicy& policy) override;
  absl::Status FillTexts(std::vector<DuplicateCandidate>& candidates) override;
  std::string AddressKey(const std::string& address) const override;
  absl::StatusOr<std::vector<Request>> Update(const std::vector<std::string>& ids,
                                              const Decide& decide, absl::Time at,
                                              const std::string& idempotency_key,
                                              const CallContext& call) override;

  // Applies routing's progress to the request inside `tx` (the event consumer's transaction):
  // its status and a timeline line, as StepFor decides. Unknown requests are ignored.
  absl::Status ApplyProgress(db::Transaction& tx, const RoutingProgress& p);

 private:
  absl::StatusOr<Request> FromRow(const db::Row& row) const;
  db::Value Seal(const char* column, const std::string& id, const std::string& plain) const;
  absl::StatusOr<std::string> Open(const char* column, const std::string& id, const db::Row& row,
                                   size_t index) const;
  // Supplements and member count: what a single-request read adds to the row.
  absl::Status Complete(db::Transaction* tx, Request& r);

  db::Database& db_;
  events::EventLog& log_;
  const crypto::Sealer& sealer_;
  db::BlockSequence serials_;  // the serial part of tracking numbers
  CandidateCache& candidates_;
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_SQL_STORE_H_
