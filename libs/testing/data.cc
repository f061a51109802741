#include "libs/testing/data.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"

namespace jiban::testing {

std::string SharedDataPath(absl::string_view relative) {
  const std::string path = absl::StrCat("../shared/data/", relative);
  if (std::filesystem::exists(path)) return path;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string(ci) == "true") {
    FAIL(path << " is missing (CI must have ../shared/data beside the repository)");
  }
  std::cout << "SKIPPED: " << path << " not found (../shared/data is beside the repository in CI, "
            << "absent in a user's clone)" << std::endl;
  std::exit(77);
}

std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) FAIL("cannot read " << path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace jiban::testing
