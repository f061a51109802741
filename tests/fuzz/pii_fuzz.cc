// libFuzzer: the personal-data normalisers, masks and text helpers on arbitrary bytes. None may
// crash, and what they accept must be stable: normalising a normalised value gives it back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libs/pii/pii.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jiban::pii;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto p = NormalizePhone(text); p.ok()) {
    auto again = NormalizePhone(p->number);
    if (!again.ok() || again->number != p->number) std::abort();
    (void)MaskPhone(p->number);
  }
  if (auto id = NormalizeIdNumber(text, absl::CivilDay(2026, 11, 27)); id.ok()) {
    auto again = NormalizeIdNumber(id->number, absl::CivilDay(2026, 11, 27));
    if (!again.ok() || again->number != id->number) std::abort();
    if (MaskIdNumber(id->number).size() != id->number.size()) std::abort();
  }
  if (auto code = NormalizeCreditCode(text); code.ok()) {
    auto again = NormalizeCreditCode(*code);
    if (!again.ok() || *again != *code) std::abort();
  }
  (void)MaskPhone(text);
  (void)MaskIdNumber(text);
  (void)MaskName(text);
  (void)MaskAddress(text);
  (void)ToHalfWidth(text);
  (void)CodePoints(text);
  const auto shingles = Bigrams(text);
  const auto signature = MinHash(shingles, 32);
  if (MinHashSimilarity(signature, signature) < 0.999 && !shingles.empty()) std::abort();
  return 0;
}
