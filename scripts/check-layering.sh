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
  [src/server]="common fs rpc meta object query holt"
  [src/cli]="common fs meta records object query rpc agent server fuse"
  [agent]="common fs query"
  [fuse]="common fs"
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
[ $status -eq 0 ] && echo "layering: ok"
exit $status
