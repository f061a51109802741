#include "services/bundle/catalogue.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/pii/pii.h"
#include "libs/status/status.h"

namespace jiban::bundle {
namespace {

template <typename T>
const T* FindById(const std::vector<T>& items, absl::string_view id) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return x.id == id; });
  return it == items.end() ? nullptr : &*it;
}

// The number of elements the sorted vectors share.
size_t Common(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  size_t n = 0;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] == b[j]) {
      ++n, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return n;
}

std::vector<uint64_t> BigramsOfAll(const std::vector<std::string>& texts) {
  std::vector<uint64_t> out;
  for (const std::string& t : texts) {
    auto b = pii::Bigrams(t);
    out.insert(out.end(), b.begin(), b.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Whether `value` is well-formed for `type`; the rule broken otherwise (never the value).
std::optional<std::string> Malformed(FieldType type, const std::string& value,
                                     absl::CivilDay today) {
  switch (type) {
    case FieldType::kText: {
      const size_t n = pii::DecodeUtf8(value).size();
      if (n < 1 || n > 200) return "1 to 200 characters";
      return std::nullopt;
    }
    case FieldType::kNumber: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return "a whole number";
      return std::nullopt;
    }
    case FieldType::kDate: {
      absl::CivilDay d;
      if (value.size() != 10 || !absl::ParseCivilTime(value, &d)) return "a date YYYY-MM-DD";
      return std::nullopt;
    }
    case FieldType::kPhone:
      if (!pii::NormalizePhone(value).ok()) return "a mobile or landline number";
      return std::nullopt;
    case FieldType::kIdNumber:
      if (!pii::NormalizeIdNumber(value, today).ok()) return "a valid resident identity number";
      return std::nullopt;
    case FieldType::kCreditCode:
      if (!pii::NormalizeCreditCode(value).ok()) return "a valid unified social credit code";
      return std::nullopt;
  }
  return "an unknown field type";
}

}  // namespace

const Matter* Catalogue::FindMatter(absl::string_view id) const { return FindById(matters, id); }
const Material* Catalogue::FindMaterial(absl::string_view id) const {
  return FindById(materials, id);
}
const Bundle* Catalogue::FindBundle(absl::string_view id) const { return FindById(bundles, id); }

absl::Status Validate(const Catalogue& c) {
  Violations v;
  auto unique_ids = [&](const auto& items, const std::string& what) {
    std::set<std::string> seen;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string at = absl::StrCat("catalogue.", what, "[", i, "].id");
      v.Length(at, items[i].id, 1, 64);
      if (!seen.insert(items[i].id).second) v.Add(at, "unique in the catalogue");
    }
  };
  unique_ids(c.materials, "materials");
  unique_ids(c.matters, "matters");
  unique_ids(c.bundles, "bundles");
  for (size_t i = 0; i < c.materials.size(); ++i) {
    v.Length(absl::StrCat("catalogue.materials[", i, "].name"), c.materials[i].name, 1, 100);
  }
  std::map<std::string, FieldType> field_types;
  for (size_t i = 0; i < c.matters.size(); ++i) {
    const Matter& m = c.matters[i];
    const std::string at = absl::StrCat("catalogue.matters[", i, "]");
    v.Length(at + ".name", m.name, 1, 100);
    v.Length(at + ".owner_unit_id", m.owner_unit_id, 1, 64);
    if (m.statutory_working_days < 0 || m.statutory_working_days > 365) {
      v.Add(at + ".statutory_working_days", "0 to 365");
    }
    if (m.steps < 1 || m.steps > 50) v.Add(at + ".steps", "1 to 50");
    if (m.trips < 0 || m.trips > 50) v.Add(at + ".trips", "0 to 50");
    if (m.fee_fen < 0) v.Add(at + ".fee_fen", "0 or more");
    for (size_t j = 0; j < m.fields.size(); ++j) {
      const FormField& f = m.fields[j];
      const std::string fat = absl::StrCat(at, ".fields[", j, "]");
      v.Length(fat + ".id", f.id, 1, 64);
      v.Length(fat + ".label", f.label, 1, 64);
      const int type = static_cast<int>(f.type);
      if (type < 1 || type > 6) v.Add(fat + ".type", "a known field type");
      auto [it, fresh] = field_types.emplace(f.id, f.type);
      if (!fresh && it->second != f.type)
        v.Add(fat + ".type", "the same type wherever the id is used");
    }
    for (size_t j = 0; j < m.material_ids.size(); ++j) {
      if (c.FindMaterial(m.material_ids[j]) == nullptr) {
        v.Add(absl::StrCat(at, ".material_ids[", j, "]"), "a material of the catalogue");
      }
    }
  }
  for (size_t i = 0; i < c.bundles.size(); ++i) {
    const Bundle& b = c.bundles[i];
    const std::string at = absl::StrCat("catalogue.bundles[", i, "]");
    v.Length(at + ".name", b.name, 1, 100);
    v.Length(at + ".lead_unit_id", b.lead_unit_id, 1, 64);
    const std::set<std::string> distinct(b.matter_ids.begin(), b.matter_ids.end());
    if (b.matter_ids.size() < 2 || b.matter_ids.size() > 20 ||
        distinct.size() != b.matter_ids.size()) {
      v.Add(at + ".matter_ids", "2 to 20 distinct matters");
    }
    int sequential = 0;
    for (size_t j = 0; j < b.matter_ids.size(); ++j) {
      const Matter* m = c.FindMatter(b.matter_ids[j]);
      if (m == nullptr) {
        v.Add(absl::StrCat(at, ".matter_ids[", j, "]"), "a matter of the catalogue");
      } else {
        sequential += m->statutory_working_days;
      }
    }
    if (b.committed_working_days < 0 || b.committed_working_days > sequential) {
      v.Add(at + ".committed_working_days",
            "0 to the matters' limits added up (a bundle never promises longer)");
    }
    if (b.steps < 1 || b.steps > 50) v.Add(at + ".steps", "1 to 50");
    if (b.trips < 0 || b.trips > 50) v.Add(at + ".trips", "0 to 50");
  }
  if (!v.empty()) return v.Status();
  return absl::OkStatus();
}

