# libmailactor for plug-ins built out of tree (examples/custom-auth): `cmake --install` puts
#   lib/libmailactor.a                     every object of protocol, storage, plugin, routing, trace, actors, app
#   include/mailactor/*.hpp                the public API (auth plug point, main, version)
#   lib/cmake/mailactor/                   find_package(mailactor) → mailactor::mailactor
#   sbin/mailactor                         the server itself
# Static, not shared: a plug-in's binary then is what ours is (one program, CAF's typed messages
# matched within it), and nothing but the public headers' symbols is an interface we must keep
# stable between shared-library versions. The dependencies stay shared Debian libraries.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Imported targets are directory-scoped: find what the archive's users must link again here.
find_package(CAF 0.17 REQUIRED)
find_package(spdlog REQUIRED)
find_package(prometheus-cpp REQUIRED)
find_package(civetweb REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CURL REQUIRED)

add_library(mailactor_lib STATIC
  $<TARGET_OBJECTS:mailactor_protocol>
  $<TARGET_OBJECTS:mailactor_storage>
  $<TARGET_OBJECTS:mailactor_plugin>
  $<TARGET_OBJECTS:mailactor_routing>
  $<TARGET_OBJECTS:mailactor_trace>
  $<TARGET_OBJECTS:mailactor_actors>
  $<TARGET_OBJECTS:mailactor_app>)
set_target_properties(mailactor_lib PROPERTIES OUTPUT_NAME mailactor EXPORT_NAME mailactor
                                               LINKER_LANGUAGE CXX)
target_compile_features(mailactor_lib INTERFACE cxx_std_17)
target_include_directories(mailactor_lib INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
# libunbound-dev and libopendkim-dev have no CMake files: by name, from the system library path.
target_link_libraries(mailactor_lib INTERFACE
  CAF::openssl CAF::io CAF::core spdlog::spdlog prometheus-cpp::pull civetweb::civetweb-cpp
  OpenSSL::SSL OpenSSL::Crypto
  SQLite::SQLite3 CURL::libcurl unbound opendkim crypt)
if(MAILACTOR_SANITIZE)
  target_link_options(mailactor_lib INTERFACE -fsanitize=${MAILACTOR_SANITIZE})
endif()

install(TARGETS mailactor RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT server)
install(TARGETS mailactor_lib EXPORT mailactorTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/mailactor DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev)

set(_config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/mailactor)
install(EXPORT mailactorTargets NAMESPACE mailactor:: DESTINATION ${_config_dir} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mailactorConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mailactorConfig.cmake INSTALL_DESTINATION ${_config_dir})
# 0.x: a minor release may change the API (MAILACTOR_API_VERSION says when it did).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mailactorConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mailactorConfig.cmake
              ${PROJECT_BINARY_DIR}/mailactorConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake
        DESTINATION ${_config_dir} COMPONENT dev)
