// libFuzzer: bearer tokens and API keys as an attacker sends them, against an authenticator with
// an HS256 key and an API key. Nothing may crash, and nothing the fuzzer makes may be accepted
// (it cannot know the secret).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "services/gateway/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jiban::gateway;
  static const std::unique_ptr<Authenticator> auth = [] {
    auto config = ParseAuthConfig(
        R"({"issuer":"https://id.fuzz","audience":"jiban","keys":[{"kid":"k1","alg":"HS256",)"
        R"("secret":"fuzz-secret-0123456789abcdef0123"}],"apiKeys":[{"name":"a","sha256":)"
        R"("0000000000000000000000000000000000000000000000000000000000000000","role":"auditor"}]})");
    if (!config.ok()) std::abort();
    auto made = Authenticator::Create(*config);
    if (!made.ok()) std::abort();
    return std::move(*made);
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auth->VerifyToken(text, absl::FromUnixSeconds(1'790'000'000)).ok()) std::abort();
  if (auth->VerifyApiKey(text).ok()) std::abort();
  (void)ParseAuthConfig(text);
  return 0;
}
