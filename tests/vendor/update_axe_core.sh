#!/usr/bin/env bash
# Re-vendor axe-core for the browser tests. For maintainers only: the tests
# never run this and never need npm.
#
#   tests/vendor/update_axe_core.sh          # latest 4.x
#   tests/vendor/update_axe_core.sh 4.14.1   # an exact version
set -euo pipefail
version="${1:-4}"
here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/axe-core"

command -v npm >/dev/null || { echo "update_axe_core.sh needs npm (only to fetch the package)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "axe-core@$version" >/dev/null && tar xzf axe-core-*.tgz)
pkg="$tmp/package"
got="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$pkg/package.json")"
case "$got" in 4.*) ;; *) echo "expected axe-core 4.x, got '$got'" >&2; exit 1 ;; esac

rm -rf "$dest"
mkdir -p "$dest"
cp "$pkg/axe.min.js" "$pkg/LICENSE" "$pkg/LICENSE-3RD-PARTY.txt" "$dest/"

# Record the version on the README's "- Version:" line.
sed -i "s/^\( *- \)Version: .*/\1Version: $got/" "$here/README.md"
echo "Vendored axe-core $got into $dest:"
du -ah "$dest" | sort -k2
