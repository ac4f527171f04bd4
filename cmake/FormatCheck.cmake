# ctest -R format_check: fails when clang-format would change any of our C++ files.
file(GLOB_RECURSE sources
  "${SOURCE_DIR}/protocol/*.cpp" "${SOURCE_DIR}/protocol/*.hpp"
  "${SOURCE_DIR}/storage/*.cpp" "${SOURCE_DIR}/storage/*.hpp"
  "${SOURCE_DIR}/plugin/*.cpp" "${SOURCE_DIR}/plugin/*.hpp"
  "${SOURCE_DIR}/routing/*.cpp" "${SOURCE_DIR}/routing/*.hpp"
  "${SOURCE_DIR}/trace/*.cpp" "${SOURCE_DIR}/trace/*.hpp"
  "${SOURCE_DIR}/actors/*.cpp" "${SOURCE_DIR}/actors/*.hpp"
  "${SOURCE_DIR}/app/*.cpp" "${SOURCE_DIR}/app/*.hpp"
  "${SOURCE_DIR}/include/*.hpp" "${SOURCE_DIR}/examples/*.cpp"
  "${SOURCE_DIR}/tests/*.cpp" "${SOURCE_DIR}/tests/*.hpp"
  "${SOURCE_DIR}/bench/*.cpp")
set(bad "")
foreach(f IN LISTS sources)
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror --style=file ${f}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    list(APPEND bad ${f})
  endif()
endforeach()
if(bad)
  string(REPLACE ";" "\n  " bad_list "${bad}")
  message(FATAL_ERROR "clang-format would change:\n  ${bad_list}\nRun scripts/format")
endif()
