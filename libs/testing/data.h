// Real public data for tests lives in ../shared/data beside the repository (CI has it; a user's
// clone does not). A test that needs it calls SharedDataPath: when the data is absent it prints
// why and exits 77, which CTest reports as skipped (jiban_test(... DATA)); with CI=true an absent
// directory fails the test instead.
#ifndef JIBAN_LIBS_TESTING_DATA_H_
#define JIBAN_LIBS_TESTING_DATA_H_

#include <string>

#include "absl/strings/string_view.h"

namespace jiban::testing {

// The path of ../shared/data/<relative>, found from the working directory (the repository root
// under CTest).
std::string SharedDataPath(absl::string_view relative);

// The whole contents of a file (e.g. a shipped default under services/), failing the test when it
// cannot be read.
std::string ReadTestFile(const std::string& path);

}  // namespace jiban::testing

#endif  // JIBAN_LIBS_TESTING_DATA_H_
