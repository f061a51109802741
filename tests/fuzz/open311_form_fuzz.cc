// libFuzzer: Open311's form and query decoding (application/x-www-form-urlencoded) on arbitrary
// bytes. It may not crash, and a form encoded back from what it decoded decodes to the same.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/gateway/open311.h"

namespace {

std::string Encode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto form = jiban::gateway::ParseForm(text);
  std::string encoded;
  for (const auto& [name, value] : form) {
    absl::StrAppend(&encoded, encoded.empty() ? "" : "&", Encode(name), "=", Encode(value));
  }
  if (jiban::gateway::ParseForm(encoded) != form) std::abort();
  return 0;
}
