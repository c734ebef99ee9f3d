#!/usr/bin/env bash
# Man pages from the argument-parser definitions (swift-argument-parser's generate-manual), named
# the way whatis/apropos and lintian want them: inferwatcher(1) and one page per subcommand,
# inferwatcher-model-inspect(1) (git's convention) rather than generate-manual's
# inferwatcher.model.inspect.1, whose NAME "inferwatcher model inspect" whatis cannot index.
#
#   scripts/man.sh                       # `make man`: the release build's pages into .build/man
#   scripts/man.sh BIN OUT [SWIFT_FLAGS...]   # packaging/build-deb.sh: BIN's pages into OUT,
#                                        # generate-manual built with the package's flags
#   scripts/man.sh --rename OUT          # only rename the pages generate-manual wrote in OUT
# Environment: MAN_DATE (default today), MAN_AUTHORS (default the changelog's maintainer).
set -euo pipefail
cd "$(dirname "$0")/.."

# rename OUT: the pages generate-manual wrote in OUT, renamed (NAME and SYNOPSIS with them).
rename() {
    local out=$1 page name
    rm -f "$out/inferwatcher.help.1"  # the `help` pseudo-command gets no page
    for page in "$out"/inferwatcher.*.1; do
        name=$(basename "$page" .1)
        perl -0pi -e '
            s/^\.Xr inferwatcher\.help 1 ,?\n//mg;
            s/^(\.(?:Dt|Xr) )(\S+)/$1 . ($2 =~ tr{.}{-}r)/mge;
            if (s/^\.Sh NAME\n\.Nm "([^"]+)"\n/".Sh NAME\n.Nm " . ($1 =~ tr{ }{-}r) . "\n"/me) {
                my $n = $1; s/^(\.Sh SYNOPSIS\n)\.Nm\n/$1.Nm "$n"\n/m;
            }' "$page"
        mv "$page" "$out/${name//./-}.1"
    done
    perl -0pi -e 's/^\.Xr inferwatcher\.help 1 ,?\n//mg; s/^(\.(?:Dt|Xr) )(\S+)/$1 . ($2 =~ tr{.}{-}r)/mge' "$out/inferwatcher.1"
}

if [ "${1:-}" = --rename ]; then  # packaging/build-deb.sh, on the generate-manual plugin's pages
    rename "$2"
    exit 0
fi
if [ $# -ge 2 ]; then
    bin=$1 out=$2
    shift 2
    flags=("$@")
else
    flags=(-c release -Xswiftc -warnings-as-errors)  # make test's and make demo's release build
    swift build "${flags[@]}" --product inferwatcher
    bin=$(swift build "${flags[@]}" --show-bin-path)/inferwatcher
    out=.build/man
fi
swift build "${flags[@]}" --product generate-manual
tool=$(swift build "${flags[@]}" --show-bin-path)/generate-manual
authors=${MAN_AUTHORS:-$(dpkg-parsechangelog -l packaging/debian/changelog -SMaintainer)}
rm -rf "$out" && mkdir -p "$out"
"$tool" "$bin" --multi-page --date "${MAN_DATE:-$(date -u +%Y-%m-%d)}" --authors "$authors" --output-directory "$out"
[ -f "$out/inferwatcher.1" ] || { echo "man: generate-manual made no inferwatcher.1" >&2; exit 1; }
rename "$out"
echo "man: $(ls "$out" | wc -l) pages in $out (read one with: man -l $out/inferwatcher.1)"
