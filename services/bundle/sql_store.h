// The bundle service's storage over libs/db (MySQL or SQLite): the transaction-scoped Store (the
// form sealed at rest), the Transactor, and the Reader with the catalogue versions.
#ifndef JIBAN_SERVICES_BUNDLE_SQL_STORE_H_
#define JIBAN_SERVICES_BUNDLE_SQL_STORE_H_

#include <vector>

#include "libs/crypto/sealer.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/db/sequence.h"
#include "libs/events/event_log.h"
#include "services/bundle/domain.h"

namespace jiban::bundle {

std::vector<db::MigrationSet> Migrations(db::Dialect dialect);

class SqlStore final : public Store {
 public:
  SqlStore(db::Transaction& tx, events::EventLog& log, const crypto::Sealer& sealer)
      : tx_(tx), log_(log), sealer_(sealer) {}
  absl::StatusOr<std::optional<Application>> GetApplication(const std::string& id) override;
  absl::Status PutApplication(Application& a, int64_t expected_version) override;
  absl::Status PutForm(const std::string& application_id,
                       const std::map<std::string, std::string>& form) override;
  absl::StatusOr<std::map<std::string, std::string>> GetForm(
      const std::string& application_id) override;
  absl::StatusOr<std::optional<Claim>> ClaimKey(const std::string& key,
                                                const Claim& claim) override;
  absl::Status Audit(const std::string& application_id, const std::string& action,
                     const std::string& actor, absl::Time time) override;
  absl::Status PutSignal(const Signal& s) override;
  absl::Status SetCategory(const std::string& request_id, const std::string& category) override;
  absl::StatusOr<std::optional<HotSpotDecision>> GetDecision(const std::string& key) override;
  absl::Status PutDecision(const HotSpotDecision& d) override;
  absl::Status Submitted(const Application& a, const CallContext& call) override;
  absl::Status Completed(const Application& a, const CallContext& call) override;

 private:
  db::Transaction& tx_;
  events::EventLog& log_;
  const crypto::Sealer& sealer_;
};

class SqlTransactor final : public Transactor {
 public:
  SqlTransactor(db::Database& db, events::EventLog& log, const crypto::Sealer& sealer)
      : db_(db), log_(log), sealer_(sealer) {}
  absl::Status Run(const std::function<absl::Status(Store&)>& fn) override;

 private:
  db::Database& db_;
  events::EventLog& log_;
  const crypto::Sealer& sealer_;
};

class SqlReader final : public Reader {
 public:
  explicit SqlReader(db::Database& db) : db_(db), serials_(db, "bundle.tracking_number") {}
  absl::StatusOr<std::optional<Application>> FindApplication(const std::string& key) override;
  absl::StatusOr<std::vector<Application>> ListApplications(const ApplicationQuery& q) override;
  absl::StatusOr<std::vector<Application>> PendingApplications(int limit) override;
  absl::StatusOr<int64_t> NextSerial() override { return serials_.Next(); }
  absl::StatusOr<std::vector<Signal>> Signals(absl::Time from, absl::Time to) override;
  absl::StatusOr<std::optional<HotSpotDecision>> FindDecision(const std::string& key) override;
  absl::StatusOr<std::vector<HotSpotDecision>> ListDecisions(const std::string& before_id,
                                                             int limit) override;
  absl::StatusOr<std::optional<Catalogue>> LatestCatalogue() override;
  absl::StatusOr<std::optional<Catalogue>> CatalogueVersion(int64_t version) override;
  absl::StatusOr<Catalogue> PutCatalogue(const Catalogue& c, const std::string& actor,
                                         int64_t expected_version) override;

 private:
  db::Database& db_;
  db::BlockSequence serials_;
};

}  // namespace jiban::bundle

#endif  // JIBAN_SERVICES_BUNDLE_SQL_STORE_H_
