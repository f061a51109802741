// Open311 GeoReport v2, the open standard 311 apps and FixMyStreet-style clients speak, over the
// gateway's pipeline: discovery, the service list (the dispatch list's categories), service
// definitions, POST requests (with an API key), GET requests (the spec's filters, 90 days and 50
// requests by default, a page_token extension), GET request, token → id; XML (the spec's) and JSON.
//
// Our richer life cycle maps onto open/closed (answered, closed and withdrawn are closed) with
// status_notes, agency_responsible (the lead work order's unit) and expected_datetime (its
// working-day deadline). Reads go to the backends as the gateway's own "open311" principal with
// the auditor's role (personal data masked; confidential requests never listed); a POST goes as
// the API key's principal, through the policy like any call.
#ifndef JIBAN_SERVICES_GATEWAY_OPEN311_H_
#define JIBAN_SERVICES_GATEWAY_OPEN311_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "services/gateway/gateway.h"

namespace jiban::gateway {

struct Open311Options {
  std::string endpoint_url = "http://localhost:8000/open311/v2";  // for discovery
  std::string default_district = "410202";  // when a POST names none (attribute[district])
};

class Open311 {
 public:
  Open311(Gateway& gateway, Open311Options options)
      : gateway_(gateway), options_(std::move(options)) {}

  struct Reply {
    int status = 200;
    std::string content_type;
    std::string body;
    int retry_after = 0;
    std::string next_page_token;  // GET requests: more to read
  };
  // `path`: after "/open311/v2/", e.g. "requests.json"; `params`: the query's and the form's.
  // `in`: the caller as the HTTP face saw it (address, ids; api_key is taken from `params`).
  Reply Handle(absl::string_view verb, absl::string_view path,
               const std::map<std::string, std::string>& params, Incoming in);

 private:
  Gateway& gateway_;
  const Open311Options options_;
};

// application/x-www-form-urlencoded (a query string or a form body) → name → value; a repeated
// name keeps the last value.
std::map<std::string, std::string> ParseForm(absl::string_view text);

}  // namespace jiban::gateway

#endif  // JIBAN_SERVICES_GATEWAY_OPEN311_H_
