#!/bin/bash
# packaging/build-deb.sh -- build inferwatcher_<version>_amd64.deb with dpkg-deb (no debhelper).
#
#   packaging/build-deb.sh [OUTPUT_DIR]     (default OUTPUT_DIR: .build-deb/, git-ignored)
#
# Environment:
#   DEB_VERSION=0.1.1   package version (default: what `inferwatcher --version` prints); a version
#                       other than the top entry of packaging/debian/changelog gets a generated
#                       changelog entry (used by packaging/test-deb.sh to test upgrades)
#   SCRATCH_PATH=DIR    SwiftPM scratch folder (default .build-deb, never the lead's .build)
#   DEB_MAINTAINER      Maintainer field (default: the changelog's top entry)
#   LINTIAN=0           skip the lintian run at the end
#   MAN_TOOL=plugin     man pages through `swift package plugin generate-manual` instead of running
#                       the same generate-manual tool directly (see packaging/README.md)
#
# Steps: release build with the Swift runtime linked statically; check that nothing resolves under
# the toolchain; strip; man pages from the argument-parser definitions; stage the file system tree;
# control files (Depends from dpkg-shlibdeps, md5sums, conffiles, maintainer scripts); dpkg-deb;
# lintian. Reproducible: SOURCE_DATE_EPOCH is the changelog's date.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DEBDIR=$HERE/debian
SCRATCH=${SCRATCH_PATH:-$ROOT/.build-deb}
OUT=$(mkdir -p "${1:-$SCRATCH}" && cd "${1:-$SCRATCH}" && pwd)
PKG=inferwatcher
ARCH=amd64

say() { echo "build-deb: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
step() { say "$* ($(( $(date +%s) - T0 )) s)"; }
T0=$(date +%s)
for tool in swift dpkg-deb dpkg-shlibdeps dpkg-parsechangelog strip gzip; do
	command -v "$tool" >/dev/null || die "$tool not found (dpkg-dev, binutils, the Swift toolchain)"
done
[ "$(dpkg --print-architecture)" = "$ARCH" ] || die "only $ARCH builds are supported"
cd "$ROOT"

# --- 1. the binary: Swift stdlib, Foundation and Dispatch linked statically -------------------
# --disable-local-rpath: no RUNPATH $ORIGIN (nothing is looked up next to /usr/bin/inferwatcher).
# -z now -z relro: full RELRO (lintian hardening-no-bindnow).
SWIFT_FLAGS=(-c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now -Xlinker -z -Xlinker relro
	--scratch-path "$SCRATCH")
step "swift build ${SWIFT_FLAGS[*]} --product inferwatcher"
swift build "${SWIFT_FLAGS[@]}" --product inferwatcher
BIN_DIR=$(swift build "${SWIFT_FLAGS[@]}" --show-bin-path)
BIN=$BIN_DIR/inferwatcher
[ -x "$BIN" ] || die "no binary at $BIN"
# Nothing may come from the toolchain: no /opt/swift path, no libswift*/Foundation/dispatch .so.
if ldd "$BIN" | grep -Ei '/opt/swift|libswift|libFoundation|libdispatch|libBlocksRuntime|_FoundationICU|not found'; then
	die "$BIN still needs the Swift toolchain at run time (see the ldd lines above)"
fi
if readelf -d "$BIN" | grep -Ei 'R(UN)?PATH'; then
	die "$BIN has an RPATH/RUNPATH (see above)"
fi

UPSTREAM_VERSION=$("$BIN" --version)
VERSION=${DEB_VERSION:-$UPSTREAM_VERSION}
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "bad version '$VERSION'"
step "inferwatcher $UPSTREAM_VERSION, package version $VERSION"

# --- 2. the changelog (and with it the maintainer and SOURCE_DATE_EPOCH) ----------------------
WORK=$SCRATCH/deb
STAGE=$WORK/${PKG}_${VERSION}_$ARCH
rm -rf "$WORK"
mkdir -p "$STAGE/DEBIAN"
CHANGELOG=$WORK/changelog
TOP_VERSION=$(dpkg-parsechangelog -l "$DEBDIR/changelog" -SVersion)
TOP_MAINT=$(dpkg-parsechangelog -l "$DEBDIR/changelog" -SMaintainer)
if [ "$VERSION" = "$TOP_VERSION" ]; then
	cp "$DEBDIR/changelog" "$CHANGELOG"
else
	dpkg --compare-versions "$VERSION" gt "$TOP_VERSION" ||
		die "version $VERSION is not newer than the changelog's $TOP_VERSION"
	say "version $VERSION is not in packaging/debian/changelog: adding a generated entry"
	{
		printf '%s (%s) UNRELEASED; urgency=medium\n\n' "$PKG" "$VERSION"
		printf '  * Build of %s for testing upgrades (binary version %s).\n\n' "$VERSION" "$UPSTREAM_VERSION"
		printf ' -- %s  %s\n\n' "$TOP_MAINT" "$(date -uR)"
		cat "$DEBDIR/changelog"
	} >"$CHANGELOG"
fi
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$CHANGELOG" -STimestamp)
export SOURCE_DATE_EPOCH
MAINTAINER=${DEB_MAINTAINER:-$TOP_MAINT}
MAN_DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)

