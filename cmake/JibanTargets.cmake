# Helpers that give every Jiban target the same shape: one library per piece, thin binaries,
# Catch2 test executables labelled for CTest.

# jiban_library(<name> SOURCES ... DEPS ...): a static library rooted at the repository's include
# convention (#include "libs/db/db.h").
function(jiban_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_compile_options(${name} PRIVATE ${JIBAN_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# jiban_binary(<name> SOURCES ... DEPS ...)
function(jiban_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${JIBAN_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# jiban_test(<name> LABELS unit|mysql|e2e|smoke... SOURCES ... DEPS ...): one Catch2 executable
# whose test cases CTest discovers when it runs them (no test binary runs at build time).
function(jiban_test name)
  if(NOT JIBAN_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "LABELS;SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${JIBAN_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} Catch2::Catch2WithMain)
  catch_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    EXTRA_ARGS --warn NoTests
    TEST_PREFIX "${name}:"
    PROPERTIES LABELS "${ARG_LABELS}"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# jiban_embed_migrations(<target> <dir> <component>): compiles every <dir>/{mysql,sqlite}/NNNN_*.sql
# into <target> as `jiban::db::MigrationSet jiban::generated::<component>_migrations(Dialect)`, so a
# binary carries its own schema.
function(jiban_embed_migrations target dir component)
  set(symbol ${component}_migrations)
  file(GLOB mysql_files CONFIGURE_DEPENDS ${dir}/mysql/*.sql)
  file(GLOB sqlite_files CONFIGURE_DEPENDS ${dir}/sqlite/*.sql)
  list(SORT mysql_files)
  list(SORT sqlite_files)
  set(body "")
  foreach(dialect mysql sqlite)
    string(APPEND body "  if (dialect == ::jiban::db::Dialect::k${dialect}) {\n")
    foreach(f ${${dialect}_files})
      get_filename_component(fname ${f} NAME_WE)
      string(REGEX MATCH "^[0-9]+" version ${fname})
      if(NOT version)
        message(FATAL_ERROR "migration ${f} must start with its version number")
      endif()
      math(EXPR version "${version} + 0")
      file(READ ${f} sql)
      string(APPEND body "    set.migrations.push_back({${version}, \"${fname}\", R\"jibansql(${sql})jibansql\"});\n")
    endforeach()
    string(APPEND body "  }\n")
  endforeach()
  string(REPLACE "kmysql" "kMySql" body "${body}")
  string(REPLACE "ksqlite" "kSqlite" body "${body}")
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${symbol}_migrations.cc)
  file(CONFIGURE OUTPUT ${out} CONTENT
"// Generated from ${dir} by jiban_embed_migrations; edit the .sql files, not this.
#include \"libs/db/migrate.h\"

namespace jiban::generated {
::jiban::db::MigrationSet ${symbol}(::jiban::db::Dialect dialect) {
  ::jiban::db::MigrationSet set;
  set.component = \"${component}\";
@body@  return set;
}
}  // namespace jiban::generated
" @ONLY)
  target_sources(${target} PRIVATE ${out})
endfunction()
