#include "libs/pii/pii.h"

#include <catch2/catch.hpp>

namespace jiban::pii {
namespace {

const absl::CivilDay kToday(2026, 11, 26);

TEST_CASE("phones in every common form normalise to one") {
  for (const char* raw :
       {"13800138000", "+86 138 0013 8000", "86-13800138000", "+8613800138000",
        "0086 138-0013-8000", "１３８００１３８０００", "138 0013 8000", "(+86)13800138000"}) {
    INFO(raw);
    auto p = NormalizePhone(raw);
    REQUIRE(p.ok());
    CHECK(p->number == "13800138000");
    CHECK(p->kind == PhoneKind::kMobile);
  }
  for (auto [raw, want] : std::vector<std::pair<const char*, const char*>>{
           {"0371-23456789", "0371-23456789"},
           {"(0371) 2345 6789", "0371-23456789"},
           {"037123456789", "0371-23456789"},
           {"+86 371 2345 6789", "0371-23456789"},
           {"010-62345678", "010-62345678"},
           {"０２１－６２３４５６７８", "021-62345678"},
           {"0378-5612345", "0378-5612345"}}) {
    INFO(raw);
    auto p = NormalizePhone(raw);
    REQUIRE(p.ok());
    CHECK(p->number == want);
    CHECK(p->kind == PhoneKind::kLandline);
  }
  for (const char* bad :
       {"", "12345", "12800138000", "1380013800", "138001380001", "400-810-8888", "95588",
        "+1 212 555 0100", "138-0013-800a", "0371-0123456", "010-1234567890",
        // Found by tests/fuzz/pii_fuzz: a doubled 0086 once passed as the "area code" 0086.
        "0086 0086 7115 6789", "0086-71156789"}) {
    INFO(bad);
    auto p = NormalizePhone(bad);
    CHECK(p.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(p.status().message()).find(bad[0] ? bad : "\x01") == std::string::npos);
  }
}

TEST_CASE("identity numbers: GB 11643 check character, real birth date, province") {
  auto ok = NormalizeIdNumber("11010519491231002X", kToday);  // the standard's own example
  REQUIRE(ok.ok());
  CHECK(ok->birth == absl::CivilDay(1949, 12, 31));
  CHECK(NormalizeIdNumber("11010519491231002x", kToday)->number == "11010519491231002X");
  CHECK(NormalizeIdNumber("１１０１０５１９４９１２３１００２Ｘ", kToday).ok());
  auto rule = [](const char* raw) {
    return std::string(NormalizeIdNumber(raw, kToday).status().message());
  };
  CHECK(rule("110105194912310021").find("check character") != std::string::npos);
  CHECK(rule("110105199902300012").find("real birth date") != std::string::npos);
  CHECK(rule("110105209912310012").find("future") != std::string::npos);
  CHECK(rule("990105194912310021").find("province") != std::string::npos);
  CHECK(rule("110105491231002").find("18-digit") != std::string::npos);
  CHECK(rule("1101051949123100").find("18 characters") != std::string::npos);
  CHECK(rule("11010519491231002Y").find("18 characters") != std::string::npos);
}

TEST_CASE("credit codes: GB 32100 alphabet and MOD 31 check character") {
  auto ok = NormalizeCreditCode("91350100M000100Y43");  // the standard's example
  REQUIRE(ok.ok());
  CHECK(*ok == "91350100M000100Y43");
  CHECK(NormalizeCreditCode("91350100m000100y43").ok());
  CHECK(NormalizeCreditCode("91350100M000100Y44").status().message() ==
        "the check character does not match (GB 32100)");
  CHECK(NormalizeCreditCode("91350100I000100Y43").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(NormalizeCreditCode("9135010").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(NormalizeCreditCode("91AB0100M000100Y43").status().message() ==
        "characters 3 to 8 must be a division code");
}

TEST_CASE("masks keep only what staff need") {
  CHECK(MaskPhone("13800138000") == "138****8000");
  CHECK(MaskPhone("0371-23456789") == "0371-****6789");
  CHECK(MaskIdNumber("11010519491231002X") == "110***********002X");
  CHECK(MaskName("张三") == "张*");
  CHECK(MaskName("欧阳娜娜") == "欧***");
  CHECK(MaskName("王") == "王*");
  CHECK(MaskAddress("开封市龙亭区中山路北段12号") == "开封市龙亭区***");
  CHECK(CodePoints("开封a𠀀") == 4);
  CHECK(ToHalfWidth("ＡＢＣ　１２３") == "ABC 123");
}

}  // namespace
}  // namespace jiban::pii
