// Files compiled into a binary by the CMake helper jiban_embed_files: the defaults a service ships
// (calendar years, the starter dispatch list) so that it runs from any directory.
#ifndef JIBAN_LIBS_EMBEDDED_EMBEDDED_H_
#define JIBAN_LIBS_EMBEDDED_EMBEDDED_H_

namespace jiban::generated {

struct EmbeddedFile {
  const char* name;  // file name, without its directory
  const char* text;
};

}  // namespace jiban::generated

#endif  // JIBAN_LIBS_EMBEDDED_EMBEDDED_H_
