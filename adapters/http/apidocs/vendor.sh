#!/usr/bin/env bash
# Re-vendors the API reference renderer (swagger-ui-dist from the npm
# registry) into this directory, from where the server embeds it. Bump
# VERSION below, run `make vendor-apidocs`, look at /api/docs, and commit.
# npm pack downloads the published tarball without running any install
# script, so nothing else is fetched.
set -euo pipefail
VERSION=5.35.0
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null && tar xzf "swagger-ui-dist-$VERSION.tgz")
pkg="$tmp/package"
got="$(node -p "require('$pkg/package.json').version")"
[ "$got" = "$VERSION" ] || { echo "npm gave swagger-ui-dist $got, want $VERSION" >&2; exit 1; }
for f in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt; do
  cp "$pkg/$f" "$here/$f"
done
# The source map is not vendored; drop the comment pointing at it so
# browsers do not ask for it.
sed -i 's|^//# sourceMappingURL=.*$||' "$here/swagger-ui-bundle.js"
sed -i 's|/\*# sourceMappingURL=[^*]*\*/||' "$here/swagger-ui.css"
echo "$VERSION" > "$here/VERSION"
echo "vendored swagger-ui-dist $VERSION into $here"