std::vector<MergedField> MergedForm(const Catalogue& c, const Bundle& b) {
  std::vector<MergedField> out;
  for (const std::string& matter_id : b.matter_ids) {
    const Matter* m = c.FindMatter(matter_id);
    if (m == nullptr) continue;
    for (const FormField& f : m->fields) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const MergedField& x) { return x.field.id == f.id; });
      if (it == out.end()) {
        out.push_back({f, {m->id}});
      } else {
        it->field.required = it->field.required || f.required;
        it->matter_ids.push_back(m->id);
      }
    }
  }
  return out;
}

std::vector<MergedMaterial> MergedMaterials(const Catalogue& c, const Bundle& b) {
  std::vector<MergedMaterial> out;
  for (const std::string& matter_id : b.matter_ids) {
    const Matter* m = c.FindMatter(matter_id);
    if (m == nullptr) continue;
    for (const std::string& material_id : m->material_ids) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const MergedMaterial& x) { return x.material.id == material_id; });
      if (it != out.end()) {
        it->matter_ids.push_back(m->id);
      } else if (const Material* material = c.FindMaterial(material_id)) {
        out.push_back({*material, {m->id}});
      }
    }
  }
  return out;
}

Savings SavingsOf(const Catalogue& c, const Bundle& b) {
  Savings s{.working_days_after = b.committed_working_days,
            .steps_after = b.steps,
            .materials_after = static_cast<int>(MergedMaterials(c, b).size()),
            .trips_after = b.trips,
            .fields_after = static_cast<int>(MergedForm(c, b).size())};
  for (const std::string& matter_id : b.matter_ids) {
    const Matter* m = c.FindMatter(matter_id);
    if (m == nullptr) continue;
    s.working_days_before += m->statutory_working_days;
    s.steps_before += m->steps;
    s.materials_before += static_cast<int>(m->material_ids.size());
    s.trips_before += m->trips;
    s.fields_before += static_cast<int>(m->fields.size());
  }
  return s;
}

Guide::Guide(const Catalogue& c) {
  for (const Matter& m : c.matters) {
    entries_.push_back(
        {false, m.id, pii::Bigrams(m.name), BigramsOfAll(m.keywords), pii::DecodeUtf8(m.name)});
  }
  for (const Bundle& b : c.bundles) {
    std::vector<std::string> words = b.keywords;
    for (const std::string& id : b.matter_ids) {
      if (const Matter* m = c.FindMatter(id)) words.push_back(m->name);
    }
    entries_.push_back(
        {true, b.id, pii::Bigrams(b.name), BigramsOfAll(words), pii::DecodeUtf8(b.name)});
  }
}

std::vector<GuideHit> Guide::Search(absl::string_view query, int limit) const {
  const std::vector<uint64_t> q = pii::Bigrams(query);
  std::vector<GuideHit> hits;
  if (q.empty() || limit <= 0) return hits;
  const double n = static_cast<double>(q.size());
  const std::vector<char32_t> single = pii::DecodeUtf8(query);
  for (const Entry& e : entries_) {
    if (single.size() == 1) {  // one character: the names that contain it
      if (std::find(e.name.begin(), e.name.end(), single[0]) != e.name.end()) {
        hits.push_back({e.bundle, e.id, 1.0});
      }
      continue;
    }
    const double in_name = static_cast<double>(Common(q, e.name_bigrams));
    const double in_words = static_cast<double>(Common(q, e.word_bigrams));
    const double found = std::max(in_name, in_words);
    if (found < 1 || found * 3 < n) continue;
    hits.push_back({e.bundle, e.id, (in_name * 2 + in_words) / (3 * n)});
  }
  std::sort(hits.begin(), hits.end(), [](const GuideHit& a, const GuideHit& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.bundle != b.bundle) return a.bundle;  // a bundle covers more of the person's business
    return a.id < b.id;
  });
  if (static_cast<int>(hits.size()) > limit) hits.resize(static_cast<size_t>(limit));
  return hits;
}

absl::Status CheckApplication(const Catalogue& c, const Bundle& b,
                              const std::map<std::string, std::string>& form,
                              const std::vector<std::string>& materials, absl::CivilDay today) {
  Violations v;
  const std::vector<MergedField> fields = MergedForm(c, b);
  for (const MergedField& f : fields) {
    auto it = form.find(f.field.id);
    if (it == form.end() || it->second.empty()) {
      if (f.field.required) v.Add("form." + f.field.id, "required");
      continue;
    }
    if (auto rule = Malformed(f.field.type, it->second, today)) v.Add("form." + f.field.id, *rule);
  }
  for (const auto& entry : form) {
    const std::string& id = entry.first;
    const bool known = std::any_of(fields.begin(), fields.end(),
                                   [&](const MergedField& f) { return f.field.id == id; });
    if (!known) v.Add("form." + id, "not a field of this bundle's form");
  }
  const std::set<std::string> provided(materials.begin(), materials.end());
  for (const MergedMaterial& m : MergedMaterials(c, b)) {
    if (!provided.contains(m.material.id)) v.Add("materials." + m.material.id, "required");
  }
  if (!v.empty()) return v.Status();
  return absl::OkStatus();
}

}  // namespace jiban::bundle
