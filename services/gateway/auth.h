// Who is calling: JWT bearer tokens from the city's identity provider (HS256 or RS256, checked
// with OpenSSL) and API keys for other agencies' systems (stored as SHA-256 hashes, scoped,
// revocable). Pure: no gRPC or HTTP types; the clock is injected.
//
// A token is refused (UNAUTHENTICATED, with a stable reason) when it is malformed, its algorithm
// is not the one configured for its key (so `alg: none` and HS256-signed-with-the-RSA-key are
// refused), its key id is unknown, its signature does not verify, its issuer or audience is not
// the configured one, it has expired or is not yet valid, or its role is not one of the roles.
#ifndef JIBAN_SERVICES_GATEWAY_AUTH_H_
#define JIBAN_SERVICES_GATEWAY_AUTH_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jiban::gateway {

// The roles of docs/gateway.md; the policy maps each to the methods it may call.
inline constexpr const char* kRoles[] = {"requester",  "window_clerk", "helper",
                                         "unit_staff", "task_force",   "commission_officer",
                                         "auditor",    "admin",        "agency_system"};
bool IsRole(absl::string_view role);

struct Principal {
  std::string subject;  // the token's `sub`, or the API key's name
  std::string role;
  std::string unit_id;              // unit_staff: the unit they work for (`unit` claim)
  std::vector<std::string> scopes;  // API keys: method prefixes they may call (empty: any)
  bool api_key = false;
};

enum class Algorithm { kHs256 = 1, kRs256 };

struct JwtKey {
  std::string kid;
  Algorithm alg = Algorithm::kHs256;
  std::string secret;      // HS256: the shared secret
  std::string public_pem;  // RS256: the identity provider's public key (PEM)
};

struct ApiKey {
  std::string name;    // e.g. "city-hotline-system"
  std::string sha256;  // lower-case hex of the key
  std::string role;
  std::vector<std::string> scopes;
  bool revoked = false;
};

struct AuthConfig {
  std::string issuer;
  std::string audience;
  absl::Duration leeway = absl::Seconds(30);  // clock skew allowed on exp and nbf
  std::vector<JwtKey> keys;
  std::vector<ApiKey> api_keys;
};

// Parses the auth file (JSON: issuer, audience, leewaySeconds, keys[{kid, alg, secret |
// publicKeyPem}], apiKeys[{name, sha256, role, scopes, revoked}]); INVALID_ARGUMENT naming the
// bad field (never a secret).
absl::StatusOr<AuthConfig> ParseAuthConfig(absl::string_view json);

class Authenticator {
 public:
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(AuthConfig config);
  Authenticator() = default;  // use Create
  ~Authenticator();

  // `bearer`: the token after "Bearer ".
  absl::StatusOr<Principal> VerifyToken(absl::string_view bearer, absl::Time now) const;
  absl::StatusOr<Principal> VerifyApiKey(absl::string_view key) const;

  struct Keys;  // the parsed public keys (OpenSSL), defined in the .cc

 private:
  AuthConfig config_;
  std::unique_ptr<Keys> keys_;
};

// Signs a token (development and tests): HS256 with `key.secret`, RS256 with `private_pem`.
absl::StatusOr<std::string> SignToken(const JwtKey& key, absl::string_view private_pem,
                                      absl::string_view claims_json,
                                      absl::string_view header_json = "");

}  // namespace jiban::gateway

#endif  // JIBAN_SERVICES_GATEWAY_AUTH_H_