# --- 3. man pages from the argument-parser definitions (swift-argument-parser's generate-manual) -
MAN_OUT=$WORK/man
mkdir -p "$MAN_OUT"
if [ "${MAN_TOOL:-tool}" = plugin ]; then
	# The plugin rebuilds every product in release mode without --static-swift-stdlib (relinking
	# the binary dynamically), then runs generate-manual on it; rebuild the static one afterwards.
	step "swift package plugin generate-manual"
	swift package --scratch-path "$SCRATCH" plugin generate-manual --multi-page --date "$MAN_DATE" \
		--authors "$MAINTAINER"
	cp "$SCRATCH"/plugins/GenerateManual/outputs/InferWatcher/*.1 "$MAN_OUT/"
	"$ROOT/scripts/man.sh" --rename "$MAN_OUT"
	swift build "${SWIFT_FLAGS[@]}" --product inferwatcher
else
	# The plugin's own tool, run the way the plugin runs it, on the binary built above, with the
	# pages named as whatis and lintian want (scripts/man.sh, which `make man` runs too).
	step "scripts/man.sh (generate-manual)"
	MAN_DATE=$MAN_DATE MAN_AUTHORS=$MAINTAINER "$ROOT/scripts/man.sh" "$BIN" "$MAN_OUT" "${SWIFT_FLAGS[@]}"
fi
ls "$MAN_OUT"/inferwatcher.1 >/dev/null || die "generate-manual made no inferwatcher.1"

# --- 4. the file system tree -------------------------------------------------------------------
step "staging $STAGE"
inst() { install -D -m "$1" "$2" "$STAGE/$3"; }   # inst MODE SRC DEST
# The binary, stripped as dh_strip does for executables.
install -d -m 0755 "$STAGE/usr/bin"
strip --remove-section=.comment --remove-section=.note -o "$STAGE/usr/bin/inferwatcher" "$BIN"
chmod 0755 "$STAGE/usr/bin/inferwatcher"
for unit in inferwatcher.service inferwatcher-alert@.service inferwatcher-prune.service inferwatcher-prune.timer; do
	inst 0644 "systemd/$unit" "usr/lib/systemd/system/$unit"
done
inst 0644 systemd/sysusers.d/inferwatcher.conf usr/lib/sysusers.d/inferwatcher.conf
inst 0644 systemd/tmpfiles.d/inferwatcher.conf usr/lib/tmpfiles.d/inferwatcher.conf
inst 0644 systemd/inferwatcher.catalog usr/lib/systemd/catalog/inferwatcher.catalog
inst 0644 systemd/inferwatcher.yaml etc/inferwatcher/inferwatcher.yaml
inst 0644 examples/model.onnx usr/share/inferwatcher/examples/model.onnx
inst 0644 examples/trees.onnx usr/share/inferwatcher/examples/trees.onnx
for page in "$MAN_OUT"/*.1; do
	inst 0644 "$page" "usr/share/man/man1/$(basename "$page")"
done
DOC=usr/share/doc/$PKG
# Shell completions, generated by the argument parser from the same definitions as --help.
for shell in bash zsh fish; do
	"$BIN" --generate-completion-script "$shell" > "$WORK/completion.$shell" || die "no $shell completion script"
	[ -s "$WORK/completion.$shell" ] || die "the $shell completion script is empty"
done
inst 0644 "$WORK/completion.bash" usr/share/bash-completion/completions/inferwatcher
inst 0644 "$WORK/completion.zsh" usr/share/zsh/vendor-completions/_inferwatcher
inst 0644 "$WORK/completion.fish" usr/share/fish/vendor_completions.d/inferwatcher.fish
inst 0644 README.md "$DOC/README.md"
for f in docs/*.md; do inst 0644 "$f" "$DOC/$f"; done
inst 0644 "$HERE/README.md" "$DOC/README.Debian"
inst 0644 "$DEBDIR/copyright" "$DOC/copyright"
inst 0644 "$DEBDIR/lintian-overrides" "usr/share/lintian/overrides/$PKG"
# A native package: the Debian changelog is the changelog (Policy 12.7).
inst 0644 "$CHANGELOG" "$DOC/changelog"
# Compression as dh_compress: man pages and changelogs always, other docs above 4 KiB.
find "$STAGE/usr/share/man" -type f -exec gzip -9n {} +
gzip -9n "$STAGE/$DOC/changelog"
find "$STAGE/$DOC" -type f -size +4k ! -name copyright ! -name '*.gz' -exec gzip -9n {} +
find "$STAGE" -type d -exec chmod 0755 {} +

# --- 5. control files ---------------------------------------------------------------------------
step "control files"
# dpkg-shlibdeps wants a debian/control naming the package; give it a minimal one.
mkdir -p "$WORK/shlibdeps/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: %s\n' "$PKG" "$PKG" "$ARCH" >"$WORK/shlibdeps/debian/control"
SHLIBS=$(cd "$WORK/shlibdeps" && dpkg-shlibdeps -O -e"$STAGE/usr/bin/inferwatcher" | sed -n 's/^shlibs:Depends=//p')
[ -n "$SHLIBS" ] || die "dpkg-shlibdeps found no dependencies"
INSTALLED_SIZE=$(du -sk --apparent-size --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@MAINTAINER@/$MAINTAINER/" -e "s/@INSTALLED_SIZE@/$INSTALLED_SIZE/" \
	-e "s/@SHLIBS_DEPENDS@/$SHLIBS/" "$DEBDIR/control.in" >"$STAGE/DEBIAN/control"
printf '/etc/inferwatcher/inferwatcher.yaml\n' >"$STAGE/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$DEBDIR/$script" "$STAGE/DEBIAN/$script"; done
chmod 0644 "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/conffiles"
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/md5sums"

# --- 6. the .deb --------------------------------------------------------------------------------
DEB=$OUT/${PKG}_${VERSION}_$ARCH.deb
step "dpkg-deb --build"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
step "built $DEB ($(du -h "$DEB" | cut -f1), installed $INSTALLED_SIZE KiB)"
dpkg-deb --field "$DEB" Version Depends >&2

if [ "${LINTIAN:-1}" != 0 ]; then
	if command -v lintian >/dev/null; then
		step "lintian"
		# Overrides ship in the package (packaging/debian/lintian-overrides); lintian-suppress only
		# hides info-level noise from the display. packaging/README.md explains both.
		lintian --info --display-info --suppress-tags-from-file "$HERE/lintian-suppress" "$DEB" >&2 ||
			die "lintian reported errors"
	else
		say "lintian not installed (apt-get install lintian): skipped"
	fi
fi
echo "$DEB"
