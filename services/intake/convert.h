// The one place where intake's protos and its domain types meet.
#ifndef JIBAN_SERVICES_INTAKE_CONVERT_H_
#define JIBAN_SERVICES_INTAKE_CONVERT_H_

#include "proto/jiban/intake/v1/intake.pb.h"
#include "services/intake/domain.h"

namespace jiban::intake {

// Caller-supplied fields only; output-only fields of `proto` are ignored.
Request DraftFromProto(const v1::Request& proto);
v1::Request ToProto(const Request& request);

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_CONVERT_H_
