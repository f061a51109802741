// Properties of normalisation and masking over generated values (rapidcheck): every common way of
// writing a mobile number normalises to the same one; a valid identity number survives any
// spelling of its check character and is refused after any single-digit change; masks keep only
// what staff need and never the rest (a one-character name still shows a star).
#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/pii/pii.h"

namespace jiban::pii {
namespace {

const absl::CivilDay kToday(2026, 11, 26);

// An 11-digit mobile number: 1, then 3..9, then nine digits.
rc::Gen<std::string> Mobile() {
  return rc::gen::map(rc::gen::pair(rc::gen::inRange(3, 10), rc::gen::container<std::vector<int>>(
                                                                 9, rc::gen::inRange(0, 10))),
                      [](const std::pair<int, std::vector<int>>& p) {
                        std::string s = absl::StrCat("1", p.first);
                        for (int d : p.second) s += static_cast<char>('0' + d);
                        return s;
                      });
}

std::string FullWidth(const std::string& ascii) {
  std::string out;
  for (char c : ascii) AppendUtf8(static_cast<char32_t>(0xFF10 + (c - '0')), &out);
  return out;
}

char CheckCharacter(const std::string& first17) {
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return "10X98765432"[sum % 11];
}

// A valid 18-character identity number: a real province, a birth date 1930..2020, a serial.
rc::Gen<std::string> IdNumber() {
  return rc::gen::map(
      rc::gen::tuple(rc::gen::element(11, 31, 41, 44, 65), rc::gen::inRange(0, 10000),
                     rc::gen::inRange(0, 32000), rc::gen::inRange(0, 1000)),
      [](const std::tuple<int, int, int, int>& t) {
        const auto [province, area, day_offset, serial] = t;
        const absl::CivilDay birth = absl::CivilDay(1930, 1, 1) + day_offset;
        const std::string first17 =
            absl::StrFormat("%02d%04d%04d%02d%02d%03d", province, area,
                            static_cast<int>(birth.year()), birth.month(), birth.day(), serial);
        return first17 + CheckCharacter(first17);
      });
}

TEST_CASE("normalisation and masking hold for generated values", "[pii][property]") {
  rc::prop("every way of writing a mobile number is the same number, masked to 3 + 4", [] {
    const std::string m = *Mobile();
    for (const std::string& raw :
         {m, absl::StrCat("+86 ", m.substr(0, 3), " ", m.substr(3, 4), " ", m.substr(7)),
          absl::StrCat("86-", m), absl::StrCat("0086 ", m.substr(0, 3), "-", m.substr(3)),
          FullWidth(m)}) {
      auto p = NormalizePhone(raw);
      RC_ASSERT(p.ok());
      RC_ASSERT(p->number == m);
    }
    RC_ASSERT(MaskPhone(m) == absl::StrCat(m.substr(0, 3), "****", m.substr(7)));
  });
  rc::prop("a valid identity number: accepted in any case, refused after any one-digit change", [] {
    const std::string id = *IdNumber();
    auto ok = NormalizeIdNumber(id, kToday);
    RC_ASSERT(ok.ok());
    RC_ASSERT(ok->number == id);
    std::string lower = id;
    lower[17] = static_cast<char>(std::tolower(lower[17]));
    RC_ASSERT(NormalizeIdNumber(lower, kToday).ok());
    const int pos = *rc::gen::inRange(0, 17);
    const int delta = *rc::gen::inRange(1, 10);
    std::string changed = id;
    changed[pos] = static_cast<char>('0' + (changed[pos] - '0' + delta) % 10);
    RC_ASSERT_FALSE(NormalizeIdNumber(changed, kToday).ok());
    const std::string masked = MaskIdNumber(id);
    RC_ASSERT(masked.size() == id.size());
    RC_ASSERT(masked.substr(0, 3) == id.substr(0, 3));
    RC_ASSERT(masked.substr(14) == id.substr(14));
    RC_ASSERT(masked.substr(3, 11) == std::string(11, '*'));
  });
  rc::prop("a masked name keeps its first character, the rest stars (at least one)", [] {
    const auto chars =
        *rc::gen::container<std::vector<char32_t>>(rc::gen::inRange<char32_t>(0x4E00, 0x9FA6));
    RC_PRE(!chars.empty() && chars.size() <= 20);
    std::string name;
    for (char32_t c : chars) AppendUtf8(c, &name);
    const std::string masked = MaskName(name);
    const auto got = DecodeUtf8(masked);
    RC_ASSERT(got.size() == std::max<size_t>(chars.size(), 2));
    RC_ASSERT(got[0] == chars[0]);
    for (size_t i = 1; i < got.size(); ++i) RC_ASSERT(got[i] == U'*');
  });
}

}  // namespace
}  // namespace jiban::pii
