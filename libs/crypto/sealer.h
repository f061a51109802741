// Personal data sealed at rest: AES-256-GCM per field with associated data that binds the
// ciphertext to its row and column (so it cannot be moved to another row), a key id stored with
// every ciphertext (so keys can rotate: new writes use the active key, old ones still open), and a
// keyed blind index (HMAC-SHA256) so equal values can be found without decrypting.
//
// Keys come from a secret, as one string:
//   "active=k2026;k2026=<base64 32 bytes>;k2025=<base64 32 bytes>;index=<base64 32 bytes>"
// The index key never rotates (rotating it would orphan every index); the field keys may.
#ifndef JIBAN_LIBS_CRYPTO_SEALER_H_
#define JIBAN_LIBS_CRYPTO_SEALER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jiban::crypto {

class Sealer {
 public:
  // INVALID_ARGUMENT naming what is wrong with the spec (never the key material).
  static absl::StatusOr<Sealer> FromSpec(absl::string_view spec);
  // A spec with fresh random keys (development and tests).
  static std::string NewSpec(absl::string_view key_id = "k1");

  // Binary: 0x01 | key id length | key id | 12-byte nonce | ciphertext | 16-byte tag.
  std::string Seal(absl::string_view plaintext, absl::string_view associated_data) const;
  // DATA_LOSS when the ciphertext, its tag or its associated data do not match; NOT_FOUND when
  // its key id is unknown.
  absl::StatusOr<std::string> Open(absl::string_view sealed,
                                   absl::string_view associated_data) const;
  // Lower-case hex HMAC-SHA256 of `value` under the index key, domain-separated by `purpose`.
  std::string BlindIndex(absl::string_view purpose, absl::string_view value) const;

  const std::string& active_key_id() const { return active_; }

 private:
  std::map<std::string, std::string> keys_;  // key id → 32 raw bytes
  std::string active_;
  std::string index_key_;
};

// `n` bytes from the system's cryptographic random source (keys, secrets).
std::string RandomBytes(size_t n);

// HMAC-SHA256 of `data` under `key` (32 raw bytes).
std::string HmacSha256(absl::string_view key, absl::string_view data);

// Lower-case hex SHA-256 of `data` (tamper-evident logs chain their entries with it).
std::string Sha256Hex(absl::string_view data);

}  // namespace jiban::crypto

#endif  // JIBAN_LIBS_CRYPTO_SEALER_H_
