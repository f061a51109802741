#include "services/intake/convert.h"

#include "google/protobuf/util/time_util.h"

namespace jiban::intake {

Request DraftFromProto(const v1::Request& p) {
  Request r;
  // Unknown enum numbers stay out of range and fail validation.
  r.channel = static_cast<Channel>(p.channel());
  r.nature = static_cast<Nature>(p.nature());
  r.title = p.title();
  r.text = p.text();
  r.location.district_code = p.location().district_code();
  r.location.town_code = p.location().town_code();
  if (p.location().has_point()) {
    r.location.latitude = p.location().point().latitude();
    r.location.longitude = p.location().point().longitude();
  }
  return r;
}

v1::Request ToProto(const Request& r) {
  v1::Request p;
  p.set_id(r.id);
  p.set_tracking_number(r.tracking_number);
  p.set_channel(static_cast<v1::Channel>(r.channel));
  p.set_nature(static_cast<v1::Nature>(r.nature));
  p.set_title(r.title);
  p.set_text(r.text);
  auto* loc = p.mutable_location();
  loc->set_district_code(r.location.district_code);
  loc->set_town_code(r.location.town_code);
  if (r.location.latitude.has_value()) {
    loc->mutable_point()->set_latitude(*r.location.latitude);
    loc->mutable_point()->set_longitude(*r.location.longitude);
  }
  if (loc->ByteSizeLong() == 0) p.clear_location();
  p.set_status(static_cast<v1::RequestStatus>(r.status));
  *p.mutable_create_time() =
      google::protobuf::util::TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(r.create_time));
  return p;
}

}  // namespace jiban::intake
