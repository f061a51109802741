#include "services/gateway/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/crypto/sealer.h"
#include "libs/status/status.h"
#include "nlohmann/json.hpp"

namespace jiban::gateway {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

absl::Status Refused(absl::string_view reason, absl::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, reason, message);
}

Pkey ReadPem(absl::string_view pem, bool private_key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return Pkey(private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                          : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

const char* AlgName(Algorithm a) { return a == Algorithm::kRs256 ? "RS256" : "HS256"; }

// A JSON number or absent.
std::optional<int64_t> NumericClaim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}

}  // namespace

struct Authenticator::Keys {
  std::map<std::string, Pkey> rsa;  // kid → public key
};

bool IsRole(absl::string_view role) {
  return std::any_of(std::begin(kRoles), std::end(kRoles),
                     [&](const char* r) { return role == r; });
}

absl::StatusOr<AuthConfig> ParseAuthConfig(absl::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return InvalidArgument("CONFIG_INVALID", {{"auth", "not a JSON object"}});
  }
  Violations v;
  AuthConfig c;
  const auto text = [&](const nlohmann::json& o, const char* name, const std::string& field,
                        bool required) -> std::string {
    auto it = o.find(name);
    if (it != o.end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
    if (required) v.Add(field, "required");
    return "";
  };
  c.issuer = text(j, "issuer", "issuer", true);
  c.audience = text(j, "audience", "audience", true);
  if (auto leeway = j.find("leewaySeconds"); leeway != j.end()) {
    if (!leeway->is_number_integer() || leeway->get<int>() < 0 || leeway->get<int>() > 300) {
      v.Add("leewaySeconds", "0..300");
    } else {
      c.leeway = absl::Seconds(leeway->get<int>());
    }
  }
  const auto keys = j.value("keys", nlohmann::json::array());
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string f = absl::StrCat("keys[", i, "]");
    JwtKey k{.kid = text(keys[i], "kid", f + ".kid", true)};
    const std::string alg = text(keys[i], "alg", f + ".alg", true);
    if (alg == "HS256") {
      k.alg = Algorithm::kHs256;
      k.secret = text(keys[i], "secret", f + ".secret", true);
      if (!k.secret.empty() && k.secret.size() < 32) v.Add(f + ".secret", "at least 32 bytes");
    } else if (alg == "RS256") {
      k.alg = Algorithm::kRs256;
      k.public_pem = text(keys[i], "publicKeyPem", f + ".publicKeyPem", true);
    } else if (!alg.empty()) {
      v.Add(f + ".alg", "HS256 or RS256");
    }
    c.keys.push_back(std::move(k));
  }
  const auto api = j.value("apiKeys", nlohmann::json::array());
  for (size_t i = 0; i < api.size(); ++i) {
    const std::string f = absl::StrCat("apiKeys[", i, "]");
    ApiKey k{.name = text(api[i], "name", f + ".name", true),
             .sha256 = text(api[i], "sha256", f + ".sha256", true),
             .role = text(api[i], "role", f + ".role", true),
             .revoked = api[i].value("revoked", false)};
    if (!k.role.empty() && !IsRole(k.role)) v.Add(f + ".role", "one of the roles");
    if (k.sha256.size() != 64 && !k.sha256.empty()) v.Add(f + ".sha256", "64 hex characters");
    for (const auto& s : api[i].value("scopes", nlohmann::json::array())) {
      if (s.is_string()) k.scopes.push_back(s.get<std::string>());
    }
    c.api_keys.push_back(std::move(k));
  }
  if (!v.empty()) return v.Status();
  return c;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(AuthConfig config) {
  auto a = std::make_unique<Authenticator>();
  a->keys_ = std::make_unique<Keys>();
  std::set<std::string> kids;
  for (size_t i = 0; i < config.keys.size(); ++i) {
    const JwtKey& k = config.keys[i];
    if (!kids.insert(k.kid).second) {
      return InvalidArgument("CONFIG_INVALID", {{absl::StrCat("keys[", i, "].kid"), "unique"}});
    }
    if (k.alg == Algorithm::kRs256) {
      Pkey key = ReadPem(k.public_pem, /*private_key=*/false);
      if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
        return InvalidArgument("CONFIG_INVALID",
                               {{absl::StrCat("keys[", i, "].publicKeyPem"), "an RSA public key"}});
      }
      a->keys_->rsa[k.kid] = std::move(key);
    }
  }
  a->config_ = std::move(config);
  return a;
}

Authenticator::~Authenticator() = default;

