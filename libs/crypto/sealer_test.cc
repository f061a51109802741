#include "libs/crypto/sealer.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"

namespace jiban::crypto {
namespace {

TEST_CASE("sealed values open only with their row's associated data") {
  auto s = Sealer::FromSpec(Sealer::NewSpec());
  REQUIRE(s.ok());
  const std::string plain = "张三 13800138000";
  const std::string sealed = s->Seal(plain, "intake_requests.phone:01A");
  CHECK(sealed.find("13800138000") == std::string::npos);
  CHECK(s->Open(sealed, "intake_requests.phone:01A").value() == plain);
  CHECK(s->Open(sealed, "intake_requests.phone:01B").status().code() ==
        absl::StatusCode::kDataLoss);
  std::string tampered = sealed;
  tampered[tampered.size() - 20] ^= 1;
  CHECK(s->Open(tampered, "intake_requests.phone:01A").status().code() ==
        absl::StatusCode::kDataLoss);
  CHECK(s->Open("", "x").status().code() == absl::StatusCode::kDataLoss);
  CHECK(s->Seal(plain, "a") != s->Seal(plain, "a"));  // fresh nonce every time
  CHECK(s->Open(s->Seal("", "a"), "a").value().empty());
}

TEST_CASE("keys rotate: old ciphertexts still open, new ones use the active key") {
  const std::string spec2025 = Sealer::NewSpec("k2025");
  auto old_sealer = Sealer::FromSpec(spec2025).value();
  const std::string old_sealed = old_sealer.Seal("旧数据", "ad");
  // Same index key and k2025, plus a new active k2026.
  std::string fresh = Sealer::NewSpec("k2026");
  const std::string k2026 =
      fresh.substr(fresh.find("k2026="), fresh.find(";index") - fresh.find("k2026="));
  const std::string rotated_spec =
      absl::StrCat("active=k2026;", k2026, ";", spec2025.substr(spec2025.find("k2025=")));
  auto rotated = Sealer::FromSpec(rotated_spec);
  REQUIRE(rotated.ok());
  CHECK(rotated->active_key_id() == "k2026");
  CHECK(rotated->Open(old_sealed, "ad").value() == "旧数据");
  CHECK(rotated->Seal("x", "ad").find("k2026") != std::string::npos);
  CHECK(rotated->BlindIndex("phone", "13800138000") ==
        old_sealer.BlindIndex("phone", "13800138000"));
  auto other = Sealer::FromSpec(Sealer::NewSpec("k2025")).value();
  CHECK(other.Open(old_sealed, "ad").status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("blind indexes are keyed, deterministic and separated by purpose") {
  auto a = Sealer::FromSpec(Sealer::NewSpec()).value();
  auto b = Sealer::FromSpec(Sealer::NewSpec()).value();
  CHECK(a.BlindIndex("phone", "13800138000") == a.BlindIndex("phone", "13800138000"));
  CHECK(a.BlindIndex("phone", "13800138000") != a.BlindIndex("id", "13800138000"));
  CHECK(a.BlindIndex("phone", "13800138000") != b.BlindIndex("phone", "13800138000"));
  CHECK(a.BlindIndex("phone", "x").size() == 64);
}

TEST_CASE("bad key specs are refused without echoing key material") {
  CHECK(Sealer::FromSpec("").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Sealer::FromSpec("active=k1;k1=c2hvcnQ=;index=c2hvcnQ=").status().message() ==
        "key 'k1' must be 32 bytes, base64-encoded");
  auto spec = Sealer::NewSpec("k1");
  CHECK(Sealer::FromSpec(spec.substr(0, spec.find(";index"))).status().message() ==
        "key spec must define index=");
  CHECK(Sealer::FromSpec("active=k9;" + spec.substr(spec.find("k1="))).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jiban::crypto

TEST_CASE("SHA-256 in hex", "[crypto]") {
  CHECK(jiban::crypto::Sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(jiban::crypto::Sha256Hex("").size() == 64);
}
