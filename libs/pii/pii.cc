#include "libs/pii/pii.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jiban::pii {
namespace {

absl::Status Invalid(absl::string_view rule) { return absl::InvalidArgumentError(rule); }

}  // namespace

std::vector<char32_t> DecodeUtf8(absl::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return !s.empty();
}

}  // namespace

char32_t HalfWidth(char32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) return cp - 0xFEE0;
  return cp == 0x3000 ? U' ' : cp;
}

std::string ToHalfWidth(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : DecodeUtf8(text)) AppendUtf8(HalfWidth(cp), &out);
  return out;
}

size_t CodePoints(absl::string_view utf8) { return DecodeUtf8(utf8).size(); }

absl::StatusOr<Phone> NormalizePhone(absl::string_view raw) {
  const std::string half = ToHalfWidth(raw);
  std::string digits;
  bool plus = false;
  for (char c : half) {
    if (absl::ascii_isdigit(c)) {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
      return Invalid("must be a mobile or landline number (digits, spaces, dashes, +86)");
    }
  }
  // Country code: +86, 0086, or a bare 86 in front of a mobile number.
  if (plus) {
    if (digits.rfind("86", 0) != 0) return Invalid("must be a mainland China number (+86)");
    digits = digits.substr(2);
  } else if (digits.rfind("0086", 0) == 0) {
    digits = digits.substr(4);
  } else if (digits.size() == 13 && digits.rfind("861", 0) == 0) {
    digits = digits.substr(2);
  }
  if (digits.size() == 11 && digits[0] == '1') {
    if (digits[1] < '3') return Invalid("mobile numbers start with 13 to 19");
    return Phone{digits, PhoneKind::kMobile};
  }
  if (plus && !digits.empty() && digits[0] != '0') digits = "0" + digits;  // +86 371 … drops the 0
  // An area code is 0 and then 1..9: "00…" is an international prefix, never a landline.
  if (digits.size() >= 10 && digits.size() <= 12 && digits[0] == '0' && digits[1] != '0') {
    const size_t area = (digits[1] == '1' || digits[1] == '2') ? 3 : 4;
    const std::string local = digits.substr(area);
    if ((local.size() == 7 || local.size() == 8) && local[0] != '0' && local[0] != '1') {
      return Phone{absl::StrCat(digits.substr(0, area), "-", local), PhoneKind::kLandline};
    }
  }
  return Invalid("must be an 11-digit mobile number or a landline with its area code");
}

absl::StatusOr<IdNumber> NormalizeIdNumber(absl::string_view raw, absl::CivilDay today) {
  std::string id = absl::AsciiStrToUpper(ToHalfWidth(raw));
  id.erase(std::remove(id.begin(), id.end(), ' '), id.end());
  if (id.size() == 15 && AllDigits(id)) {
    return Invalid("15-digit identity numbers are no longer valid; use the 18-digit number");
  }
  if (id.size() != 18 || !AllDigits(id.substr(0, 17)) ||
      !(absl::ascii_isdigit(id[17]) || id[17] == 'X')) {
    return Invalid("must be 18 characters: 17 digits and a digit or X");
  }
  static constexpr int kProvinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                       35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                       53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};
  const int province = (id[0] - '0') * 10 + (id[1] - '0');
  if (std::find(std::begin(kProvinces), std::end(kProvinces), province) == std::end(kProvinces)) {
    return Invalid("the first two digits must name a province");
  }
  const int year = std::stoi(id.substr(6, 4));
  const int month = std::stoi(id.substr(10, 2));
  const int day = std::stoi(id.substr(12, 2));
  const absl::CivilDay birth(year, month, day);
  if (year < 1900 || birth.year() != year || birth.month() != month || birth.day() != day) {
    return Invalid("digits 7 to 14 must be a real birth date");
  }
  if (birth > today) return Invalid("the birth date must not be in the future");
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  if (id[17] != kCheck[sum % 11]) return Invalid("the check character does not match (GB 11643)");
  return IdNumber{id, birth};
}

