#include "libs/clock/page.h"

#include "absl/strings/str_cat.h"

namespace jiban {

PageRequest CheckPage(int page_size, const std::string& token, int default_size, int max_size,
                      Violations& v) {
  PageRequest r{.size = page_size == 0 ? default_size : page_size};
  if (page_size < 0 || page_size > max_size) {
    v.Add("page_size", absl::StrCat("between 0 and ", max_size));
  }
  if (!token.empty() && !DecodePageToken(token, &r.after_id)) {
    v.Add("page_token", "not a token this service issued");
  }
  return r;
}

}  // namespace jiban
