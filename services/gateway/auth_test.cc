// Authentication: HS256 and RS256 tokens verified; the attacks refused with their reason —
// `alg: none`, an HS256 token signed with the RSA public key (algorithm confusion), a forged key
// id, a tampered payload, expired and not-yet-valid tokens, another issuer or audience; API keys
// by hash, revocable; the auth file checked field by field without echoing secrets.
#include "services/gateway/auth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "libs/crypto/sealer.h"
#include "libs/status/status.h"
#include "nlohmann/json.hpp"

namespace jiban::gateway {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1795000000);
const std::string kSecret = "a-shared-secret-of-at-least-32-bytes!";

struct RsaPair {
  std::string public_pem, private_pem;
};
RsaPair NewRsa() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  REQUIRE(key != nullptr);
  RsaPair out;
  for (bool priv : {false, true}) {
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE((priv ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)
                  : PEM_write_bio_PUBKEY(bio, key)) == 1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    (priv ? out.private_pem : out.public_pem).assign(data, static_cast<size_t>(n));
    BIO_free(bio);
  }
  EVP_PKEY_free(key);
  return out;
}

struct Rig {
  Rig() : rsa(NewRsa()) {
    hs = {.kid = "hs1", .alg = Algorithm::kHs256, .secret = kSecret};
    rs = {.kid = "rs1", .alg = Algorithm::kRs256, .public_pem = rsa.public_pem};
    AuthConfig c{.issuer = "https://id.city.example",
                 .audience = "jiban",
                 .keys = {hs, rs},
                 .api_keys = {{.name = "hotline-system",
                               .sha256 = crypto::Sha256Hex("key-1"),
                               .role = "agency_system",
                               .scopes = {"jiban.intake.v1.IntakeService/*"}},
                              {.name = "old-system",
                               .sha256 = crypto::Sha256Hex("key-2"),
                               .role = "agency_system",
                               .revoked = true}}};
    auto a = Authenticator::Create(c);
    REQUIRE(a.ok());
    auth = std::move(*a);
  }
  nlohmann::json Claims() const {
    return {{"iss", "https://id.city.example"},
            {"aud", "jiban"},
            {"sub", "staff-0042"},
            {"role", "unit_staff"},
            {"unit", "dept.health"},
            {"exp", absl::ToUnixSeconds(kNow) + 600}};
  }
  std::string Hs(const nlohmann::json& claims) const {
    auto t = SignToken(hs, "", claims.dump());
    REQUIRE(t.ok());
    return *t;
  }
  std::string Reason(const std::string& token) const {
    return ReasonOf(auth->VerifyToken(token, kNow).status());
  }
  RsaPair rsa;
  JwtKey hs, rs;
  std::unique_ptr<Authenticator> auth;
};

TEST_CASE("HS256 and RS256 tokens of the city's identity provider are accepted", "[auth]") {
  Rig r;
  auto p = r.auth->VerifyToken(r.Hs(r.Claims()), kNow);
  REQUIRE(p.ok());
  CHECK(p->subject == "staff-0042");
  CHECK(p->role == "unit_staff");
  CHECK(p->unit_id == "dept.health");
  CHECK(!p->api_key);
  auto rs = SignToken(r.rs, r.rsa.private_pem, r.Claims().dump());
  REQUIRE(rs.ok());
  CHECK(r.auth->VerifyToken(*rs, kNow).ok());
  // An audience list that includes ours.
  auto claims = r.Claims();
  claims["aud"] = {"other", "jiban"};
  CHECK(r.auth->VerifyToken(r.Hs(claims), kNow).ok());
}

