# The Debian package: `scripts/package` (cpack -G DEB over this build tree) makes
# mailactor_<version>_amd64.deb. The system files below are installed at install time relative
# to the prefix, except that prefix /usr puts them where Debian wants them (/etc, /lib/systemd,
# /var) as GNUInstallDirs does: `cmake --install build --prefix P` stays inside P.
include(GNUInstallDirs)

# The packaged config is conf/mailactor.toml (one commented source) with production paths; a
# line that moved makes the build fail here rather than ship a config that still says ./var.
file(READ ${PROJECT_SOURCE_DIR}/conf/mailactor.toml _toml)
set(_production
  "user = \"\"|user = \"mailactor\""
  "listen = \"127.0.0.1:2525\"|listen = \"127.0.0.1:25\""
  "directory = \"./var/spool\"|directory = \"/var/spool/mailactor\""
  "mailbox_root = \"./var/mailboxes\"|mailbox_root = \"/var/mail/mailactor/mailboxes\""
  "maildir = \"./var/mail\"|maildir = \"/var/mail/mailactor/ingest\"")
foreach(_pair IN LISTS _production)
  string(REPLACE "|" ";" _pair "${_pair}")
  list(GET _pair 0 _from)
  list(GET _pair 1 _to)
  string(FIND "${_toml}" "\n${_from}\n" _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "cmake/Package.cmake: conf/mailactor.toml has no line '${_from}'")
  endif()
  string(REPLACE "\n${_from}\n" "\n${_to}\n" _toml "${_toml}")
endforeach()
file(WRITE ${PROJECT_BINARY_DIR}/package/mailactor.toml
  "# /etc/mailactor/mailactor.toml, installed by the mailactor package (a conffile: upgrades keep\n"
  "# your changes). It listens on 127.0.0.1:25 only: set listen = \"0.0.0.0:25\" (and the\n"
  "# local_domains) to receive mail from the Internet. `systemctl reload mailactor` re-reads it.\n"
  "# Reference: mailactor.toml(5).\n\n${_toml}")

file(READ ${PROJECT_SOURCE_DIR}/conf/mailactor.service _unit)
string(REPLACE "/usr/local/bin/mailactor" "/usr/sbin/mailactor" _unit "${_unit}")
file(WRITE ${PROJECT_BINARY_DIR}/package/mailactor.service "${_unit}")

# Where a system file goes for the install-time prefix (file(INSTALL) adds DESTDIR itself).
install(CODE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(MAILACTOR_ROOT "")
    set(MAILACTOR_UNIT_DIR "/lib/systemd/system")
  else()
    set(MAILACTOR_ROOT "${CMAKE_INSTALL_PREFIX}")
    set(MAILACTOR_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  endif()
]] COMPONENT server)
install(CODE "
  file(INSTALL ${PROJECT_BINARY_DIR}/package/mailactor.toml
       DESTINATION \"\${MAILACTOR_ROOT}/etc/mailactor\"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  file(INSTALL ${PROJECT_BINARY_DIR}/package/mailactor.service
       DESTINATION \"\${MAILACTOR_UNIT_DIR}\"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
" COMPONENT server)

# Man pages, generated from --help (help2man) and from the packaged commented config by
# scripts/make-man: built with the binary, so they change when either does.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(_man ${PROJECT_BINARY_DIR}/package/man)
  add_custom_command(OUTPUT ${_man}/mailactor.8.gz ${_man}/mailactor.toml.5.gz
    COMMAND ${PROJECT_SOURCE_DIR}/scripts/make-man $<TARGET_FILE:mailactor>
            ${PROJECT_BINARY_DIR}/package/mailactor.toml ${_man}
    COMMAND gzip -9nf ${_man}/mailactor.8 ${_man}/mailactor.toml.5
    DEPENDS mailactor ${PROJECT_SOURCE_DIR}/scripts/make-man ${PROJECT_SOURCE_DIR}/conf/mailactor.toml
    COMMENT "Man pages mailactor(8), mailactor.toml(5)" VERBATIM)
  add_custom_target(man DEPENDS ${_man}/mailactor.8.gz ${_man}/mailactor.toml.5.gz)
  install(FILES ${_man}/mailactor.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT server
          OPTIONAL)
  install(FILES ${_man}/mailactor.toml.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5
          COMPONENT server OPTIONAL)
else()
  message(STATUS "help2man not found: no man pages (scripts/install-deps installs it)")
endif()

# Debian wants a copyright file and a changelog in the package's doc directory.
set(_doc ${CMAKE_INSTALL_DATADIR}/doc/mailactor)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/package/changelog.gz
  COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/packaging/deb/changelog > ${PROJECT_BINARY_DIR}/package/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/deb/changelog VERBATIM)
add_custom_target(package_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/package/changelog.gz)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/copyright DESTINATION ${_doc} COMPONENT server)
install(FILES ${PROJECT_BINARY_DIR}/package/changelog.gz DESTINATION ${_doc}
        RENAME changelog.gz COMPONENT server)  # a native package's name for it

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mailactor)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "mailactor developers <mailactor-devel@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "SMTP server on the C++ Actor Framework")
set(CPACK_PACKAGE_DESCRIPTION
  "mailactor accepts mail over SMTP (RFC 5321, ESMTP, STARTTLS, AUTH), commits\n"
  "every accepted message durably to its SQLite queue before it answers 250,\n"
  "and delivers it: to Maildirs, over LMTP (Dovecot) or onward over SMTP\n"
  "(smarthost or MX, DKIM). One actor per connection, bounded memory under\n"
  "overload, Prometheus metrics.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)               # mailactor_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)                # Depends: from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")           # the maintainer scripts' system user
# Not a mail-transport-agent (no /usr/sbin/sendmail): it installs beside Postfix or Exim.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
  ${PROJECT_SOURCE_DIR}/packaging/deb/prerm ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
# Only the server: the plug-in archive and headers are for `cmake --install` (see InstallLibrary).
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL server)
include(CPack)
