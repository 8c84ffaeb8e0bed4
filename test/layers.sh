#!/usr/bin/env bash
#
# test/layers.sh -- the layers of src/, bottom first, and the check that
# calls only go down them: a file (src/NAME.c or src/NAME.h) may include
# the headers of its own layer and of the layers below, never one above.
# (Calls up go only through a function pointer a layer above hands down:
# the attach and exit hooks of shmem.c, the visitor of ac_table_scan.)
# Exits non-zero, naming each offending include, when one does.  Run by
# test/run.sh before the build; src/atomiccache.c describes each layer.
#
# Usage: bash test/layers.sh [SRC_DIR]

set -euo pipefail

LAYERS=(
    compat      # version guards (a header only)
    shmem       # control block, DSA area, backend slots
    stats       # per-backend counters and their sums
    memory      # byte budget and DSA allocations
    key         # key images
    table       # lock-free index, entry states, reclamation
    evict       # allocation with eviction
    value       # value and error images
    wait        # sleeping on a fill, take-over, wait cycles
    fill        # single flight
    spi         # the pinned SPI of the extension's own statements
    proc        # functions in the catalog: attributes, owners, pg_depend
    registry    # the caches' definition functions
    desc        # shared cache descriptors, pending drops
    cacheinfo   # what a backend knows of its caches
    ddl         # create_cache, drop_cache, memoize
    events      # event triggers
    migrate     # the update from 0.1.0's registry table
    inspect     # inspection functions
    api         # SQL entry points, the accessor
    atomiccache # the module: load, setting, callbacks
)

src=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src}
declare -A rank=()
for i in "${!LAYERS[@]}"; do
    rank[${LAYERS[$i]}]=$i
done

bad=0
for f in "$src"/*.c "$src"/*.h; do
    name=$(basename "$f")
    name=${name%.*}
    if [[ -z ${rank[$name]+x} ]]; then
        echo "layers: $f belongs to no layer (add it to test/layers.sh)"
        bad=1
        continue
    fi
    while IFS= read -r inc; do
        dep=${inc%.h}
        [[ -n ${rank[$dep]+x} ]] || continue   # not one of ours
        if ((rank[$dep] > rank[$name])); then
            echo "layers: $f (layer $name) includes $inc, a layer above it"
            bad=1
        fi
    done < <(sed -n 's/^#include "\([a-z_]*\.h\)".*/\1/p' "$f")
done
if ((bad)); then
    echo "layers: the order, bottom first: ${LAYERS[*]}"
    exit 1
fi
echo "layers: ok (${#LAYERS[@]} layers, bottom first: ${LAYERS[*]})"
