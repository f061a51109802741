#include "services/intake/convert.h"

#include "libs/pii/pii.h"
#include "libs/server/timestamp.h"
#include "proto/jiban/routing/v1/routing.pb.h"

namespace jiban::intake {
namespace {

std::vector<Attachment> FromProto(const google::protobuf::RepeatedPtrField<v1::Attachment>& list) {
  std::vector<Attachment> out;
  for (const auto& a : list) out.push_back({a.uri(), a.sha256(), a.media_type(), a.size_bytes()});
  return out;
}

void ToProto(const std::vector<Attachment>& list,
             google::protobuf::RepeatedPtrField<v1::Attachment>* out) {
  for (const auto& a : list) {
    auto* p = out->Add();
    p->set_uri(a.uri);
    p->set_sha256(a.sha256);
    p->set_media_type(a.media_type);
    p->set_size_bytes(a.size_bytes);
  }
}

void SetLocation(const Location& l, bool with_address, bool mask_address,
                 common::v1::Location* out) {
  out->set_district_code(l.district_code);
  out->set_town_code(l.town_code);
  if (with_address && !l.address.empty()) {
    out->set_address(mask_address ? pii::MaskAddress(l.address) : l.address);
  }
  if (l.latitude.has_value()) {
    out->mutable_point()->set_latitude(*l.latitude);
    out->mutable_point()->set_longitude(*l.longitude);
  }
}

// The fields a Request and a RequestSummary share, set the same way on either.
template <typename P>
void SetShared(const Request& r, P* p) {
  p->set_id(r.id);
  p->set_tracking_number(r.tracking_number);
  p->set_channel(static_cast<v1::Channel>(r.channel));
  p->set_nature(static_cast<v1::Nature>(r.nature));
  p->set_title(r.title);
  p->set_text(r.text);
  p->set_status(static_cast<v1::RequestStatus>(r.status));
  *p->mutable_create_time() = server::ToTimestamp(r.create_time);
  p->set_confidential(r.confidential);
  p->set_master_id(r.master_id);
}

}  // namespace

View ViewForRole(const std::string& role) {
  if (role == "commission_officer") return View::kFullConfidential;
  if (role == "window_clerk" || role == "admin") return View::kFull;
  return View::kMasked;
}

Request DraftFromProto(const v1::Request& p) {
  Request r;
  // Unknown enum numbers stay out of range and fail validation.
  r.channel = static_cast<Channel>(p.channel());
  r.nature = static_cast<Nature>(p.nature());
  r.title = p.title();
  r.text = p.text();
  r.location.district_code = p.location().district_code();
  r.location.town_code = p.location().town_code();
  r.location.address = p.location().address();
  if (p.location().has_point()) {
    r.location.latitude = p.location().point().latitude();
    r.location.longitude = p.location().point().longitude();
  }
  switch (p.requester().kind_case()) {
    case v1::Requester::kCitizen:
      r.requester.kind = Requester::Kind::kCitizen;
      r.requester.citizen = {p.requester().citizen().name(), p.requester().citizen().phone(),
                             p.requester().citizen().id_number()};
      break;
    case v1::Requester::kEnterprise: {
      const auto& e = p.requester().enterprise();
      r.requester.kind = Requester::Kind::kEnterprise;
      r.requester.enterprise = {e.name(), e.credit_code(), e.contact_name(), e.contact_phone()};
      break;
    }
    case v1::Requester::kAnonymous:
      r.requester.kind =
          p.requester().anonymous() ? Requester::Kind::kAnonymous : Requester::Kind::kUnspecified;
      break;
    case v1::Requester::KIND_NOT_SET:
      break;
  }
  r.confidential = p.confidential();
  r.attachments = FromProto(p.attachments());
  r.answer = p.answer();
  r.guide_entry_id = p.guide_entry_id();
  if (p.has_help()) r.help = HelpDetails{p.help().helper_post_id(), p.help().actions()};
  return r;
}

Supplement FromProto(const v1::Supplement& p) {
  return Supplement{p.text(), FromProto(p.attachments()), absl::Time()};
}

Evaluation FromProto(const v1::Evaluation& p) {
  Evaluation e;
  e.satisfaction = static_cast<Satisfaction>(p.satisfaction());
  e.resolution = static_cast<Resolution>(p.resolution());
  e.comment = p.comment();
  return e;
}

v1::Supplement ToProto(const Supplement& s) {
  v1::Supplement p;
  p.set_text(s.text);
  ToProto(s.attachments, p.mutable_attachments());
  *p.mutable_create_time() = server::ToTimestamp(s.create_time);
  return p;
}

v1::Evaluation ToProto(const Evaluation& e) {
  v1::Evaluation p;
  p.set_satisfaction(static_cast<v1::Satisfaction>(e.satisfaction));
  p.set_resolution(static_cast<v1::Resolution>(e.resolution));
  p.set_comment(e.comment);
  *p.mutable_create_time() = server::ToTimestamp(e.create_time);
  p.set_dissatisfied(e.dissatisfied());
  return p;
}

v1::TimelineEntry ToProto(const TimelineEntry& e) {
  v1::TimelineEntry p;
  *p.mutable_time() = server::ToTimestamp(e.time);
  p.set_status(static_cast<v1::RequestStatus>(e.status));
  p.set_description(e.description);
  return p;
}

v1::Request ToProto(const Request& r, View view) {
  const bool full = view == View::kFullConfidential || (view == View::kFull && !r.confidential);
  v1::Request p;
  SetShared(r, &p);
  SetLocation(r.location, /*with_address=*/true, /*mask_address=*/!full, p.mutable_location());
  *p.mutable_update_time() = server::ToTimestamp(r.update_time);
  auto* who = p.mutable_requester();
  switch (r.requester.kind) {
    case Requester::Kind::kCitizen: {
      const Citizen& c = r.requester.citizen;
      auto* pc = who->mutable_citizen();
      pc->set_name(full ? c.name : pii::MaskName(c.name));
      pc->set_phone(full ? c.phone : pii::MaskPhone(c.phone));
      if (!c.id_number.empty()) {
        pc->set_id_number(full ? c.id_number : pii::MaskIdNumber(c.id_number));
      }
      break;
    }
    case Requester::Kind::kEnterprise: {
      const Enterprise& e = r.requester.enterprise;
      auto* pe = who->mutable_enterprise();
      pe->set_name(e.name);
      pe->set_credit_code(e.credit_code);
      pe->set_contact_name(full ? e.contact_name : pii::MaskName(e.contact_name));
      pe->set_contact_phone(full ? e.contact_phone : pii::MaskPhone(e.contact_phone));
      break;
    }
    case Requester::Kind::kAnonymous:
      who->set_anonymous(true);
      break;
    case Requester::Kind::kUnspecified:
      p.clear_requester();
      break;
  }
  ToProto(r.attachments, p.mutable_attachments());
  p.set_answer(r.answer);
  p.set_guide_entry_id(r.guide_entry_id);
  if (r.help.has_value()) {
    p.mutable_help()->set_helper_post_id(r.help->helper_post_id);
    p.mutable_help()->set_actions(r.help->actions);
  }
  if (r.evaluation.has_value()) *p.mutable_evaluation() = ToProto(*r.evaluation);
  for (const auto& s : r.supplements) *p.add_supplements() = ToProto(s);
  p.set_member_count(r.member_count);
  return p;
}

v1::RequestSummary ToSummary(const Request& r) {
  v1::RequestSummary s;
  SetShared(r, &s);
  SetLocation(r.location, /*with_address=*/false, /*mask_address=*/true, s.mutable_location());
  s.set_enterprise(r.requester.kind == Requester::Kind::kEnterprise);
  if (s.enterprise()) s.set_enterprise_credit_code(r.requester.enterprise.credit_code);
  return s;
}

std::vector<RoutingProgress> ProgressOf(const jiban::events::v1::Event& event) {
  namespace rv1 = jiban::routing::v1;
  using K = RoutingProgress::Kind;
  const absl::Time at = server::FromTimestamp(event.occurred_time());
  const auto progress = [&](const rv1::WorkOrder& o, K kind) {
    return RoutingProgress{.request_id = o.request_id(),
                           .kind = kind,
                           .lead = o.lead(),
                           .unit_name = o.unit_name(),
                           .at = at};
  };
  std::vector<RoutingProgress> out;
  rv1::OrdersDispatched dispatched;
  rv1::OrderChanged changed;
  if (event.payload().UnpackTo(&dispatched)) {
    for (const auto& o : dispatched.orders()) out.push_back(progress(o, K::kDispatched));
  } else if (event.payload().UnpackTo(&changed)) {
    static const std::pair<const char*, K> kKinds[] = {
        {"signed_for", K::kSignedFor}, {"returned", K::kReturned},   {"reassigned", K::kReassigned},
        {"replied", K::kReplied},      {"rehandled", K::kRehandled}, {"closed", K::kClosed}};
    for (const auto& [name, kind] : kKinds) {
      if (changed.change() == name) out.push_back(progress(changed.order(), kind));
    }
  }
  return out;
}

}  // namespace jiban::intake
