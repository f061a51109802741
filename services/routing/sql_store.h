// Routing's storage over libs/db (MySQL or SQLite): the transaction-scoped Store the domain works
// through, the Transactor that opens those transactions, the Reader for lists, and the
// configuration tables (unit directory, dispatch list versions, audit).
#ifndef JIBAN_SERVICES_ROUTING_SQL_STORE_H_
#define JIBAN_SERVICES_ROUTING_SQL_STORE_H_

#include <string>
#include <vector>

#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/events/event_log.h"
#include "services/routing/domain.h"

namespace jiban::routing {

// Routing's own migrations plus the platform's, in the order they must be applied.
std::vector<db::MigrationSet> Migrations(db::Dialect dialect);

class SqlStore final : public Store {
 public:
  SqlStore(db::Transaction& tx, events::EventLog& log) : tx_(tx), log_(log) {}

  absl::StatusOr<std::optional<RoutedRequest>> GetRequest(const std::string& id,
                                                          bool for_update) override;
  absl::Status PutRequest(const RoutedRequest& r, bool insert) override;
  absl::StatusOr<std::optional<WorkOrder>> GetOrder(const std::string& id,
                                                    bool for_update) override;
  absl::StatusOr<std::vector<WorkOrder>> OrdersOfRequest(const std::string& request_id,
                                                         bool for_update) override;
  absl::Status PutOrder(const WorkOrder& o, int64_t expected_version) override;
  absl::StatusOr<bool> ClaimKey(const std::string& key, const std::string& object_id) override;
  absl::Status Dispatched(const std::vector<WorkOrder>& orders, const CallContext& call) override;
  absl::Status Triaged(const RoutedRequest& r, const CallContext& call) override;
  absl::Status Changed(const OrderChange& change, const CallContext& call) override;

 private:
  db::Transaction& tx_;
  events::EventLog& log_;
};

class SqlTransactor final : public Transactor {
 public:
  SqlTransactor(db::Database& db, events::EventLog& log) : db_(db), log_(log) {}
  absl::Status Run(const std::function<absl::Status(Store&)>& fn) override;

 private:
  db::Database& db_;
  events::EventLog& log_;
};

class SqlReader final : public Reader {
 public:
  explicit SqlReader(db::Database& db) : db_(db) {}
  absl::StatusOr<std::optional<WorkOrder>> FindOrder(const std::string& id) override;
  absl::StatusOr<std::vector<WorkOrder>> ListOrders(const OrderQuery& q) override;
  absl::StatusOr<std::vector<RoutedRequest>> ListTriage(const std::string& after_id,
                                                        int limit) override;

 private:
  db::Database& db_;
};

// The unit directory and the dispatch list as stored, with their audit trail.
class ConfigStore final : public ConfigRepository {
 public:
  ConfigStore(db::Database& db, IdGenerator& ids, Clock& clock)
      : db_(db), ids_(ids), clock_(clock) {}
  absl::StatusOr<std::vector<Unit>> Units() override;
  absl::StatusOr<int> PutUnits(const std::vector<Unit>& units, const std::string& actor) override;
  absl::StatusOr<std::optional<DispatchList>> LatestList() override;
  absl::StatusOr<std::optional<DispatchList>> ListVersion(int64_t version) override;
  // `expected_version` ≥ 0 must equal the latest version (ABORTED, DISPATCH_LIST_CHANGED).
  absl::StatusOr<DispatchList> PutList(const DispatchList& list, const std::string& actor,
                                       int64_t expected_version) override;

 private:
  absl::Status Audit(db::Transaction& tx, const std::string& actor, const std::string& action,
                     const std::string& object_id, const std::string& body);
  db::Database& db_;
  IdGenerator& ids_;
  Clock& clock_;
};

}  // namespace jiban::routing

#endif  // JIBAN_SERVICES_ROUTING_SQL_STORE_H_
