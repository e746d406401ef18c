# check_errors.cmake -- the one error model (src/util/error.h) stays the
# only one: no `char *err, size_t err_size` message buffers, no strerror of
# a negated code (wc_strerror names every code, the system's included), no
# codes of a space of their own.  One line per finding, with file and line:
#
#   cmake -DSRC=<folder holding the layer folders> -P cmake/check_errors.cmake
#
# (the test `error_model`).  Exit status 1 when anything is found.

if(NOT DEFINED SRC)
  message(FATAL_ERROR "usage: cmake -DSRC=src -P cmake/check_errors.cmake")
endif()
get_filename_component(SRC ${SRC} ABSOLUTE)

# Each rule: a regular expression and what to do instead.
set(rule_patterns
  "size_t[ \t]+err_size"
  "(^|[^A-Za-z0-9_])strerror[ \t]*\\([ \t]*-"
  "WC_(PLUGIN|REGISTRY)_E[A-Z]+")
set(rule_advice
  "an err_size message buffer: take a wc_error * (util/error.h)"
  "strerror of a negated code: wc_strerror(code) names it"
  "a code outside the one space: return a WC_E* code (util/error.h)")
list(LENGTH rule_patterns nrules)
math(EXPR last_rule "${nrules} - 1")

set(findings "")
file(GLOB_RECURSE files RELATIVE ${SRC} ${SRC}/*.c ${SRC}/*.h)
list(SORT files)
foreach(file ${files})
  file(READ ${SRC}/${file} text)
  set(suspect FALSE)
  foreach(pattern ${rule_patterns})
    if(text MATCHES "${pattern}")
      set(suspect TRUE)
    endif()
  endforeach()
  if(NOT suspect)
    continue()
  endif()
  # One list item per line: the characters CMake lists treat specially are
  # replaced first (none of the patterns needs them).
  string(REPLACE "\\" "/" text "${text}")
  string(REPLACE ";" "," text "${text}")
  string(REPLACE "[" "<" text "${text}")
  string(REPLACE "]" ">" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    foreach(i RANGE ${last_rule})
      list(GET rule_patterns ${i} pattern)
      if(line MATCHES "${pattern}")
        list(GET rule_advice ${i} advice)
        list(APPEND findings "src/${file}:${number}: ${advice}")
      endif()
    endforeach()
  endforeach()
endforeach()

if(findings)
  foreach(f ${findings})
    message("${f}")
  endforeach()
  list(LENGTH findings n)
  message(FATAL_ERROR "${n} departure(s) from the error model of src/util/error.h")
endif()
