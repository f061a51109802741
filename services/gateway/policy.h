// Who may call what: a policy file maps each role to the methods it may call (exact names, or
// prefixes ending in `*`), and names the internal methods that are never reachable through the
// gateway whatever the role (event streams, service-to-service calls, reloads). Pure.
#ifndef JIBAN_SERVICES_GATEWAY_POLICY_H_
#define JIBAN_SERVICES_GATEWAY_POLICY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/auth.h"

namespace jiban::gateway {

class Policy {
 public:
  // The policy file (JSON: {"internal": [patterns], "roles": {role: [patterns]}}); every role
  // must be one of kRoles. INVALID_ARGUMENT naming the bad entry.
  static absl::StatusOr<Policy> Parse(absl::string_view json);
  // The policy that ships (services/gateway/defaults/policy.json).
  static absl::StatusOr<Policy> Default();

  // `method` is "package.Service/Method". NOT_FOUND (METHOD_NOT_FOUND) for an internal method —
  // it does not exist as far as callers know; PERMISSION_DENIED (ROLE_NOT_ALLOWED or
  // SCOPE_NOT_ALLOWED) when the principal may not call it.
  absl::Status Check(const Principal& p, absl::string_view method) const;
  bool Internal(absl::string_view method) const;

 private:
  std::vector<std::string> internal_;
  std::map<std::string, std::vector<std::string>> roles_;
};

// A pattern matches a method exactly, or by prefix when it ends with '*'.
bool Matches(absl::string_view pattern, absl::string_view method);

}  // namespace jiban::gateway

#endif  // JIBAN_SERVICES_GATEWAY_POLICY_H_
