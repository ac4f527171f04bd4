# Compiles through ccache when it is installed (scripts/install-deps installs it), so CI's clean
# clone reuses the objects the last build of the same sources made, wherever the clone lives:
# paths under the source tree are hashed relative to it, and the working directory is not hashed.
option(MAILACTOR_CCACHE "Compile through ccache when it is installed" ON)
find_program(MAILACTOR_CCACHE_PROGRAM ccache)
if(MAILACTOR_CCACHE AND MAILACTOR_CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} CCACHE_NOHASHDIR=1
      CCACHE_MAXSIZE=12G ${MAILACTOR_CCACHE_PROGRAM})
endif()
