// Intake's narrow storage contract. SqlIntakeStore implements it over libs/db, for both the
// MySQL and the SQLite driver (the dialects differ only in migrations).
#ifndef JIBAN_SERVICES_INTAKE_STORE_H_
#define JIBAN_SERVICES_INTAKE_STORE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/intake/domain.h"

namespace jiban::intake {

struct StoredSubmission {
  Request request;
  std::string fingerprint;
};

class IntakeStore {
 public:
  virtual ~IntakeStore() = default;
  // Inserts the request (assigning its tracking number) and appends its RequestSubmitted event,
  // atomically. ALREADY_EXISTS (reason DUPLICATE_REQUEST_ID) when request_id was used before,
  // also when the earlier use is a concurrent call that commits first.
  virtual absl::StatusOr<Request> Create(const std::string& request_id,
                                         const std::string& fingerprint, const Request& request,
                                         const CallContext& call) = 0;
  virtual absl::StatusOr<std::optional<StoredSubmission>> FindByRequestId(
      const std::string& request_id) = 0;
  virtual absl::StatusOr<std::optional<Request>> Get(const std::string& id) = 0;
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_STORE_H_
