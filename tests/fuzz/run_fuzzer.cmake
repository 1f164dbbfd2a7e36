# ctest driver of one fuzz target: refresh the work corpus in the build dir from the seeds, fuzz
# for SECONDS, fail on any crash, leak, timeout or out-of-memory (libFuzzer exits non-zero).
# cmake -DFUZZER=exe -DSEEDS=dir -DWORK=dir -DSECONDS=n [-DARGS="-max_len=..;.."] -P run_fuzzer.cmake
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(GLOB seeds "${SEEDS}/*")
file(COPY ${seeds} DESTINATION "${WORK}/corpus")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
          -print_final_stats=1 ${ARGS} "-artifact_prefix=${WORK}/artifacts/"
          "${WORK}/corpus"
  WORKING_DIRECTORY "${WORK}"
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  file(GLOB found "${WORK}/artifacts/*")
  message(FATAL_ERROR "${FUZZER} failed (${status}); reproducer(s): ${found}")
endif()
