#!/usr/bin/env bash
# Regenerates the perturbation gallery of the book (book/src/gallery.md and
# book/src/gallery/*.png): one contact sheet per kind on a real pediatric chest radiograph.
# Usage: book/gallery.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

image=crates/attest-perturb/tests/reference/inputs/cxr_normal.png

out=book/src/gallery
cargo build -q -p attest-cli
attest=target/debug/attest
rm -rf "$out" && mkdir -p "$out"

page=book/src/gallery.md
{
  echo "# Perturbation gallery"
  echo
  echo "Every kind Attest applies, on one real radiograph: the clean image, then severities 1 to"
  echo "the kind's maximum, from the kind's default severity table, seed 0. Regenerate with"
  echo "\`book/gallery.sh\`; \`attest perturb IMAGE --kind K --sheet -o sheet.png\` draws the same"
  echo "for your own images, and \`attest perturb --list\` prints every kind's parameters and tables."
  echo
  echo "Image: a 224×224 crop of a pediatric chest radiograph (\`$image\`) — Kermany D, Zhang K, Goldbaum M"
  echo "(2018), Mendeley Data, v2, doi:10.17632/rscbjbr9sj.2, CC BY 4.0."
} > "$page"

family=""
"$attest" perturb --list | while IFS= read -r line; do
  if [[ "$line" =~ ^[A-Za-z] ]]; then
    family="$line"
    printf '\n## %s\n' "$family" >> "$page"
  elif [[ "$line" =~ ^\ \ ([a-z_0-9]+)\ +(.*)$ ]]; then
    kind="${BASH_REMATCH[1]}"
    summary="${BASH_REMATCH[2]}"
    "$attest" perturb "$image" --kind "$kind" --sheet --tile-height 128 --seed 0 -o "$out/$kind.png" 2>/dev/null
    printf '\n### `%s`\n%s\n\n![%s](gallery/%s.png)\n' "$kind" "$summary" "$kind" "$kind" >> "$page"
  fi
done
echo "wrote $page and $(ls "$out" | wc -l) sheets ($(du -sh "$out" | cut -f1))"
