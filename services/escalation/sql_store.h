// Escalation's storage over libs/db (MySQL or SQLite): the transaction-scoped Store, the
// Transactor, and the Reader for queries. Lights' events go to the service's outbox.
#ifndef JIBAN_SERVICES_ESCALATION_SQL_STORE_H_
#define JIBAN_SERVICES_ESCALATION_SQL_STORE_H_

#include <vector>

#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "libs/events/event_log.h"
#include "services/escalation/domain.h"

namespace jiban::escalation {

std::vector<db::MigrationSet> Migrations(db::Dialect dialect);

// Called after a transaction that raised a light commits (metrics).
using RaisedHook = std::function<void(const Light&)>;

class SqlStore final : public Store {
 public:
  SqlStore(db::Transaction& tx, events::EventLog& log, const RaisedHook* hook = nullptr)
      : tx_(tx), log_(log), hook_(hook) {}
  absl::StatusOr<std::optional<Tracked>> GetOrder(const std::string& order_id) override;
  absl::Status PutOrder(const Tracked& t) override;
  absl::Status SetTimer(const Timer& t) override;
  absl::Status DeleteTimers(const std::string& order_id,
                            const std::vector<TimerKind>& kinds) override;
  absl::StatusOr<std::vector<Timer>> DueTimers(absl::Time now, int limit) override;
  absl::StatusOr<bool> InsertLight(const Light& l) override;
  absl::StatusOr<std::vector<Light>> ActiveLights(const std::string& order_id) override;
  absl::Status ClearLight(const Light& l) override;
  absl::Status Raised(const Light& l, const CallContext& call) override;
  absl::Status Cleared(const Light& l, const CallContext& call) override;
  absl::StatusOr<std::optional<Case>> GetCase(const std::string& id) override;
  absl::StatusOr<std::optional<Case>> OpenCaseOf(const std::string& order_id) override;
  absl::Status PutCase(const Case& c, bool insert) override;
  absl::StatusOr<std::pair<int64_t, std::string>> ChainHead() override;
  absl::Status AppendAction(const CaseAction& a) override;
  absl::StatusOr<bool> ClaimKey(const std::string& key, const std::string& object_id) override;
  absl::Status CaseChanged(const Case& c, const CaseAction& a, const CallContext& call) override;

 private:
  db::Transaction& tx_;
  events::EventLog& log_;
  const RaisedHook* hook_;
};

class SqlTransactor final : public Transactor {
 public:
  SqlTransactor(db::Database& db, events::EventLog& log, RaisedHook hook = nullptr)
      : db_(db), log_(log), hook_(std::move(hook)) {}
  absl::Status Run(const std::function<absl::Status(Store&)>& fn) override;
  const RaisedHook* hook() const { return hook_ ? &hook_ : nullptr; }

 private:
  db::Database& db_;
  events::EventLog& log_;
  RaisedHook hook_;
};

class SqlReader final : public Reader {
 public:
  explicit SqlReader(db::Database& db) : db_(db) {}
  absl::StatusOr<std::vector<Light>> ListLights(const LightQuery& q) override;
  absl::StatusOr<std::vector<Light>> OrderLights(const std::string& order_id) override;
  absl::StatusOr<std::vector<LightCount>> CountActive(const std::string& unit_id,
                                                      const std::string& district_code) override;
  absl::StatusOr<std::optional<Case>> FindCase(const std::string& id) override;
  absl::StatusOr<std::vector<Case>> ListCases(const CaseQuery& q) override;
  absl::StatusOr<std::vector<CaseAction>> Actions(const std::string& case_id,
                                                  int64_t after_sequence, int limit) override;
  absl::StatusOr<std::vector<std::pair<CaseKind, int64_t>>> CountOpenCases() override;
  // The case log's last entry (sequence 0 and an empty hash when empty), read without a lock:
  // the anchor the service logs.
  absl::StatusOr<std::pair<int64_t, std::string>> ChainHead();

 private:
  db::Database& db_;
};

}  // namespace jiban::escalation

#endif  // JIBAN_SERVICES_ESCALATION_SQL_STORE_H_
