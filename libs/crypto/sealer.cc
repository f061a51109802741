#include "libs/crypto/sealer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jiban::crypto {
namespace {

constexpr unsigned char kVersion = 1;
constexpr size_t kNonce = 12, kTag = 16, kKey = 32;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  return out;
}

std::string Sealer::NewSpec(absl::string_view key_id) {
  return absl::StrCat("active=", key_id, ";", key_id, "=", absl::Base64Escape(RandomBytes(kKey)),
                      ";index=", absl::Base64Escape(RandomBytes(kKey)));
}

absl::StatusOr<Sealer> Sealer::FromSpec(absl::string_view spec) {
  Sealer s;
  for (absl::string_view part : absl::StrSplit(spec, ';', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError("key spec entries must be name=value");
    }
    const std::string name(part.substr(0, eq));
    const absl::string_view value = part.substr(eq + 1);
    if (name == "active") {
      s.active_ = std::string(value);
      continue;
    }
    std::string raw;
    if (!absl::Base64Unescape(value, &raw) || raw.size() != kKey) {
      return absl::InvalidArgumentError(
          absl::StrCat("key '", name, "' must be 32 bytes, base64-encoded"));
    }
    if (name == "index") {
      s.index_key_ = raw;
    } else {
      if (name.empty() || name.size() > 32) {
        return absl::InvalidArgumentError("key ids must be 1 to 32 characters");
      }
      s.keys_[name] = raw;
    }
  }
  if (s.active_.empty() || !s.keys_.count(s.active_)) {
    return absl::InvalidArgumentError("key spec must name an active key that it defines");
  }
  if (s.index_key_.empty()) return absl::InvalidArgumentError("key spec must define index=");
  return s;
}

std::string Sealer::Seal(absl::string_view plaintext, absl::string_view aad) const {
  const std::string& key = keys_.at(active_);
  const std::string nonce = RandomBytes(kNonce);
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(active_.size()));
  out += active_;
  out += nonce;
  const size_t header = out.size();
  out.resize(header + plaintext.size() + kTag);
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + header);
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0, total = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr);
  EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce));
  EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size()));
  EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext), static_cast<int>(plaintext.size()));
  total = len;
  EVP_EncryptFinal_ex(ctx.get(), ct + total, &len);
  total += len;
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, ct + total);
  return out;
}

absl::StatusOr<std::string> Sealer::Open(absl::string_view sealed, absl::string_view aad) const {
  auto corrupt = [] { return absl::DataLossError("sealed value is corrupt or was moved"); };
  if (sealed.size() < 2 || static_cast<unsigned char>(sealed[0]) != kVersion) return corrupt();
  const size_t id_len = static_cast<unsigned char>(sealed[1]);
  if (sealed.size() < 2 + id_len + kNonce + kTag) return corrupt();
  const std::string key_id(sealed.substr(2, id_len));
  auto key = keys_.find(key_id);
  if (key == keys_.end())
    return absl::NotFoundError("sealed with a key this service does not hold");
  const absl::string_view nonce = sealed.substr(2 + id_len, kNonce);
  const absl::string_view body = sealed.substr(2 + id_len + kNonce);
  const absl::string_view ct = body.substr(0, body.size() - kTag);
  std::string tag(body.substr(body.size() - kTag));
  std::string out(ct.size(), '\0');
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr);
  EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key->second), U(nonce));
  EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, U(ct),
                    static_cast<int>(ct.size()));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data());
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len,
                          &final_len) != 1) {
    return corrupt();
  }
  return out;
}

std::string Sealer::BlindIndex(absl::string_view purpose, absl::string_view value) const {
  return absl::BytesToHexString(HmacSha256(index_key_, absl::StrCat(purpose, "\x1f", value)));
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), U(data), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

}  // namespace jiban::crypto
