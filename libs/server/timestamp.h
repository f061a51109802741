// The one conversion between absl::Time and google.protobuf.Timestamp, at the millisecond
// precision Jiban stores times in (so a value read back equals the value written).
#ifndef JIBAN_LIBS_SERVER_TIMESTAMP_H_
#define JIBAN_LIBS_SERVER_TIMESTAMP_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace jiban::server {

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

}  // namespace jiban::server

#endif  // JIBAN_LIBS_SERVER_TIMESTAMP_H_
