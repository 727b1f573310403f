#!/usr/bin/env bash
# Regenerates Kfac.Onnx/Proto/OnnxSubset.g.cs from Kfac.Onnx/Proto/onnx_subset.proto with the protoc that the
# Google.Protobuf.Tools NuGet package ships (restored by building Kfac.Onnx, which references it privately).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(sed -n 's/.*Include="Google.Protobuf.Tools" Version="\([^"]*\)".*/\1/p' "$root/Directory.Packages.props")"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
tools="$packages/google.protobuf.tools/$version/tools"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) protoc="$tools/linux_x64/protoc" ;;
  Linux-aarch64) protoc="$tools/linux_aarch64/protoc" ;;
  Darwin-*) protoc="$tools/macosx_x64/protoc" ;;
  *) echo "no protoc for $(uname -s)-$(uname -m) in $tools" >&2; exit 1 ;;
esac
if [ ! -f "$protoc" ]; then
  dotnet restore "$root/Kfac.Onnx/Kfac.Onnx.csproj" >/dev/null
fi
chmod +x "$protoc"
out="$(mktemp -d)"
"$protoc" --proto_path="$root/Kfac.Onnx/Proto" --csharp_out="$out" "$root/Kfac.Onnx/Proto/onnx_subset.proto"
mv "$out/OnnxSubset.cs" "$root/Kfac.Onnx/Proto/OnnxSubset.g.cs"
rmdir "$out"
echo "wrote Kfac.Onnx/Proto/OnnxSubset.g.cs (protoc $version)"
