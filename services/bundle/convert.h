// Where the bundle catalogue's domain meets protobuf: the catalogue file (ProtoJSON of
// jiban.bundle.v1.Catalogue) in, savings out.
#ifndef JIBAN_SERVICES_BUNDLE_CONVERT_H_
#define JIBAN_SERVICES_BUNDLE_CONVERT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/jiban/bundle/v1/bundle.pb.h"
#include "services/bundle/catalogue.h"

namespace jiban::bundle {

Catalogue FromProto(const v1::Catalogue& p);
v1::Savings ToProto(const Savings& s);
// Parses and validates a catalogue file: INVALID_ARGUMENT (CONFIG_INVALID) for bad JSON, or
// naming every bad field.
absl::StatusOr<Catalogue> ParseCatalogue(absl::string_view json);
// The catalogue that ships (services/bundle/defaults/catalogue.json).
absl::StatusOr<Catalogue> DefaultCatalogue();

}  // namespace jiban::bundle

#endif  // JIBAN_SERVICES_BUNDLE_CONVERT_H_
