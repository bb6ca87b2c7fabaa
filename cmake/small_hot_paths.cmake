# The small build's GetParameterValues path (issue 19 item 6: GetParameterValues of 20,000
# parameters no more than 10 % slower than the Release build). Included from the
# CWMPD_SMALL block of the top-level CMakeLists.txt, before the components are added: the
# per-file flags are set when the top-level directory is done (cmake_language(DEFER)),
# when the targets exist.
#
# The files are compiled -O2 and outside link-time optimisation. -O2 alone changes
# nothing under LTO: the std::string members the hot loops call (_M_append, _M_assign,
# _M_create, ...) are instantiated in every file, LTO keeps one copy of each (an -Os one)
# and does not inline an -Os body into an -O2 caller. Compiled -fno-lto, these files
# keep their own -O2 copies, inlined. What it costs and gains, per file (BENCHMARKS.md,
# "The small build's GetParameterValues path"):
#   soap/encoder.cpp       escaping and the ParameterValueStruct / ParameterInfoStruct
#                          appends: -4.6 M instructions per GPN + GPV pair at 20,000, +33 KB
#                          (the envelopes of the other messages, envelope_encoder.cpp,
#                          stay -Oz under LTO: at -O2 they were most of those bytes)
#   model/engine_names.cpp the GetParameterValues walk (names, getters' InstanceRef):
#                          -2.1 M, +12 KB
# rpc/rpc_dispatcher.cpp gained nothing more (+20 KB), so it stays -Os under LTO.
option(CWMPD_SMALL_HOT_PATHS
  "CWMPD_SMALL: compile the GetParameterValues path -O2 outside LTO (+45 KB daemon)" ON)

set(CWMPD_SMALL_HOT_CORE_SOURCES
  src/model/engine_names.cpp
  src/soap/encoder.cpp
)

function(cwmpd_small_hot_paths)
  list(TRANSFORM CWMPD_SMALL_HOT_CORE_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/core/)
  # Without -O2's padding (functions, loops and jump targets aligned to 16 bytes) and
  # without its hot/cold split of functions (each cold part another unwind table entry):
  # the same instructions in fewer bytes.
  set_property(SOURCE ${CWMPD_SMALL_HOT_CORE_SOURCES} TARGET_DIRECTORY cwmpd_core
    APPEND PROPERTY COMPILE_OPTIONS -O2 -fno-lto -fno-align-functions -fno-align-jumps
    -fno-align-loops -fno-align-labels -fno-reorder-blocks-and-partition)
endfunction()
if(CWMPD_SMALL_HOT_PATHS)
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL cwmpd_small_hot_paths)
endif()
