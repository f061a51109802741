// Intake's narrow storage contract. SqlIntakeStore implements it over libs/db for both the MySQL
// and the SQLite driver (the dialects differ only in migrations); it seals personal data on the
// way in and opens it on the way out, so the domain only ever sees plain values.
#ifndef JIBAN_SERVICES_INTAKE_STORE_H_
#define JIBAN_SERVICES_INTAKE_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/intake/domain.h"

namespace jiban::intake {

struct ListQuery {
  Intake::ListFilter filter;  // validated; requester_phone normalised
  // Keyset: ids strictly below before_id (ids are time-ordered ULIDs: newest first).
  std::string before_id;
  int limit = 20;
};

// A decided change to one request: what the domain's rules produced from its current state.
struct Mutation {
  enum class Kind { kSupplement, kWithdraw, kEvaluate, kMerge, kUnmerge };
  Kind kind;
  Status status;                         // the status after the change
  std::optional<Supplement> supplement;  // kSupplement
  std::optional<Evaluation> evaluation;  // kEvaluate
  std::string master_id;                 // kMerge: the master; kUnmerge: the former master
  std::string description;               // the timeline entry
};

// Decides the change for `current` (locked), or refuses with a status. CANCELLED means "nothing
// to change" (e.g. withdrawing twice): the request is returned as it is.
using Decide = std::function<absl::StatusOr<Mutation>(const Request& current)>;

class IntakeStore {
 public:
  virtual ~IntakeStore() = default;
  // Inserts the request (assigning its tracking number) and appends its RequestSubmitted event,
  // atomically. ALREADY_EXISTS (reason DUPLICATE_REQUEST_ID) when request_id was used before,
  // also when the earlier use is a concurrent call that commits first.
  // `signature` is SignatureOf the request's title and text.
  virtual absl::StatusOr<Request> Create(const std::string& request_id,
                                         const std::string& canonical, const Request& request,
                                         const Signature& signature, const CallContext& call) = 0;
  // The request stored under `request_id`, and whether its body matched `canonical`.
  struct Replay {
    Request request;
    bool same_body;
  };
  virtual absl::StatusOr<std::optional<Replay>> FindByRequestId(const std::string& request_id,
                                                                const std::string& canonical) = 0;
  virtual absl::StatusOr<std::optional<Request>> Get(const std::string& id) = 0;
  virtual absl::StatusOr<std::optional<Request>> GetByTrackingNumber(
      const std::string& tracking_number) = 0;
  virtual absl::StatusOr<std::vector<Request>> List(const ListQuery& query) = 0;
  virtual absl::StatusOr<std::vector<TimelineEntry>> History(const std::string& id) = 0;

  // The open duplicate-eligible requests of the district that Screen() passes for `incoming`,
  // best first, at most 3, with their place and signature but without their text.
  virtual absl::StatusOr<std::vector<DuplicateCandidate>> DuplicateShortlist(
      const std::string& district_code, const DuplicateCandidate& incoming,
      const DuplicatePolicy& policy) = 0;
  // Fills in the title and text of each candidate.
  virtual absl::Status FillTexts(std::vector<DuplicateCandidate>& candidates) = 0;
  // The blind index the store would keep for `address` (empty for an empty address).
  virtual std::string AddressKey(const std::string& address) const = 0;
  // Appends to the insert-only record of who was shown the sealed details of confidential
  // requests (request ids, the reader's role and identity, the call, the instant).
  virtual absl::Status RecordSealedReads(const std::vector<std::string>& request_ids,
                                         const std::string& reader, absl::Time at,
                                         const CallContext& call) = 0;

  // Locks `ids` (in a fixed order), asks `decide` for each, and applies every mutation with its
  // history entry and event in one transaction; nothing is written if any decision fails.
  // `idempotency_key` (for supplements) makes a retried call return the first result.
  virtual absl::StatusOr<std::vector<Request>> Update(const std::vector<std::string>& ids,
                                                      const Decide& decide, absl::Time at,
                                                      const std::string& idempotency_key,
                                                      const CallContext& call) = 0;
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_STORE_H_
