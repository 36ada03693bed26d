#!/usr/bin/env bash
# The webgpu speed check on a GPU machine that has no Node (docs/engine.md, "Measuring on a real GPU").
#
#   bash bench/gpu-device-run.sh pack   # here: bundle the CLI and the profile, compress node, dawn.node
#                                       # and a Vulkan loader into .gpu-carry/ (gitignored, ~40 MiB)
#   bash bench/gpu-device-run.sh run    # there, from the repo root with .gpu-carry/ beside it: bench at
#                                       # B=64 and 256, the PyTorch CUDA peer alternated with it, the ratio,
#                                       # and a per-kernel profile at B=256, all as JSON lines on stdout
#   bash bench/gpu-device-run.sh check  # here: `run` on SwiftShader with tiny batches, CPU peer (smoke test)
#
# `run` stops with one line when the machine has no GPU Vulkan driver (webgpu would fall back to
# SwiftShader) or PyTorch sees no CUDA device. Results also go to $OUT (or .gpu-carry/out) as files.
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=.gpu-carry
mode=${1:-}

pack() {
  rm -rf "$CARRY" && mkdir -p "$CARRY/js" "$CARRY/node_modules/webgpu/dist/linux-x64" "$CARRY/lib"
  # one ESM file per entry with tfjs inside; `webgpu` (Dawn) stays a package beside it
  node_modules/.bin/esbuild bench/gpu-bench.ts bench/profile-webgpu.ts bench/peer.ts --bundle --platform=node \
    --format=esm --target=node20 --outdir="$CARRY/js" --external:webgpu --ignore-annotations --log-level=error \
    --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$CARRY/node_modules/webgpu/"
  xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$CARRY/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
  xz -T0 -6 -c "$(command -v node)" > "$CARRY/node.xz"
  # the Vulkan loader: Debian's libvulkan1 where apt can fetch it, else the copy chromium ships
  if (cd "$CARRY/lib" && apt-get download libvulkan1 >/dev/null 2>&1); then
    deb=$(ls "$CARRY"/lib/libvulkan1_*.deb)
    dpkg-deb -x "$deb" "$CARRY/lib/deb" && rm "$deb"
    cp -L "$CARRY"/lib/deb/usr/lib/*/libvulkan.so.1 "$CARRY/lib/" && rm -rf "$CARRY/lib/deb"
    echo "Vulkan loader: Debian libvulkan1"
  else
    cp -L /usr/lib/chromium/libvulkan.so.1 "$CARRY/lib/"
    echo "Vulkan loader: chromium's copy (apt-get download libvulkan1 failed)"
  fi
  cp ../shared/peers/torch_vae.py "$CARRY/" 2>/dev/null || cp /work/shared/peers/torch_vae.py "$CARRY/"
  du -sh "$CARRY"
}

unpack() {
  [ -d "$CARRY" ] || { echo "gpu-device-run: no $CARRY/ (run \`bash bench/gpu-device-run.sh pack\` first and carry it)" >&2; exit 2; }
  [ -x "$CARRY/node" ] || { xz -dc "$CARRY/node.xz" > "$CARRY/node" && chmod +x "$CARRY/node"; }
  local dawn="$CARRY/node_modules/webgpu/dist/linux-x64/dawn.node"
  [ -f "$dawn" ] || xz -dc "$dawn.xz" > "$dawn"
  # Dawn opens libvulkan.so.1 by name: the system's if present, else the carried one
  export LD_LIBRARY_PATH="$PWD/$CARRY/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  NODE="$PWD/$CARRY/node"
}

run_all() {
  local batches=$1 steps=$2 peer_device=$3 profile_batch=$4
  local out=${OUT:-$CARRY/out}
  mkdir -p "$out"
  local cli="$NODE $PWD/$CARRY/js/gpu-bench.js"
  "$NODE" --version >&2
  for b in $batches; do
    "$NODE" "$CARRY/js/peer.js" --cli "$cli" --device "$peer_device" --backend webgpu --batch "$b" \
      --steps "$steps" --rounds 3 --threads 1 --peer "$PWD/$CARRY/torch_vae.py" | tee "$out/peer-b$b.jsonl"
  done
  "$NODE" "$CARRY/js/profile-webgpu.js" --batch "$profile_batch" --steps 3 | tee "$out/profile-b$profile_batch.jsonl"
  UNTANGLE_WEBGPU_KERNELS=stock "$NODE" "$CARRY/js/profile-webgpu.js" --batch "$profile_batch" --steps 3 \
    | tee "$out/profile-stock-b$profile_batch.jsonl"
}

case "$mode" in
  pack) pack ;;
  run)
    unpack
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true
    run_all "64 256" 30 cuda 256
    ;;
  check)
    unpack
    UNTANGLE_WEBGPU=swiftshader run_all 1 2 cpu 1
    ;;
  *) echo "usage: bash bench/gpu-device-run.sh pack|run|check" >&2; exit 2 ;;
esac
