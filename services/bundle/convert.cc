#include "services/bundle/convert.h"

#include "libs/embedded/embedded.h"
#include "libs/server/config_file.h"
#include "libs/status/macros.h"

namespace jiban::generated {
std::vector<EmbeddedFile> bundle_defaults();
}  // namespace jiban::generated

namespace jiban::bundle {

Catalogue FromProto(const v1::Catalogue& p) {
  Catalogue c{.version = p.version()};
  for (const v1::Material& m : p.materials()) {
    c.materials.push_back({.id = m.id(), .name = m.name(), .description = m.description()});
  }
  for (const v1::Matter& m : p.matters()) {
    Matter out{.id = m.id(),
               .name = m.name(),
               .owner_unit_id = m.owner_unit_id(),
               .window = m.window(),
               .statutory_working_days = m.statutory_working_days(),
               .steps = m.steps(),
               .trips = m.trips(),
               .fee_fen = m.fee_fen(),
               .material_ids = {m.material_ids().begin(), m.material_ids().end()},
               .keywords = {m.keywords().begin(), m.keywords().end()}};
    for (const v1::FormField& f : m.fields()) {
      out.fields.push_back({.id = f.id(),
                            .label = f.label(),
                            .type = static_cast<FieldType>(f.type()),
                            .required = f.required()});
    }
    c.matters.push_back(std::move(out));
  }
  for (const v1::Bundle& b : p.bundles()) {
    c.bundles.push_back({.id = b.id(),
                         .name = b.name(),
                         .lead_unit_id = b.lead_unit_id(),
                         .matter_ids = {b.matter_ids().begin(), b.matter_ids().end()},
                         .committed_working_days = b.committed_working_days(),
                         .steps = b.steps(),
                         .trips = b.trips(),
                         .keywords = {b.keywords().begin(), b.keywords().end()}});
  }
  return c;
}

v1::Savings ToProto(const Savings& s) {
  v1::Savings p;
  p.set_working_days_before(s.working_days_before);
  p.set_working_days_after(s.working_days_after);
  p.set_steps_before(s.steps_before);
  p.set_steps_after(s.steps_after);
  p.set_materials_before(s.materials_before);
  p.set_materials_after(s.materials_after);
  p.set_trips_before(s.trips_before);
  p.set_trips_after(s.trips_after);
  p.set_fields_before(s.fields_before);
  p.set_fields_after(s.fields_after);
  return p;
}

absl::StatusOr<Catalogue> ParseCatalogue(absl::string_view json) {
  v1::Catalogue p;
  JIBAN_RETURN_IF_ERROR(server::ParseConfigJson(json, &p, "bundle catalogue"));
  Catalogue c = FromProto(p);
  JIBAN_RETURN_IF_ERROR(Validate(c));
  return c;
}

absl::StatusOr<Catalogue> DefaultCatalogue() {
  for (const auto& f : generated::bundle_defaults()) return ParseCatalogue(f.text);
  return absl::InternalError("no shipped catalogue");
}

}  // namespace jiban::bundle
