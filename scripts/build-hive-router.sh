#!/usr/bin/env bash
# Build our Hive Router (router-native/: Hive Router 0.2.0 with crmgraph's plugins) once per
# version of its sources, into the path crmgraph.native_router.binary() names (a hash of
# router-native/ and what it compiles in): an unchanged crate is reused, a changed one is
# built again, which recompiles only our crate (the dependencies stay in the shared
# --target-dir). The first build compiles ~600 crates: about 15-30 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(.venv/bin/python -m crmgraph.native_router --binary)
[ -x "$bin" ] && exit 0
command -v cargo >/dev/null || { echo "make hive-router needs cargo (rustup.rs)" >&2; exit 1; }
target="$(dirname "$(dirname "$bin")")/native-target"
started=$(date +%s)
nice cargo build --release --locked --manifest-path router-native/Cargo.toml --target-dir "$target"
mkdir -p "$(dirname "$bin")"
cp "$target/release/hive_router" "$bin.partial"
mv "$bin.partial" "$bin"
echo "crmgraph: built $bin in $(( $(date +%s) - started )) s"