absl::StatusOr<Principal> Authenticator::VerifyToken(absl::string_view bearer,
                                                     absl::Time now) const {
  const std::vector<absl::string_view> parts = absl::StrSplit(bearer, '.');
  std::string header_raw, claims_raw, signature;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[0], &header_raw) ||
      !absl::WebSafeBase64Unescape(parts[1], &claims_raw) ||
      !absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Refused("TOKEN_MALFORMED", "the bearer token is not a JWT");
  }
  const auto header = nlohmann::json::parse(header_raw, nullptr, false);
  const auto claims = nlohmann::json::parse(claims_raw, nullptr, false);
  if (!header.is_object() || !claims.is_object()) {
    return Refused("TOKEN_MALFORMED", "the bearer token is not a JWT");
  }
  const std::string alg = header.value("alg", "");
  const std::string kid = header.value("kid", "");
  if (alg != "HS256" && alg != "RS256") {
    return Refused("TOKEN_ALG_REFUSED", "only HS256 and RS256 tokens are accepted");
  }
  // The key: named by kid, or the only one configured.
  const JwtKey* key = nullptr;
  for (const JwtKey& k : config_.keys) {
    if (k.kid == kid || (kid.empty() && config_.keys.size() == 1)) key = &k;
  }
  if (key == nullptr) return Refused("TOKEN_UNKNOWN_KEY", "the token's key id is not known");
  if (alg != AlgName(key->alg)) {
    return Refused("TOKEN_ALG_REFUSED", "the token's algorithm is not its key's");
  }
  const std::string signed_part = absl::StrCat(parts[0], ".", parts[1]);
  bool valid = false;
  if (key->alg == Algorithm::kHs256) {
    const std::string mac = crypto::HmacSha256(key->secret, signed_part);
    valid = mac.size() == signature.size() &&
            CRYPTO_memcmp(mac.data(), signature.data(), mac.size()) == 0;
  } else {
    MdCtx ctx(EVP_MD_CTX_new());
    EVP_PKEY* pkey = keys_->rsa.at(key->kid).get();
    valid = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(signed_part.data()),
                             signed_part.size()) == 1;
  }
  if (!valid) return Refused("TOKEN_BAD_SIGNATURE", "the token's signature does not verify");

  if (claims.value("iss", "") != config_.issuer) {
    return Refused("TOKEN_WRONG_ISSUER", "the token is not from the city's identity provider");
  }
  const auto aud = claims.find("aud");
  const bool for_us =
      aud != claims.end() &&
      ((aud->is_string() && aud->get<std::string>() == config_.audience) ||
       (aud->is_array() && std::any_of(aud->begin(), aud->end(), [&](const nlohmann::json& a) {
          return a.is_string() && a.get<std::string>() == config_.audience;
        })));
  if (!for_us) return Refused("TOKEN_WRONG_AUDIENCE", "the token is not for this service");
  const auto exp = NumericClaim(claims, "exp");
  if (!exp || now >= absl::FromUnixSeconds(*exp) + config_.leeway) {
    return Refused("TOKEN_EXPIRED", "the token has expired (or has no exp)");
  }
  if (const auto nbf = NumericClaim(claims, "nbf");
      nbf && now + config_.leeway < absl::FromUnixSeconds(*nbf)) {
    return Refused("TOKEN_NOT_YET_VALID", "the token is not valid yet");
  }
  Principal p{.subject = claims.value("sub", ""),
              .role = claims.value("role", ""),
              .unit_id = claims.value("unit", "")};
  if (p.subject.empty() || p.subject.size() > 128) {
    return Refused("TOKEN_NO_SUBJECT", "the token names no subject");
  }
  if (!IsRole(p.role) || p.role == "agency_system") {
    return Refused("TOKEN_UNKNOWN_ROLE", "the token's role is not one of the roles");
  }
  if (p.role == "unit_staff" && p.unit_id.empty()) {
    return Refused("TOKEN_NO_UNIT", "unit staff tokens name their unit");
  }
  return p;
}

absl::StatusOr<Principal> Authenticator::VerifyApiKey(absl::string_view key) const {
  const std::string hash = crypto::Sha256Hex(key);
  for (const ApiKey& k : config_.api_keys) {
    if (k.sha256.size() == hash.size() &&
        CRYPTO_memcmp(k.sha256.data(), hash.data(), hash.size()) == 0) {
      if (k.revoked) return Refused("API_KEY_REVOKED", "this API key was revoked");
      return Principal{
          .subject = k.name, .role = k.role, .unit_id = "", .scopes = k.scopes, .api_key = true};
    }
  }
  return Refused("API_KEY_UNKNOWN", "this API key is not known");
}

absl::StatusOr<std::string> SignToken(const JwtKey& key, absl::string_view private_pem,
                                      absl::string_view claims_json,
                                      absl::string_view header_json) {
  const std::string header =
      header_json.empty()
          ? nlohmann::json{{"alg", AlgName(key.alg)}, {"typ", "JWT"}, {"kid", key.kid}}.dump()
          : std::string(header_json);
  const std::string signed_part =
      absl::StrCat(absl::WebSafeBase64Escape(header), ".", absl::WebSafeBase64Escape(claims_json));
  std::string signature;
  if (key.alg == Algorithm::kHs256) {
    signature = crypto::HmacSha256(key.secret, signed_part);
  } else {
    Pkey pkey = ReadPem(private_pem, /*private_key=*/true);
    MdCtx ctx(EVP_MD_CTX_new());
    size_t len = 0;
    if (!pkey || !ctx ||
        EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) != 1) {
      return absl::InvalidArgumentError("cannot sign with this private key");
    }
    signature.resize(len);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                       reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) != 1) {
      return absl::InvalidArgumentError("cannot sign with this private key");
    }
    signature.resize(len);
  }
  return absl::StrCat(signed_part, ".", absl::WebSafeBase64Escape(signature));
}

}  // namespace jiban::gateway
