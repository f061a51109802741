// The bundle catalogue's domain, without gRPC or SQL types: matters (事项), materials and the
// bundles (一件事) that package them; the merged form and material set of a bundle (a field or a
// material several matters need is asked once), what the bundle saves, the consultation guide's
// search by everyday words (character bigrams: no segmenter), and the check of an application.
#ifndef JIBAN_SERVICES_BUNDLE_CATALOGUE_H_
#define JIBAN_SERVICES_BUNDLE_CATALOGUE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace jiban::bundle {

enum class FieldType { kText = 1, kNumber, kDate, kPhone, kIdNumber, kCreditCode };

struct FormField {
  std::string id;
  std::string label;
  FieldType type = FieldType::kText;
  bool required = false;
};

struct Material {
  std::string id;
  std::string name;
  std::string description;
};

struct Matter {
  std::string id;
  std::string name;
  std::string owner_unit_id;
  std::string window;
  int statutory_working_days = 0;
  int steps = 1;
  int trips = 0;
  int64_t fee_fen = 0;
  std::vector<FormField> fields;
  std::vector<std::string> material_ids;
  std::vector<std::string> keywords;
};

struct Bundle {
  std::string id;
  std::string name;
  std::string lead_unit_id;
  std::vector<std::string> matter_ids;
  int committed_working_days = 0;
  int steps = 1;
  int trips = 0;
  std::vector<std::string> keywords;
};

struct Catalogue {
  int64_t version = 0;
  std::vector<Material> materials;
  std::vector<Matter> matters;
  std::vector<Bundle> bundles;

  const Matter* FindMatter(absl::string_view id) const;
  const Material* FindMaterial(absl::string_view id) const;
  const Bundle* FindBundle(absl::string_view id) const;
};

// INVALID_ARGUMENT naming every bad field ("catalogue.matters[2].owner_unit_id", ...): ids present
// and unique, references resolved, limits and counts in range, a shared field id with one type,
// a bundle of 2..20 distinct matters committing no more than its matters take one after another.
absl::Status Validate(const Catalogue& c);

// One field of a bundle's merged form: required when any matter requires it.
struct MergedField {
  FormField field;
  std::vector<std::string> matter_ids;  // the matters that use it
};
std::vector<MergedField> MergedForm(const Catalogue& c, const Bundle& b);

// One material of a bundle's merged set, submitted once.
struct MergedMaterial {
  Material material;
  std::vector<std::string> matter_ids;  // the matters that use it
};
std::vector<MergedMaterial> MergedMaterials(const Catalogue& c, const Bundle& b);

// The matters applied for one by one versus the bundle.
struct Savings {
  int working_days_before = 0;  // Σ statutory limits (one after another)
  int working_days_after = 0;   // the committed limit
  int steps_before = 0;
  int steps_after = 0;
  int materials_before = 0;  // Σ each matter's materials
  int materials_after = 0;   // distinct
  int trips_before = 0;
  int trips_after = 0;
  int fields_before = 0;  // Σ each matter's fields
  int fields_after = 0;   // distinct
};
Savings SavingsOf(const Catalogue& c, const Bundle& b);

// The consultation guide: matters and bundles found by everyday words.
struct GuideHit {
  bool bundle = false;  // a bundle, else a matter
  std::string id;
  double score = 0;  // share of the query's bigrams found, names weighing double
};
class Guide {
 public:
  explicit Guide(const Catalogue& c);
  // Best first (ties: bundles, then by id), at most `limit`; only hits sharing at least a third
  // of the query's character bigrams (a one-character query matches names containing it).
  std::vector<GuideHit> Search(absl::string_view query, int limit) const;

 private:
  struct Entry {
    bool bundle;
    std::string id;
    std::vector<uint64_t> name_bigrams;  // sorted
    std::vector<uint64_t> word_bigrams;  // sorted: keywords and, for bundles, their matters' names
    std::vector<char32_t> name;          // for one-character queries
  };
  std::vector<Entry> entries_;
};

// Checks an application against the bundle: every required field of the merged form present and
// well-formed for its type, no unknown field, every material of the merged set provided.
// INVALID_ARGUMENT naming each problem ("form.applicant_phone", "materials.id_card").
absl::Status CheckApplication(const Catalogue& c, const Bundle& b,
                              const std::map<std::string, std::string>& form,
                              const std::vector<std::string>& materials, absl::CivilDay today);

}  // namespace jiban::bundle

#endif  // JIBAN_SERVICES_BUNDLE_CATALOGUE_H_
