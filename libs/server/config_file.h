// Configuration files (ConfigMaps): read at start-up and parsed as ProtoJSON, with errors that
// name the file's role and never its contents.
#ifndef JIBAN_LIBS_SERVER_CONFIG_FILE_H_
#define JIBAN_LIBS_SERVER_CONFIG_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace jiban::server {

// The whole file; NOT_FOUND (FILE_NOT_FOUND) naming the path when it cannot be read.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path);

// Parses ProtoJSON into `m`, refusing unknown fields; INVALID_ARGUMENT (CONFIG_INVALID) that
// names `what` (e.g. "dispatch list") and the parser's complaint.
absl::Status ParseConfigJson(absl::string_view json, google::protobuf::Message* m,
                             absl::string_view what);

}  // namespace jiban::server

#endif  // JIBAN_LIBS_SERVER_CONFIG_FILE_H_
