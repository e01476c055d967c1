#!/usr/bin/env bash
# Makes a worker catalog directory from this checkout: a reproducible source
# tarball of the project (OUT/sources/rbee-VERSION.tar.gz) and, for each recipe
# in catalog/, OUT/workers/<id>/PKGBUILD with the version and the tarball's
# sha256 pinned, plus its meta.json, and signs it (index.json + index.json.sig,
# with `rbee catalog sign`). Serve it with `rbee catalog serve --dir OUT`.
# Usage: make-catalog.sh OUT_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: make-catalog.sh OUT_DIR}"
version="$(sed -n 's/^project(rbee VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
[ -n "$version" ] || { echo "make-catalog: cannot read the version from CMakeLists.txt" >&2; exit 1; }
mkdir -p "$out/sources" "$out/workers"
out="$(cd "$out" && pwd)"
tarball="$out/sources/rbee-$version.tar.gz"

"$root/scripts/make-source-tarball.sh" "$tarball" >/dev/null
sha="$(sha256sum "$tarball" | cut -d' ' -f1)"

for recipe in "$root"/catalog/*/PKGBUILD.in; do
  id="$(basename "$(dirname "$recipe")")"
  mkdir -p "$out/workers/$id"
  sed -e "s/@VERSION@/$version/g" -e "s/@SHA256@/$sha/g" "$recipe" > "$out/workers/$id/PKGBUILD"
  cp "$(dirname "$recipe")/meta.json" "$out/workers/$id/meta.json"
done
# Signed: index.json (every file with its sha256) and its Ed25519 signature, with the
# user's catalog key (made on first use) or RBEE_CATALOG_SIGNING_KEY. Hives pin the
# public key it prints (catalog_key); `rbee serve` trusts the user's own key.
rbee="${RBEE_BIN:-${RBEE_BUILD_DIR:-$root/build}/rbee}"
if [ ! -x "$rbee" ]; then
  echo "make-catalog: $rbee not found; build rbee first (scripts/build.sh): it signs the catalog" >&2
  exit 1
fi
"$rbee" catalog sign --dir "$out" ${RBEE_CATALOG_SIGNING_KEY:+--key "$RBEE_CATALOG_SIGNING_KEY"}
echo "catalog in $out: rbee-$version.tar.gz ($(du -h "$tarball" | cut -f1), sha256 $sha), $(ls "$out/workers" | wc -l) workers"
