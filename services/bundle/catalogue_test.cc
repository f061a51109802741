// The bundle catalogue: the shipped catalogue is valid, a bundle's merged form and materials ask
// each shared field and material once, savings are computed from the matters, the guide finds
// matters and bundles by everyday words, and applications are checked field by field.
#include "services/bundle/catalogue.h"

#include <catch2/catch.hpp>
#include <set>

#include "libs/status/status.h"
#include "services/bundle/convert.h"

namespace jiban::bundle {
namespace {

Catalogue Shipped() {
  auto c = DefaultCatalogue();
  if (!c.ok()) FAIL(c.status());
  return *c;
}

std::set<std::string> Fields(const absl::Status& s) {
  std::set<std::string> out;
  for (const auto& v : FieldViolationsOf(s)) out.insert(v.field);
  return out;
}

// A small catalogue worked by hand: two matters sharing a field and a material.
Catalogue Small() {
  Catalogue c;
  c.materials = {
      {"id_card", "居民身份证", ""}, {"lease", "租赁合同", ""}, {"licence", "营业执照", ""}};
  c.matters = {{.id = "a",
                .name = "企业设立登记",
                .owner_unit_id = "dept.market-regulation",
                .statutory_working_days = 3,
                .steps = 3,
                .trips = 2,
                .fields = {{"name", "企业名称", FieldType::kText, true},
                           {"phone", "联系电话", FieldType::kPhone, false}},
                .material_ids = {"id_card", "lease"},
                .keywords = {"开公司"}},
               {.id = "b",
                .name = "发票申领",
                .owner_unit_id = "dept.tax",
                .statutory_working_days = 2,
                .steps = 2,
                .trips = 1,
                .fields = {{"phone", "联系电话", FieldType::kPhone, true},
                           {"code", "统一社会信用代码", FieldType::kCreditCode, false}},
                .material_ids = {"id_card", "licence"},
                .keywords = {"领发票"}}};
  c.bundles = {{.id = "start",
                .name = "开办企业一件事",
                .lead_unit_id = "dept.market-regulation",
                .matter_ids = {"a", "b"},
                .committed_working_days = 1,
                .steps = 1,
                .trips = 1}};
  return c;
}

TEST_CASE("the shipped catalogue is valid and every bundle saves something") {
  const Catalogue c = Shipped();
  CHECK(c.bundles.size() == 4);
  for (const Bundle& b : c.bundles) {
    INFO(b.id);
    const Savings s = SavingsOf(c, b);
    CHECK(s.working_days_after <= s.working_days_before);
    CHECK(s.steps_after < s.steps_before);
    CHECK(s.trips_after < s.trips_before);
    CHECK(s.materials_after < s.materials_before);
    CHECK(s.fields_after < s.fields_before);
  }
}

TEST_CASE("a merged form asks a shared field once, required if any matter requires it") {
  const Catalogue c = Small();
  const auto form = MergedForm(c, c.bundles[0]);
  REQUIRE(form.size() == 3);
  CHECK(form[0].field.id == "name");
  CHECK(form[1].field.id == "phone");
  CHECK(form[1].field.required);  // optional for a, required for b
  CHECK(form[1].matter_ids == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(form[2].field.required);
  const auto materials = MergedMaterials(c, c.bundles[0]);
  REQUIRE(materials.size() == 3);
  CHECK(materials[0].material.id == "id_card");
  CHECK(materials[0].matter_ids == std::vector<std::string>{"a", "b"});
}

TEST_CASE("savings: the matters one by one versus the bundle, worked by hand") {
  const Catalogue c = Small();
  const Savings s = SavingsOf(c, c.bundles[0]);
  CHECK(s.working_days_before == 5);  // 3 + 2, one after another
  CHECK(s.working_days_after == 1);
  CHECK(s.steps_before == 5);
  CHECK(s.steps_after == 1);
  CHECK(s.trips_before == 3);
  CHECK(s.trips_after == 1);
  CHECK(s.materials_before == 4);  // 2 + 2
  CHECK(s.materials_after == 3);   // the identity card once
  CHECK(s.fields_before == 4);
  CHECK(s.fields_after == 3);  // the phone once
}

TEST_CASE("a bad catalogue names every bad field") {
  Catalogue c = Small();
  c.matters[1].id = "a";                           // duplicate
  c.matters[0].material_ids.push_back("nope");     // unknown material
  c.matters[1].fields[0].type = FieldType::kText;  // "phone" with another type
  c.bundles[0].committed_working_days = 9;         // longer than the matters
  c.materials[2].name = "";
  const auto fields = Fields(Validate(c));
  for (const char* f :
       {"catalogue.matters[1].id", "catalogue.matters[0].material_ids[2]",
        "catalogue.matters[1].fields[0].type", "catalogue.bundles[0].committed_working_days",
        "catalogue.materials[2].name"}) {
    CHECK(fields.contains(f));
  }
  Catalogue one = Small();
  one.bundles[0].matter_ids = {"a"};
  CHECK(Fields(Validate(one)).contains("catalogue.bundles[0].matter_ids"));
  CHECK(ReasonOf(ParseCatalogue("{\"matters\": 3}").status()) == "CONFIG_INVALID");
}

TEST_CASE("the guide finds matters and bundles by everyday words") {
  const Catalogue c = Shipped();
  const Guide guide(c);
  auto top = [&](const char* query) {
    auto hits = guide.Search(query, 3);
    return hits.empty() ? std::string() : hits[0].id;
  };
  CHECK(top("我想开公司") == "start-a-business");
  CHECK(top("怎么领发票") == "invoice-application");
  CHECK(top("宝宝出生了要办什么") == "newborn");
  CHECK(top("公积金提取") == "housing-fund-withdrawal");
  CHECK(top("项目水电气暖报装怎么办") == "project-utilities");
  CHECK(guide.Search("完全无关的天气预报", 3).empty());
  CHECK(guide.Search("", 3).empty());
  // One character: the names containing it.
  const auto one = guide.Search("票", 10);
  REQUIRE(one.size() == 1);
  CHECK(one[0].id == "invoice-application");
}

TEST_CASE("an application is checked against the merged form and materials") {
  const Catalogue c = Small();
  const absl::CivilDay today(2026, 11, 26);
  CHECK(CheckApplication(c, c.bundles[0],
                         {{"name", "开封某某科技有限公司"}, {"phone", "13800138000"}},
                         {"id_card", "lease", "licence"}, today)
            .ok());
  const auto bad = CheckApplication(
      c, c.bundles[0], {{"phone", "12345"}, {"code", "91410200MA0000000X"}, {"extra", "x"}},
      {"id_card"}, today);
  CHECK(Fields(bad) == std::set<std::string>{"form.name", "form.phone", "form.code", "form.extra",
                                             "materials.lease", "materials.licence"});
  // The error names fields, never echoes what was typed.
  CHECK(std::string(bad.message()).find("12345") == std::string::npos);
}

}  // namespace
}  // namespace jiban::bundle
