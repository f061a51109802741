// Personal data in the forms Chinese citizens and enterprises write it: normalisation, validation
// and masking. Pure functions; every error message describes the rule and never echoes the value.
//
//   phones     "+86 138 0013 8000", "１３８００１３８０００", "86-13800138000" → 13800138000
//   (mobile)
//              "(0371) 2345-6789", "037123456789" → 0371-23456789 (landline); service numbers
//              (400/800/95xxx) and anything else are refused
//   ID numbers GB 11643: 18 characters, a province that exists, a real birth date not in the
//              future, the MOD 11-2 check character (x accepted as X); 15-digit legacy numbers
//              refused
//   credit     GB 32100 unified social credit codes: 18 characters of the code's alphabet, a
//   codes      6-digit division code, the MOD 31 check character
#ifndef JIBAN_LIBS_PII_PII_H_
#define JIBAN_LIBS_PII_PII_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace jiban::pii {

// Full-width forms (U+FF01..U+FF5E) and the ideographic space become ASCII; other text is kept.
std::string ToHalfWidth(absl::string_view text);
// The same for one code point.
char32_t HalfWidth(char32_t code_point);

enum class PhoneKind { kMobile, kLandline };
struct Phone {
  std::string number;  // "13800138000" or "0371-23456789"
  PhoneKind kind;
};
// INVALID_ARGUMENT (message = the rule) when it is neither a mobile nor a landline number.
absl::StatusOr<Phone> NormalizePhone(absl::string_view raw);

struct IdNumber {
  std::string number;  // 18 characters, check character upper-case
  absl::CivilDay birth;
};
absl::StatusOr<IdNumber> NormalizeIdNumber(absl::string_view raw, absl::CivilDay today);

// The normalised (upper-case) code.
absl::StatusOr<std::string> NormalizeCreditCode(absl::string_view raw);

// Masks for display to roles that do not need the whole value.
std::string MaskPhone(absl::string_view number);     // 138****8000 · 0371-****6789
std::string MaskIdNumber(absl::string_view number);  // 110***********002X
std::string MaskName(absl::string_view name);        // 张* · 欧阳** · first character kept
std::string MaskAddress(absl::string_view address);  // the first 6 characters, then ***

// Number of Unicode code points of valid UTF-8 text.
size_t CodePoints(absl::string_view utf8);

// UTF-8 → code points (invalid bytes become U+FFFD), and one code point appended as UTF-8.
std::vector<char32_t> DecodeUtf8(absl::string_view utf8);

// The sorted, distinct character bigrams of a text (each a pair of code points in one number),
// ignoring ASCII punctuation and spaces and the CJK and full-width punctuation blocks, ASCII
// lower-cased; a one-character text is that character. For similarity without a segmenter.
std::vector<uint64_t> Bigrams(absl::string_view text);

// A MinHash of shingles (e.g. Bigrams): `size` minimums under independent splitmix64-seeded hash
// functions (the first k of a longer signature equal a k-long one). The share of equal positions
// of two signatures estimates their shingle sets' Jaccard similarity (standard error about
// 0.5/√size at 0.5). The functions never change: signatures are stored.
std::vector<uint32_t> MinHash(const std::vector<uint64_t>& shingles, int size);
// 0 when the signatures differ in size or are empty.
double MinHashSimilarity(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b);
std::string EncodeMinHash(const std::vector<uint32_t>& s);  // 4 bytes each, little-endian
std::vector<uint32_t> DecodeMinHash(const std::string& bytes);
void AppendUtf8(char32_t code_point, std::string* out);

}  // namespace jiban::pii

#endif  // JIBAN_LIBS_PII_PII_H_
