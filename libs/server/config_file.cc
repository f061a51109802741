#include "libs/server/config_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "libs/status/status.h"

namespace jiban::server {

absl::StatusOr<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(absl::StatusCode::kNotFound, "FILE_NOT_FOUND", absl::StrCat("cannot read ", path));
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::Status ParseConfigJson(absl::string_view json, google::protobuf::Message* m,
                             absl::string_view what) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto s = google::protobuf::util::JsonStringToMessage(std::string(json), m, options);
  if (!s.ok()) {
    return Error(absl::StatusCode::kInvalidArgument, "CONFIG_INVALID",
                 absl::StrCat(what, ": ", std::string(s.message())));
  }
  return absl::OkStatus();
}

}  // namespace jiban::server
