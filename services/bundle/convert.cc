#include "services/bundle/convert.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/embedded/embedded.h"
#include "libs/server/config_file.h"
#include "libs/server/timestamp.h"
#include "libs/status/macros.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"

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

v1::Material ToProto(const Material& m) {
  v1::Material p;
  p.set_id(m.id);
  p.set_name(m.name);
  p.set_description(m.description);
  return p;
}

v1::Matter ToProto(const Matter& m) {
  v1::Matter p;
  p.set_id(m.id);
  p.set_name(m.name);
  p.set_owner_unit_id(m.owner_unit_id);
  p.set_window(m.window);
  p.set_statutory_working_days(m.statutory_working_days);
  p.set_steps(m.steps);
  p.set_trips(m.trips);
  p.set_fee_fen(m.fee_fen);
  for (const FormField& f : m.fields) {
    v1::FormField* pf = p.add_fields();
    pf->set_id(f.id);
    pf->set_label(f.label);
    pf->set_type(static_cast<v1::FieldType>(f.type));
    pf->set_required(f.required);
  }
  for (const auto& id : m.material_ids) p.add_material_ids(id);
  for (const auto& k : m.keywords) p.add_keywords(k);
  return p;
}

v1::Bundle ToProto(const Bundle& b) {
  v1::Bundle p;
  p.set_id(b.id);
  p.set_name(b.name);
  p.set_lead_unit_id(b.lead_unit_id);
  for (const auto& id : b.matter_ids) p.add_matter_ids(id);
  p.set_committed_working_days(b.committed_working_days);
  p.set_steps(b.steps);
  p.set_trips(b.trips);
  for (const auto& k : b.keywords) p.add_keywords(k);
  return p;
}

v1::Catalogue ToProto(const Catalogue& c) {
  v1::Catalogue p;
  p.set_version(c.version);
  for (const Material& m : c.materials) *p.add_materials() = ToProto(m);
  for (const Matter& m : c.matters) *p.add_matters() = ToProto(m);
  for (const Bundle& b : c.bundles) *p.add_bundles() = ToProto(b);
  return p;
}

void ToProto(const BundleView& view, v1::GetBundleResponse* out) {
  *out->mutable_bundle() = ToProto(view.bundle);
  for (const Matter& m : view.matters) *out->add_matters() = ToProto(m);
  for (const MergedField& f : view.form) {
    v1::MergedField* pf = out->add_form();
    v1::FormField* field = pf->mutable_field();
    field->set_id(f.field.id);
    field->set_label(f.field.label);
    field->set_type(static_cast<v1::FieldType>(f.field.type));
    field->set_required(f.field.required);
    for (const auto& id : f.matter_ids) pf->add_matter_ids(id);
  }
  for (const MergedMaterial& m : view.materials) {
    v1::MergedMaterial* pm = out->add_materials();
    *pm->mutable_material() = ToProto(m.material);
    for (const auto& id : m.matter_ids) pm->add_matter_ids(id);
  }
  *out->mutable_savings() = ToProto(view.savings);
  out->set_catalogue_version(view.catalogue_version);
}

v1::GuideHit ToProto(const GuideAnswer& a) {
  v1::GuideHit p;
  if (a.bundle != nullptr) *p.mutable_bundle() = ToProto(*a.bundle);
  if (a.matter != nullptr) *p.mutable_matter() = ToProto(*a.matter);
  p.set_score(a.hit.score);
  for (const Material& m : a.materials) *p.add_materials() = ToProto(m);
  p.set_working_days(a.working_days);
  p.set_entry_id(absl::StrCat(a.hit.bundle ? "bundle:" : "matter:", a.hit.id));
  return p;
}

v1::Application ToProto(const Application& a, absl::Time now) {
  v1::Application p;
  p.set_id(a.id);
  p.set_tracking_number(a.tracking_number);
  p.set_bundle_id(a.bundle_id);
  p.set_bundle_name(a.bundle_name);
  p.set_catalogue_version(a.catalogue_version);
  p.set_district_code(a.district_code);
  p.set_state(static_cast<v1::ApplicationState>(a.state));
  for (const Part& part : a.parts) {
    v1::ApplicationPart* pp = p.add_parts();
    pp->set_index(part.index);
    pp->set_matter_id(part.matter_id);
    pp->set_matter_name(part.matter_name);
    pp->set_unit_id(part.unit_id);
    pp->set_state(static_cast<v1::PartState>(part.state));
    pp->set_order_id(part.order_id);
    if (part.deadline) *pp->mutable_deadline() = server::ToTimestamp(*part.deadline);
    if (part.done_time) *pp->mutable_done_time() = server::ToTimestamp(*part.done_time);
    pp->set_failure_reason(part.failure_reason);
    pp->set_attempts(part.attempts);
    pp->set_working_days(part.working_days);
  }
  *p.mutable_submit_time() = server::ToTimestamp(a.submit_time);
  if (auto due = a.DueTime()) *p.mutable_due_time() = server::ToTimestamp(*due);
  if (a.complete_time) *p.mutable_complete_time() = server::ToTimestamp(*a.complete_time);
  p.set_overdue(a.Overdue(now));
  for (const auto& f : a.form_field_ids) p.add_form_field_ids(f);
  for (const auto& m : a.material_ids) p.add_material_ids(m);
  return p;
}

