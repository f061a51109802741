// Where the bundle catalogue's domain meets protobuf: the catalogue file (ProtoJSON of
// jiban.bundle.v1.Catalogue) in; views, applications and routing's events.
#ifndef JIBAN_SERVICES_BUNDLE_CONVERT_H_
#define JIBAN_SERVICES_BUNDLE_CONVERT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/jiban/bundle/v1/bundle.pb.h"
#include "proto/jiban/events/v1/events.pb.h"
#include "services/bundle/catalogue.h"
#include "services/bundle/domain.h"

namespace jiban::bundle {

Catalogue FromProto(const v1::Catalogue& p);
v1::Catalogue ToProto(const Catalogue& c);
v1::Matter ToProto(const Matter& m);
v1::Bundle ToProto(const Bundle& b);
v1::Material ToProto(const Material& m);
v1::Savings ToProto(const Savings& s);
void ToProto(const BundleView& view, v1::GetBundleResponse* out);
v1::GuideHit ToProto(const GuideAnswer& a);
// `now` decides `overdue` for an unfinished application.
v1::Application ToProto(const Application& a, absl::Time now);
Application FromProto(const v1::Application& p);

v1::HotSpot ToProto(const Bundles::HotSpotView& v);
v1::HotSpotDecision ToProto(const HotSpotDecision& d, const Effect* effect);

// Intake's RequestSubmitted as the miner's signal; nullopt for other events.
std::optional<Signal> SignalOf(const jiban::events::v1::Event& event);
// Routing's OrdersDispatched as (request id, category) for requests (not bundle parts).
std::vector<std::pair<std::string, std::string>> CategoriesOf(
    const jiban::events::v1::Event& event);

// Routing's events (OrdersDispatched, OrderChanged) as news of bundle parts; other events and
// orders that are not bundle parts give nothing.
std::vector<OrderNews> NewsOf(const jiban::events::v1::Event& event);
// Parses and validates a catalogue file: INVALID_ARGUMENT (CONFIG_INVALID) for bad JSON, or
// naming every bad field.
absl::StatusOr<Catalogue> ParseCatalogue(absl::string_view json);
// The catalogue that ships (services/bundle/defaults/catalogue.json).
absl::StatusOr<Catalogue> DefaultCatalogue();

}  // namespace jiban::bundle

#endif  // JIBAN_SERVICES_BUNDLE_CONVERT_H_
