#!/usr/bin/env bash
# Re-vendor MathJax 3 for the book, so built pages typeset math with no network.
# For maintainers only: the build never runs this and never needs npm.
#
#   book/_vendor/update_mathjax.sh          # latest 3.x
#   book/_vendor/update_mathjax.sh 3.2.2    # an exact version
#
# It keeps only what the book loads (see README.md beside it): the combined
# TeX-input/CHTML-output file with every TeX extension built in, the CHTML
# fonts it fetches, and the licence. Then rebuild and run `make test`: the
# browser tests fail if a page asks for a MathJax file that is not here.
set -euo pipefail
version="${1:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/html_extra/mathjax"

command -v npm >/dev/null || { echo "update_mathjax.sh needs npm (only to fetch the package)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "mathjax@$version" >/dev/null && tar xzf mathjax-*.tgz)
pkg="$tmp/package"
got="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$pkg/package.json")"
case "$got" in 3.*) ;; *) echo "expected MathJax 3.x, got '$got'" >&2; exit 1 ;; esac

rm -rf "$dest"
mkdir -p "$dest/es5/output/chtml/fonts"
cp "$pkg/LICENSE" "$dest/"
cp "$pkg/es5/tex-chtml-full.js" "$dest/es5/"
cp -r "$pkg/es5/output/chtml/fonts/woff-v2" "$dest/es5/output/chtml/fonts/"

# Record the version on the README's "- Version:" line.
sed -i "s/^\( *- \)Version: .*/\1Version: $got/" "$here/README.md"

# Every vendored file must stay small enough to commit comfortably.
too_big="$(find "$dest" -type f -size +1500000c)"
if [ -n "$too_big" ]; then echo "files over 1.5 MB: $too_big" >&2; exit 1; fi

echo "Vendored MathJax $got into $dest:"
du -ah "$dest" | sort -k2
