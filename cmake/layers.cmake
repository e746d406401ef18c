# The layers of wasmcap, bottom first: the one place that says which layer
# may use which.  docs/ARCHITECTURE.md ("Layers") shows the same table.
#
#   wc_layer(NAME USES layer... DOORS header...)
#
# NAME is the folder src/NAME.  USES lists the layers its code may include
# and link against.  DOORS lists the headers other layers may include (`*`:
# every header of the folder, for the toolkits); everything else in the
# folder is private to the layer.  A front end (FRONT) is a program, not a
# library: it may use the doors of the layers it names.
#
# The build enforces it: each layer is a static library compiled with only
# its own folder and its USES layers' doors on the include path (see
# wc_layer_targets below), so an include across a forbidden edge does not
# compile.  The test `layering` (cmake/check_layers.cmake) reads this table
# too and names the rule an include breaks.

set(WC_LAYERS "")
set(WC_FRONT_ENDS "")
set(WC_EDGES "")

macro(wc_layer name)
  cmake_parse_arguments(_wl "FRONT" "" "USES;DOORS" ${ARGN})
  set(WC_LAYER_${name}_USES ${_wl_USES})
  set(WC_LAYER_${name}_DOORS ${_wl_DOORS})
  if(_wl_FRONT)
    list(APPEND WC_FRONT_ENDS ${name})
  else()
    list(APPEND WC_LAYERS ${name})
  endif()
endmacro()


# Where a layer sees one header of a layer it does not use: the protocol
# implements the host's client port (what a guest may ask of the client),
# so mcp sees host/client_port.h, and only that, of the host layer.
macro(wc_edge_door from to)
  set(WC_EDGE_${from}_${to}_DOORS ${ARGN})
  list(APPEND WC_EDGES ${from}_${to})
endmacro()

wc_layer(util                                          DOORS *)
wc_layer(json      USES util                           DOORS parse.h scan.h text.h schema.h schema_ref.h reader.h)
wc_layer(store     USES util                           DOORS kv.h)
wc_layer(ontology  USES json util                      DOORS ontology.h)
wc_layer(auth      USES json util                      DOORS auth.h)
wc_layer(nn        USES util                           DOORS tflite.h backend.h)
wc_layer(fetch     USES json util                      DOORS source.h oci.h)
wc_layer(engine    USES util                           DOORS engine.h decode.h)
wc_layer(bus       USES json util                      DOORS bus.h config.h)
wc_layer(host      USES bus nn engine store json util  DOORS wasmcap.h wasi.h wasi_nn.h http_fetch.h client_port.h extism.h)
wc_layer(plugin    USES host bus engine store json util DOORS registry.h call.h config.h manifest.h services.h)
wc_layer(mcp       USES plugin json util               DOORS server.h jsonrpc.h backplane.h)
wc_layer(transport USES mcp auth json util             DOORS http.h http_limits.h http_config.h stdio.h)

wc_layer(cli       FRONT USES transport mcp plugin host bus nn engine store auth fetch ontology json util)
wc_layer(spectest  FRONT USES engine util)

wc_edge_door(mcp host client_port.h)


# The include folders that make the table true.  BINARY/layers/self/NAME
# holds NAME -> src/NAME (a layer sees all of itself); BINARY/layers/doors/
# NAME holds NAME/HEADER -> src/NAME/HEADER for its doors only.  Sources
# include "layer/header.h", so a layer compiled against these folders finds
# a forbidden header nowhere.
function(wc_layer_include_dirs name out)
  set(root ${CMAKE_BINARY_DIR}/layers)
  set(dirs ${root}/self/${name})
  foreach(used ${WC_LAYER_${name}_USES})
    list(APPEND dirs ${root}/doors/${used})
  endforeach()
  foreach(edge ${WC_EDGES})
    if(edge MATCHES "^${name}_")
      list(APPEND dirs ${root}/edges/${edge})
    endif()
  endforeach()
  set(${out} ${dirs} PARENT_SCOPE)
endfunction()

function(wc_layer_make_folders)
  set(root ${CMAKE_BINARY_DIR}/layers)
  file(REMOVE_RECURSE ${root})
  foreach(name ${WC_LAYERS} ${WC_FRONT_ENDS})
    file(MAKE_DIRECTORY ${root}/self/${name})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${name} ${root}/self/${name}/${name} SYMBOLIC)
  endforeach()
  foreach(name ${WC_LAYERS})
    set(doors ${WC_LAYER_${name}_DOORS})
    if(doors STREQUAL "*")
      file(MAKE_DIRECTORY ${root}/doors/${name})
      file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${name} ${root}/doors/${name}/${name} SYMBOLIC)
      continue()
    endif()
    file(MAKE_DIRECTORY ${root}/doors/${name}/${name})
    foreach(door ${doors})
      if(NOT EXISTS ${CMAKE_SOURCE_DIR}/src/${name}/${door})
        message(FATAL_ERROR "cmake/layers.cmake: door ${name}/${door} does not exist")
      endif()
      file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${name}/${door}
           ${root}/doors/${name}/${name}/${door} SYMBOLIC)
    endforeach()
  endforeach()
  foreach(edge ${WC_EDGES})
    string(REGEX REPLACE "^[a-z]+_" "" to ${edge})
    file(MAKE_DIRECTORY ${root}/edges/${edge}/${to})
    foreach(door ${WC_EDGE_${edge}_DOORS})
      file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${to}/${door}
           ${root}/edges/${edge}/${to}/${door} SYMBOLIC)
    endforeach()
  endforeach()
endfunction()

# One static library per layer, wc_NAME, from src/NAME/*.c plus EXTRA
# sources; it links the layers it uses, whose include folders do not
# travel with them (only doors are on a user's path).
function(wc_layer_library name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.c)
  add_library(wc_${name} STATIC ${sources} ${ARGN})
  wc_layer_include_dirs(${name} dirs)
  target_include_directories(wc_${name} PRIVATE ${dirs})
  foreach(used ${WC_LAYER_${name}_USES})
    target_link_libraries(wc_${name} PUBLIC wc_${used})
  endforeach()
endfunction()