Application FromProto(const v1::Application& p) {
  Application a{.id = p.id(),
                .tracking_number = p.tracking_number(),
                .bundle_id = p.bundle_id(),
                .bundle_name = p.bundle_name(),
                .catalogue_version = p.catalogue_version(),
                .district_code = p.district_code(),
                .state = static_cast<ApplicationState>(p.state()),
                .submit_time = server::FromTimestamp(p.submit_time()),
                .form_field_ids = {p.form_field_ids().begin(), p.form_field_ids().end()},
                .material_ids = {p.material_ids().begin(), p.material_ids().end()}};
  if (p.has_complete_time()) a.complete_time = server::FromTimestamp(p.complete_time());
  for (const v1::ApplicationPart& pp : p.parts()) {
    Part part{.index = pp.index(),
              .matter_id = pp.matter_id(),
              .matter_name = pp.matter_name(),
              .unit_id = pp.unit_id(),
              .working_days = pp.working_days(),
              .state = static_cast<PartState>(pp.state()),
              .order_id = pp.order_id(),
              .failure_reason = pp.failure_reason(),
              .attempts = pp.attempts()};
    if (pp.has_deadline()) part.deadline = server::FromTimestamp(pp.deadline());
    if (pp.has_done_time()) part.done_time = server::FromTimestamp(pp.done_time());
    a.parts.push_back(std::move(part));
  }
  return a;
}

v1::HotSpotDecision ToProto(const HotSpotDecision& d, const Effect* effect) {
  v1::HotSpotDecision p;
  p.set_hotspot_key(d.spot.key);
  p.set_kind(static_cast<v1::HotSpotKind>(d.spot.kind));
  p.set_action(static_cast<v1::HotSpotAction>(d.action));
  p.set_note(d.note);
  p.set_actor(d.actor);
  *p.mutable_decide_time() = server::ToTimestamp(d.decided_at);
  p.set_count_at_decision(d.spot.count);
  p.set_window_days(static_cast<int>(d.window / absl::Hours(24)));
  p.set_label(d.spot.label);
  if (effect != nullptr) {
    p.set_requests_before(effect->before);
    p.set_requests_after(effect->after);
    p.set_after_share(effect->after_share);
  }
  return p;
}

v1::HotSpot ToProto(const Bundles::HotSpotView& v) {
  const HotSpot& h = v.spot;
  v1::HotSpot p;
  p.set_key(h.key);
  p.set_kind(static_cast<v1::HotSpotKind>(h.kind));
  p.set_category(h.category);
  p.set_district_code(h.place);
  p.set_districts(h.places);
  p.set_label(h.label);
  p.set_count(h.count);
  p.set_baseline(h.baseline);
  p.set_score(h.score);
  *p.mutable_first_time() = server::ToTimestamp(h.first);
  *p.mutable_last_time() = server::ToTimestamp(h.last);
  for (const auto& id : h.member_ids) p.add_request_ids(id);
  p.set_proposed_action(static_cast<v1::HotSpotAction>(h.action));
  p.set_proposal_reason(h.action_reason);
  if (v.decision) *p.mutable_decision() = ToProto(*v.decision, nullptr);
  return p;
}

std::optional<Signal> SignalOf(const jiban::events::v1::Event& event) {
  jiban::intake::v1::RequestSubmitted e;
  if (!event.payload().UnpackTo(&e)) return std::nullopt;
  const auto& r = e.request();
  Signal s{.id = r.id(),
           .time = server::FromTimestamp(r.create_time()),
           .place = r.location().district_code(),
           .person_key = r.enterprise() ? r.enterprise_credit_code() : "",
           .consultation = r.nature() == jiban::intake::v1::NATURE_CONSULTATION,
           .signature = RequestSignature(r.title(), r.text()),
           .label = SafeLabel(r.title())};
  if (r.location().has_point()) {
    // A grid cell of about 100 m: the same spot, without keeping where exactly.
    s.place_key = absl::StrFormat("%.3f,%.3f", r.location().point().latitude(),
                                  r.location().point().longitude());
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> CategoriesOf(
    const jiban::events::v1::Event& event) {
  jiban::routing::v1::OrdersDispatched dispatched;
  std::vector<std::pair<std::string, std::string>> out;
  if (!event.payload().UnpackTo(&dispatched)) return out;
  for (const auto& o : dispatched.orders()) {
    if (o.lead() && !o.category().empty() && !ParseItemId(o.request_id())) {
      out.emplace_back(o.request_id(), o.category());
    }
  }
  return out;
}

std::vector<OrderNews> NewsOf(const jiban::events::v1::Event& event) {
  jiban::routing::v1::OrdersDispatched dispatched;
  jiban::routing::v1::OrderChanged changed;
  std::vector<OrderNews> out;
  const absl::Time at = server::FromTimestamp(event.occurred_time());
  const auto add = [&](const std::string& change, const jiban::routing::v1::WorkOrder& o) {
    if (!ParseItemId(o.request_id())) return;
    out.push_back({.item_id = o.request_id(),
                   .order_id = o.id(),
                   .unit_id = o.unit_id(),
                   .change = change,
                   .deadline = server::FromTimestamp(o.deadline()),
                   .at = at});
  };
  if (event.payload().UnpackTo(&dispatched)) {
    for (const auto& o : dispatched.orders()) add("dispatched", o);
  } else if (event.payload().UnpackTo(&changed)) {
    add(changed.change(), changed.order());
  }
  return out;
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
