#!/usr/bin/env bash
# Fails when a module includes a header from a module it may not depend on.
# The allowed edges are the layer diagram in docs/architecture.md.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# module -> modules it may include (besides itself)
declare -A allowed=(
  [src/common]=""
  [src/holt]="common"
  [src/object]="common"
  [src/records]="common"
  [src/meta]="common holt object records"
  [src/query]="common meta object records"
  [src/fs]="common holt meta object query records"
  [src/rpc]="common fs meta object query"
  [src/server]="common fs rpc meta object query records"
  [src/cli]="common fs meta records object query rpc agent server fuse"
  [agent]="common fs query"
  [fuse]="common fs"
  [python/native]="common fs meta query server"
)
modules="common holt object records meta query fs rpc server cli agent fuse"

status=0
for dir in "${!allowed[@]}"; do
  [ -d "$dir" ] || continue
  own=$(basename "$dir")
  while IFS= read -r hit; do
    file=${hit%%:*}
    inc=$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"$hit")
    [ "$inc" = "$own" ] && continue
    case " $modules " in *" $inc "*) ;; *) continue ;; esac
    case " ${allowed[$dir]} " in
      *" $inc "*) ;;
      *) echo "layering: $file includes $inc/ (allowed for $dir: ${allowed[$dir]:-none})"; status=1 ;;
    esac
  done < <(grep -rHE '^#include "[a-z_]+/' "$dir" --include='*.h' --include='*.cc' || true)
done
# The seam: what a frontend includes must not pull in the engine, directly
# or through other headers (docs/architecture.md, "The metadata seam").
python3 - <<'PY' || status=1
import os, re, sys
include = re.compile(r'^#include "([^"]+)"', re.M)
forbidden = ("src/holt/", "src/meta/meta_service.h", "src/fs/local_metadata.h",
             "src/query/service.h")
deps = {}
def direct(path):
    if path not in deps:
        found = []
        for inc in include.findall(open(path, encoding="utf-8", errors="replace").read()):
            for cand in ("src/" + inc, inc):
                if os.path.isfile(cand):
                    found.append(cand)
                    break
        deps[path] = found
    return deps[path]
def reach(path):
    seen, todo = set(), [path]
    while todo:
        for dep in direct(todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen
files = [f for f in ("src/fs/filesystem.h", "src/fs/metadata.h", "src/fs/embedded.h")
         if os.path.isfile(f)]
for top in ("src/cli", "src/server", "src/rpc", "agent", "fuse", "python/native"):
    for base, _, names in os.walk(top):
        files += [os.path.join(base, n) for n in names if n.endswith((".h", ".cc"))]
bad = 0
for f in sorted(files):
    for dep in sorted(reach(f)):
        if dep.startswith(forbidden):
            print(f"seam: {f} reaches {dep} (frontends and the seam headers stay free of the engine)")
            bad = 1
sys.exit(bad)
PY

[ $status -eq 0 ] && echo "layering: ok"
exit $status
