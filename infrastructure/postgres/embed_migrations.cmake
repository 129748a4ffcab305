# cmake -P script: writes OUTPUT, a C++ source holding every SQL_DIR/NNNN_name.sql
# as a raw string, in version order.
file(GLOB sql_files "${SQL_DIR}/[0-9][0-9][0-9][0-9]_*.sql")
list(SORT sql_files)
set(entries "")
set(bodies "")
set(index 0)
foreach(sql_file IN LISTS sql_files)
  get_filename_component(stem "${sql_file}" NAME_WE)
  string(SUBSTRING "${stem}" 0 4 digits)
  math(EXPR version "${digits}")
  file(READ "${sql_file}" text)
  string(FIND "${text}" ")once_sql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${sql_file} contains the raw-string delimiter )once_sql\"")
  endif()
  string(APPEND bodies "constexpr char sql_${index}[] = R\"once_sql(${text})once_sql\";\n")
  string(APPEND entries "    migration{${version}, \"${stem}\", sql_${index}},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from sql/ by embed_migrations.cmake; do not edit.
#include \"migrations.hpp\"

#include <array>

namespace once::postgres::detail {
namespace {
${bodies}
constexpr std::array migrations{
${entries}};
}  // namespace

std::span<migration const> embedded_migrations() noexcept { return migrations; }

}  // namespace once::postgres::detail
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