TEST_CASE("token attacks are refused, each with its reason", "[auth]") {
  Rig r;
  const std::string claims = r.Claims().dump();
  // alg: none, no signature.
  const std::string none = absl::WebSafeBase64Escape(R"({"alg":"none","typ":"JWT"})") + "." +
                           absl::WebSafeBase64Escape(claims) + ".";
  CHECK(r.Reason(none) == "TOKEN_ALG_REFUSED");
  // Algorithm confusion: HS256 keyed with the RSA public key, naming the RSA key.
  JwtKey confused{.kid = "rs1", .alg = Algorithm::kHs256, .secret = r.rsa.public_pem};
  auto forged = SignToken(confused, "", claims);
  REQUIRE(forged.ok());
  CHECK(r.Reason(*forged) == "TOKEN_ALG_REFUSED");
  // A key id nobody issued.
  JwtKey unknown{.kid = "hs9", .alg = Algorithm::kHs256, .secret = kSecret};
  CHECK(r.Reason(*SignToken(unknown, "", claims)) == "TOKEN_UNKNOWN_KEY");
  // Signed with another secret under the right key id.
  JwtKey wrong{.kid = "hs1", .alg = Algorithm::kHs256, .secret = kSecret + "x"};
  CHECK(r.Reason(*SignToken(wrong, "", claims)) == "TOKEN_BAD_SIGNATURE");
  // A payload changed after signing (the role raised to admin).
  const std::string good = r.Hs(r.Claims());
  auto raised = r.Claims();
  raised["role"] = "admin";
  const size_t a = good.find('.'), b = good.rfind('.');
  const std::string tampered =
      good.substr(0, a + 1) + absl::WebSafeBase64Escape(raised.dump()) + good.substr(b);
  CHECK(r.Reason(tampered) == "TOKEN_BAD_SIGNATURE");
  // Time: expired (past the 30 s leeway), not yet valid, no exp at all.
  auto expired = r.Claims();
  expired["exp"] = absl::ToUnixSeconds(kNow) - 31;
  CHECK(r.Reason(r.Hs(expired)) == "TOKEN_EXPIRED");
  expired["exp"] = absl::ToUnixSeconds(kNow) - 10;  // within the leeway
  CHECK(r.auth->VerifyToken(r.Hs(expired), kNow).ok());
  auto early = r.Claims();
  early["nbf"] = absl::ToUnixSeconds(kNow) + 120;
  CHECK(r.Reason(r.Hs(early)) == "TOKEN_NOT_YET_VALID");
  auto forever = r.Claims();
  forever.erase("exp");
  CHECK(r.Reason(r.Hs(forever)) == "TOKEN_EXPIRED");
  // Someone else's token.
  auto other_aud = r.Claims();
  other_aud["aud"] = "another-app";
  CHECK(r.Reason(r.Hs(other_aud)) == "TOKEN_WRONG_AUDIENCE");
  auto other_iss = r.Claims();
  other_iss["iss"] = "https://evil.example";
  CHECK(r.Reason(r.Hs(other_iss)) == "TOKEN_WRONG_ISSUER");
  // Roles: unknown, reserved for API keys, unit staff without a unit.
  auto role = r.Claims();
  role["role"] = "superuser";
  CHECK(r.Reason(r.Hs(role)) == "TOKEN_UNKNOWN_ROLE");
  role["role"] = "agency_system";
  CHECK(r.Reason(r.Hs(role)) == "TOKEN_UNKNOWN_ROLE");
  auto no_unit = r.Claims();
  no_unit.erase("unit");
  CHECK(r.Reason(r.Hs(no_unit)) == "TOKEN_NO_UNIT");
  // Not a JWT.
  for (const char* junk : {"", "abc", "a.b", "a.b.c.d", "!!.??.**"}) {
    CHECK(r.Reason(junk) == "TOKEN_MALFORMED");
  }
  CHECK(r.auth->VerifyToken(none, kNow).status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("API keys are found by hash, scoped and revocable", "[auth]") {
  Rig r;
  auto p = r.auth->VerifyApiKey("key-1");
  REQUIRE(p.ok());
  CHECK(p->subject == "hotline-system");
  CHECK(p->role == "agency_system");
  CHECK(p->api_key);
  CHECK(p->scopes == std::vector<std::string>{"jiban.intake.v1.IntakeService/*"});
  CHECK(ReasonOf(r.auth->VerifyApiKey("key-2").status()) == "API_KEY_REVOKED");
  CHECK(ReasonOf(r.auth->VerifyApiKey("key-3").status()) == "API_KEY_UNKNOWN");
}

TEST_CASE("the auth file is checked field by field, never echoing a secret", "[auth]") {
  const std::string ok = R"({"issuer":"i","audience":"a","keys":[{"kid":"k","alg":"HS256",
      "secret":"0123456789abcdef0123456789abcdef"}]})";
  CHECK(ParseAuthConfig(ok).ok());
  const auto bad = ParseAuthConfig(R"({"audience":"a","keys":[{"kid":"k","alg":"HS512"},
      {"kid":"s","alg":"HS256","secret":"short-secret"}],
      "apiKeys":[{"name":"n","sha256":"abc","role":"boss"}]})");
  std::set<std::string> fields;
  for (const auto& v : FieldViolationsOf(bad.status())) fields.insert(v.field);
  CHECK(fields == std::set<std::string>{"issuer", "keys[0].alg", "keys[1].secret",
                                        "apiKeys[0].sha256", "apiKeys[0].role"});
  CHECK(!absl::StrContains(bad.status().ToString(), "short-secret"));
  CHECK(!ParseAuthConfig("not json").ok());
  auto dup = ParseAuthConfig(R"({"issuer":"i","audience":"a","keys":[
      {"kid":"k","alg":"HS256","secret":"0123456789abcdef0123456789abcdef"},
      {"kid":"k","alg":"HS256","secret":"0123456789abcdef0123456789abcdef"}]})");
  REQUIRE(dup.ok());
  CHECK(!Authenticator::Create(*dup).ok());
}

}  // namespace
}  // namespace jiban::gateway
