# Finds every library Maestro links against through pkg-config. A missing one
# fails configure naming the Debian package to install (scripts/deps installs them all).
set(MAESTRO_DEPS
  "libgit2|libgit2-dev"
  "libcurl|libcurl4-openssl-dev"
  "json-c|libjson-c-dev"
  "libssh2|libssh2-1-dev"
  "gpgme|libgpgme-dev"
  "sqlite3|libsqlite3-dev"
  "libmicrohttpd|libmicrohttpd-dev"
  "libcrypto|libssl-dev")
set(MAESTRO_DEP_TARGETS "")
foreach(dep IN LISTS MAESTRO_DEPS)
  string(REPLACE "|" ";" parts "${dep}")
  list(GET parts 0 module)
  list(GET parts 1 debpkg)
  string(MAKE_C_IDENTIFIER "${module}" id)
  pkg_check_modules(DEP_${id} QUIET IMPORTED_TARGET ${module})
  if(NOT DEP_${id}_FOUND)
    message(FATAL_ERROR "Maestro needs ${module}: install it with `apt-get install ${debpkg}` "
                        "(or run scripts/deps, which installs everything).")
  endif()
  list(APPEND MAESTRO_DEP_TARGETS PkgConfig::DEP_${id})
endforeach()

pkg_check_modules(DEP_check QUIET IMPORTED_TARGET check)
if(NOT DEP_check_FOUND)
  message(FATAL_ERROR "Maestro's unit tests need Check: install it with `apt-get install check` "
                      "(or run scripts/deps).")
endif()
