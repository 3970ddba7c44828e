#!/usr/bin/env bash
# Runs the README's quick start exactly as written: the ```sh block after the
# "<!-- quickstart -->" marker, in a fresh temporary directory, with the nokv
# binary from BIN_DIR first on PATH. Used by scripts/quickstart.sh and by the
# readme_quickstart test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$(cd "${1:?usage: readme-quickstart.sh BIN_DIR}" && pwd)
block=$(awk '/<!-- quickstart -->/{found=1; next} found && /^```sh/{inblock=1; next}
             inblock && /^```/{exit} inblock{print}' "$root/README.md")
if [ -z "$block" ]; then
  echo "readme-quickstart: no quick start block found in README.md" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export PATH="$bin_dir:$PATH"
unset NOKV_DATA_DIR
echo "+ running the README quick start in $work"
bash -euo pipefail -x -c "$block"
