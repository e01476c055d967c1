# Checks the layering of ARCHITECTURE.md on the sources (run with cmake -P):
# kernels/ includes nothing of ours and no CAF/Boost; messages/ only CAF;
# net/ never actors/ or kernels/; config/ nothing of ours but itself and json/;
# json/ nothing of ours; io/ no CAF (of messages/ only errc_code.hpp); cluster/
# (the PKI, tokens, ssh) no CAF, of ours only io/ and json/; actors/
# never net/ or cli/, and an actor's folder includes no other actor's, except that
# the hive spawns the downloader, installer and workers, the installer writes into
# the hive's worker store, and node/ wires them all.
set(root "${CMAKE_CURRENT_LIST_DIR}/..")
set(rules
  "kernels|#include [<\"](caf/|boost/|messages/|actors/|net/|config/|log/)"
  "messages|#include [<\"](actors/|net/|kernels/|config/|boost/)"
  "net|#include [<\"](actors/|kernels/)"
  "config|#include [<\"](caf/|boost/|messages/|actors/|net/|kernels/)"
  "json|#include [<\"](caf/|boost/|messages/|actors/|net/|kernels/|config/)"
  "io|#include [<\"](caf/|boost/|actors/|net/|kernels/|config/|cli/|messages/([^e]|e[^r]|errc[^_]))"
  "cluster|#include [<\"](caf/|boost/|messages/|actors/|net/|kernels/|config/|cli/|log/)"
  "log|#include [<\"](caf/|boost/|messages/|actors/|net/|kernels/|config/|io/|json/)"
  "actors|#include [<\"](net/|cli/|boost/)"
  "actors/queen|#include [<\"]actors/(hive|download|install|worker|bridge|node)/"
  "actors/bridge|#include [<\"]actors/(queen|hive|download|install|worker|node)/"
  "actors/download|#include [<\"]actors/(queen|hive|install|worker|bridge|node)/"
  "actors/worker|#include [<\"]actors/(queen|hive|download|install|bridge|node)/"
  "actors/install|#include [<\"]actors/(queen|download|worker|bridge|node|hive/[^w])"
  "actors/hive|#include [<\"]actors/(queen|bridge|node)/")
set(bad "")
foreach(rule IN LISTS rules)
  string(REPLACE "|" ";" parts "${rule}")
  list(GET parts 0 dir)
  string(FIND "${rule}" "|" bar)
  math(EXPR start "${bar} + 1")
  string(SUBSTRING "${rule}" ${start} -1 pattern)
  file(GLOB_RECURSE files "${root}/${dir}/*.hpp" "${root}/${dir}/*.cpp" "${root}/${dir}/*.cu" "${root}/${dir}/*.cuh")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" hits REGEX "${pattern}")
    if(hits)
      list(APPEND bad "${f}: ${hits}")
    endif()
  endforeach()
endforeach()
if(bad)
  string(REPLACE ";" "\n" text "${bad}")
  message(FATAL_ERROR "layering violations:\n${text}")
endif()
message(STATUS "layering ok")
