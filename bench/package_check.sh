#!/usr/bin/env bash
# Packs Kfac.Core, Kfac.Layers, Kfac.Gpu and Kfac.Onnx into a local folder feed, checks what each package holds
# (README, licence expression, XML documentation, symbols, dependencies between the packages), then restores
# tests/PackageConsumer (a program outside Kfac.sln) from that feed, builds it and runs it: it trains a tiny net
# with K-FAC, reloads it, exports ONNX and runs a product on Kfac.Gpu's ILGPU CPU accelerator.
#
# Usage: bench/package_check.sh [FEED_DIR]   (default: a temporary folder, removed at the end)
# The packages get a unique prerelease version (0.1.0-check.TIME.PID) so the NuGet cache can never serve an older
# build; that version is removed from the cache at the end. Builds go to a separate artifacts folder, so the
# repository's bin/obj are not touched. Prints "package check: OK in N s" and exits 0, or names what failed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
start=$(date +%s)
work="$(mktemp -d)"
feed="${1:-$work/feed}"
mkdir -p "$feed"
version="0.1.0-check.$(date +%Y%m%d%H%M%S).$$"
packages=(Kfac.Core Kfac.Layers Kfac.Gpu Kfac.Onnx)
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cleanup() {
  rm -rf "$work"
  for p in "${packages[@]}"; do rm -rf "$cache/${p,,}/$version"; done
}
trap cleanup EXIT
fail() { echo "package check: FAILED: $*" >&2; exit 1; }

for p in "${packages[@]}"; do
  dotnet pack "$root/$p/$p.csproj" -c Release -o "$feed" --artifacts-path "$work/artifacts" -p:Version="$version" --nologo -v quiet \
    || fail "dotnet pack $p"
done

for p in "${packages[@]}"; do
  nupkg="$feed/$p.$version.nupkg"
  snupkg="$feed/$p.$version.snupkg"
  [ -f "$nupkg" ] || fail "$nupkg was not produced"
  [ -f "$snupkg" ] || fail "$snupkg (symbols) was not produced"
  files="$(unzip -Z1 "$nupkg")"
  for f in README.md "lib/net10.0/$p.dll" "lib/net10.0/$p.xml"; do
    grep -qx "$f" <<<"$files" || fail "$p.nupkg lacks $f"
  done
  symbols="$(unzip -Z1 "$snupkg")"   # listings go through variables: grep -q closing a pipe early fails under pipefail
  grep -qx "lib/net10.0/$p.pdb" <<<"$symbols" || fail "$p.snupkg lacks lib/net10.0/$p.pdb"
  nuspec="$(unzip -p "$nupkg" "$p.nuspec")"
  grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || fail "$p.nuspec has no MIT licence expression"
  grep -q '<readme>README.md</readme>' <<<"$nuspec" || fail "$p.nuspec names no readme"
  grep -q '<description>' <<<"$nuspec" || fail "$p.nuspec has no description"
  xml="$(unzip -p "$nupkg" "lib/net10.0/$p.xml")"
  members=$(grep -c '<member name=' <<<"$xml" || true)
  [ "$members" -gt 0 ] || fail "$p.xml documents no member"
  echo "$p $version: $(stat -c %s "$nupkg") bytes, $members documented members, symbols $(stat -c %s "$snupkg") bytes"
done
for p in Kfac.Layers Kfac.Gpu; do
  nuspec="$(unzip -p "$feed/$p.$version.nupkg" "$p.nuspec")"
  grep -q "<dependency id=\"Kfac.Core\" version=\"$version\"" <<<"$nuspec" || fail "$p does not depend on Kfac.Core $version"
done
nuspec="$(unzip -p "$feed/Kfac.Onnx.$version.nupkg" Kfac.Onnx.nuspec)"
grep -q "<dependency id=\"Kfac.Layers\" version=\"$version\"" <<<"$nuspec" || fail "Kfac.Onnx does not depend on Kfac.Layers $version"

# The consumer is copied out of the repository: nothing of the repository's build settings reaches it, only the
# packages. NuGet.config adds the local feed to the machine's sources (for the packages' own dependencies).
consumer="$work/consumer"
mkdir -p "$consumer"
cp "$root/tests/PackageConsumer/"{PackageConsumer.csproj,Program.cs,Directory.Build.props,Directory.Packages.props} "$consumer/"
cat >"$consumer/NuGet.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="kfac-local" value="$feed" />
  </packageSources>
</configuration>
CONFIG
dotnet build "$consumer/PackageConsumer.csproj" -c Release -p:KfacVersion="$version" --nologo -v quiet || fail "building tests/PackageConsumer against the packages"
grep -q "\"Kfac.Layers/$version\"" "$consumer/obj/project.assets.json" || fail "the consumer did not restore Kfac.Layers $version"
(cd "$consumer" && dotnet bin/Release/net10.0/PackageConsumer.dll) || fail "tests/PackageConsumer exited non-zero"
echo "package check: OK in $(( $(date +%s) - start )) s"