absl::StatusOr<std::string> NormalizeCreditCode(absl::string_view raw) {
  std::string code = absl::AsciiStrToUpper(ToHalfWidth(raw));
  code.erase(std::remove(code.begin(), code.end(), ' '), code.end());
  static constexpr absl::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  if (code.size() != 18) return Invalid("must be 18 characters (GB 32100)");
  int values[18];
  for (int i = 0; i < 18; ++i) {
    const size_t v = kAlphabet.find(code[i]);
    if (v == absl::string_view::npos) {
      return Invalid("may contain only digits and the letters of GB 32100 (no I, O, S, V, Z)");
    }
    values[i] = static_cast<int>(v);
  }
  if (!AllDigits(code.substr(2, 6))) return Invalid("characters 3 to 8 must be a division code");
  int sum = 0, weight = 1;
  for (int i = 0; i < 17; ++i) {
    sum += values[i] * weight;
    weight = weight * 3 % 31;
  }
  const int check = (31 - sum % 31) % 31;
  if (values[17] != check) return Invalid("the check character does not match (GB 32100)");
  return code;
}

std::string MaskPhone(absl::string_view number) {
  const size_t dash = number.find('-');
  if (dash != absl::string_view::npos) {
    const absl::string_view local = number.substr(dash + 1);
    if (local.size() < 4) return "****";
    return absl::StrCat(number.substr(0, dash + 1), "****", local.substr(local.size() - 4));
  }
  if (number.size() < 7) return "****";
  return absl::StrCat(number.substr(0, 3), "****", number.substr(number.size() - 4));
}

std::string MaskIdNumber(absl::string_view number) {
  if (number.size() != 18) return "******************";
  return absl::StrCat(number.substr(0, 3), std::string(11, '*'), number.substr(14));
}

std::string MaskName(absl::string_view name) {
  const std::vector<char32_t> cps = DecodeUtf8(name);
  if (cps.empty()) return "";
  std::string out;
  AppendUtf8(cps[0], &out);
  out.append(cps.size() == 1 ? 1 : cps.size() - 1, '*');
  return out;
}

std::string MaskAddress(absl::string_view address) {
  const std::vector<char32_t> cps = DecodeUtf8(address);
  std::string out;
  for (size_t i = 0; i < cps.size() && i < 6; ++i) AppendUtf8(cps[i], &out);
  return out + "***";
}

std::vector<uint64_t> Bigrams(absl::string_view s) {
  // Code points of letters, digits and CJK; ASCII punctuation and spaces and the CJK symbol and
  // full-width punctuation blocks are skipped.
  std::vector<uint32_t> cps;
  for (const char32_t cp : DecodeUtf8(s)) {
    if (cp < 0x80 && !absl::ascii_isalnum(static_cast<char>(cp))) continue;
    if ((cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
        (cp >= 0xFF1A && cp <= 0xFF20)) {
      continue;
    }
    cps.push_back(cp < 0x80 ? static_cast<uint32_t>(absl::ascii_tolower(static_cast<char>(cp)))
                            : cp);
  }
  std::vector<uint64_t> out;
  for (size_t i = 0; i + 1 < cps.size(); ++i) {
    out.push_back((static_cast<uint64_t>(cps[i]) << 32) | cps[i + 1]);
  }
  if (cps.size() == 1) out.push_back(cps[0]);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<uint32_t> MinHash(const std::vector<uint64_t>& shingles, int size) {
  std::vector<uint32_t> sig(static_cast<size_t>(size), 0xFFFFFFFFu);
  for (uint64_t x : shingles) {
    for (int i = 0; i < size; ++i) {
      // splitmix64 of the shingle under the i-th seed.
      uint64_t z = x + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(i + 1);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      sig[static_cast<size_t>(i)] = std::min(sig[static_cast<size_t>(i)], static_cast<uint32_t>(z));
    }
  }
  return sig;
}

double MinHashSimilarity(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return static_cast<double>(same) / static_cast<double>(a.size());
}

std::string EncodeMinHash(const std::vector<uint32_t>& s) {
  std::string out;
  for (uint32_t v : s) {
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xFF));
  }
  return out;
}

std::vector<uint32_t> DecodeMinHash(const std::string& bytes) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
    uint32_t v = 0;
    for (int b = 0; b < 4; ++b)
      v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + b])) << (8 * b);
    out.push_back(v);
  }
  return out;
}

}  // namespace jiban::pii
