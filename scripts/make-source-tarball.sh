#!/usr/bin/env bash
# Makes the reproducible source tarball of this checkout: OUT_FILE, with every
# file under rbee-VERSION/ (git's view when this is a checkout: tracked and
# untracked-but-not-ignored; else everything but build outputs), sorted names,
# fixed owner and times, gzip without a timestamp. The same files give the same
# bytes. Used by make-catalog.sh (the workers' recipes pin its sha256) and by
# `rbee hive install` (a hive built from source over ssh).
# Usage: make-source-tarball.sh OUT_FILE   (prints VERSION SHA256)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: make-source-tarball.sh OUT_FILE}"
version="$(sed -n 's/^project(rbee VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
[ -n "$version" ] || { echo "make-source-tarball: cannot read the version from CMakeLists.txt" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
list="$(mktemp)"
trap 'rm -f "$list" "$out.tmp"' EXIT
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$root" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$root/$f" ] && printf '%s\0' "$f"; done > "$list"
else
  (cd "$root" && find . -path ./build -prune -o -path ./.git -prune -o -name node_modules -prune -o -type f -print0 |
    sed -z 's|^\./||') > "$list"
fi
tar -C "$root" --null -T "$list" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --transform "s,^,rbee-$version/," -cf - | gzip -n -9 > "$out.tmp"
mv "$out.tmp" "$out"
echo "$version $(sha256sum "$out" | cut -d' ' -f1)"
