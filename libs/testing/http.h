// A minimal HTTP/1.1 GET over loopback for tests (scraping /metrics, later the gateway).
#ifndef JIBAN_LIBS_TESTING_HTTP_H_
#define JIBAN_LIBS_TESTING_HTTP_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace jiban::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path);

}  // namespace jiban::testing

#endif  // JIBAN_LIBS_TESTING_HTTP_H_
