// Assessment's storage over libs/db (MySQL or SQLite): the transaction-scoped Store, the
// Transactor, and the Reader that gathers a period's facts.
#ifndef JIBAN_SERVICES_ASSESSMENT_SQL_STORE_H_
#define JIBAN_SERVICES_ASSESSMENT_SQL_STORE_H_

#include <vector>

#include "libs/db/db.h"
#include "libs/db/migrate.h"
#include "services/assessment/domain.h"

namespace jiban::assessment {

std::vector<db::MigrationSet> Migrations(db::Dialect dialect);

// The consumers' names, by source ("assessment<-intake", ...).
inline constexpr const char* kConsumers[] = {"assessment<-intake", "assessment<-routing",
                                             "assessment<-escalation"};

// Forgets every fact and the consumers' cursors, in one transaction, so that the next start
// replays the three event logs from sequence 0 (`jiban-assessment rebuild`). Schemes, published
// scores, objections and the audit trail stay.
absl::Status ForgetFacts(db::Database& db);

class SqlStore final : public Store {
 public:
  explicit SqlStore(db::Transaction& tx) : tx_(tx) {}
  absl::StatusOr<std::optional<OrderFacts>> GetOrder(const std::string& order_id) override;
  absl::Status PutOrder(const OrderFacts& f) override;
  absl::StatusOr<std::optional<Evaluation>> GetEvaluation(const std::string& request_id) override;
  absl::Status PutEvaluation(const Evaluation& e) override;
  absl::Status PutLight(const LightFact& l) override;
  absl::StatusOr<std::optional<CaseFact>> GetCase(const std::string& case_id) override;
  absl::Status PutCase(const CaseFact& c) override;
  absl::StatusOr<int64_t> LatestSchemeVersion() override;
  absl::Status PutScheme(const Scheme& s) override;
  absl::StatusOr<bool> IsPublished(const std::string& period) override;
  absl::Status ReplacePublished(const std::string& period, int64_t scheme_version,
                                const std::vector<UnitScore>& scores, absl::Time now) override;
  absl::StatusOr<std::optional<Objection>> GetObjection(const std::string& id) override;
  absl::Status PutObjection(const Objection& o, bool insert) override;
  absl::StatusOr<std::optional<std::string>> ClaimKey(const std::string& key,
                                                      const std::string& object_id) override;
  absl::Status Audit(const std::string& object_id, const std::string& action,
                     const std::string& actor, const std::string& note, absl::Time time) override;

 private:
  db::Transaction& tx_;
};

class SqlTransactor final : public Transactor {
 public:
  explicit SqlTransactor(db::Database& db) : db_(db) {}
  absl::Status Run(const std::function<absl::Status(Store&)>& fn) override;

 private:
  db::Database& db_;
};

class SqlReader final : public Reader {
 public:
  explicit SqlReader(db::Database& db) : db_(db) {}
  absl::Status UnitFactsInPages(
      absl::Time start, absl::Time end, const std::string& unit_id, int page_size,
      const std::function<absl::Status(const UnitFacts& page, bool first)>& each) override;
  absl::StatusOr<std::vector<std::string>> UnitsWithFacts(absl::Time start,
                                                          absl::Time end) override;
  absl::StatusOr<std::optional<Scheme>> GetScheme(int64_t version) override;
  absl::StatusOr<std::optional<Scheme>> SchemeInForce(absl::CivilDay day) override;
  absl::StatusOr<std::optional<std::vector<UnitScore>>> Published(const std::string& period,
                                                                  const std::string& unit_id,
                                                                  bool with_against) override;
  absl::StatusOr<std::vector<Objection>> ListObjections(const std::string& unit_id,
                                                        std::optional<ObjectionState> state,
                                                        const std::string& before_id,
                                                        int limit) override;

 private:
  db::Database& db_;
};

}  // namespace jiban::assessment

#endif  // JIBAN_SERVICES_ASSESSMENT_SQL_STORE_H_
