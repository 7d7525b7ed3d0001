#!/usr/bin/env bash
# Compile time of a crate with N plugins written with the attribute macros, against the same
# N plugins written and registered by hand (the "equivalent code without the macro" of the
# macros' docs: `impl Plugin`, `impl PluginConfig` with `Decoder`/`Encoder`, V1/V2
# factories, `registry::register`).
#
# Usage: tests/scripts/compile-time.sh [N=100] [ROUNDS=3]
# Generates both crates in a temporary workspace, builds their dependencies once, then times
# `cargo build` (dev profile, non-incremental) of each crate ROUNDS times and prints the
# fastest round of each. Set KEEP=1 to keep the generated workspace.
set -euo pipefail

N=${1:-100}
ROUNDS=${2:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
if [[ "${KEEP:-0}" != 1 ]]; then trap 'rm -rf "$WORK"' EXIT; else echo "workspace: $WORK"; fi

cat > "$WORK/Cargo.toml" <<EOF
[workspace]
members = ["annotated", "by_hand"]
resolver = "2"

[workspace.dependencies]
pipeplug = { path = "$ROOT/core" }
serde_json = "1"
EOF
# The repository's lock file pins the same versions and lets cargo work offline.
cp "$ROOT/Cargo.lock" "$WORK/Cargo.lock"

for crate in annotated by_hand; do
  mkdir -p "$WORK/$crate/src"
  cat > "$WORK/$crate/Cargo.toml" <<EOF
[package]
name = "$crate"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
pipeplug.workspace = true
serde_json.workspace = true
EOF
done

{
  echo "//! $N plugins written with the attribute macros."
  echo "use pipeplug::prelude::*;"
  for i in $(seq 1 "$N"); do
    cat <<EOF

/// Plugin $i.
#[processor(name = "processor_p$i")]
pub struct P$i {
    /// How often.
    #[config(default = "5s")]
    interval: Duration,
    /// How many.
    #[config(default = 10)]
    count: u32,
    /// A name.
    #[config(default = "x")]
    name: String,
}

impl Processor for P$i {}
impl ProcessorV1 for P$i {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        let _ = (self.interval, self.count, &self.name);
        logs
    }
}
EOF
  done
} > "$WORK/annotated/src/lib.rs"

{
  echo "//! $N plugins written and registered without the macros."
  echo "use pipeplug::config::{Decoder, DurationUnit, Encoder};"
  echo "use pipeplug::prelude::*;"
  echo "use pipeplug::registry::{self, ConfigField, Factories, Native, PluginDescriptor, SourceLocation};"
  echo "use pipeplug::{ConfigError, PluginConfig};"
  echo "use serde_json::Value;"
  for i in $(seq 1 "$N"); do
    cat <<EOF

/// Plugin $i.
pub struct P$i {
    interval: Duration,
    count: u32,
    name: String,
}

impl Plugin for P$i {
    fn description(&self) -> &str {
        "Plugin $i."
    }
}

impl PluginConfig for P$i {
    const NAME: &'static str = "processor_p$i";
    const FIELDS: &'static [ConfigField] = &[
        ConfigField { key: "interval", type_name: "Duration", default: Some("\"5s\""), doc: "How often.", unit: Some("ns") },
        ConfigField { key: "count", type_name: "u32", default: Some("10"), doc: "How many.", unit: None },
        ConfigField { key: "name", type_name: "String", default: Some("\"x\""), doc: "A name.", unit: None },
    ];

    fn from_config(config: &Value) -> Result<Self, ConfigError> {
        let mut d = Decoder::new(Self::NAME, &["interval", "count", "name"], false, config)?;
        let interval = d.duration(0, DurationUnit::Nanos);
        let count = d.value::<u32>(1, "u32");
        let name = d.value::<String>(2, "String");
        d.finish()?;
        Ok(Self {
            interval: interval.unwrap_or(Duration::new(5, 0)),
            count: count.unwrap_or(10),
            name: name.unwrap_or_else(|| "x".to_owned()),
        })
    }

    fn to_config(&self) -> Value {
        let mut e = Encoder::new();
        e.duration("interval", &self.interval);
        e.value("count", &self.count);
        e.value("name", &self.name);
        e.finish()
    }
}

impl Processor for P$i {}
impl ProcessorV1 for P$i {
    fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
        let _ = (self.interval, self.count, &self.name);
        logs
    }
}

fn p${i}_v1(c: &Value) -> Result<Box<dyn ProcessorV1>, ConfigError> {
    Ok(Box::new(P$i::from_config(c)?))
}

fn p${i}_v2(c: &Value) -> Result<Box<dyn ProcessorV2>, ConfigError> {
    Ok(Box::new(pipeplug::adapter::ProcessorV1AsV2::new(P$i::from_config(c)?)))
}
EOF
  done
  echo
  echo "/// Registers every plugin (call once, before reading the registry)."
  echo "pub fn register_all() {"
  for i in $(seq 1 "$N"); do
    cat <<EOF
    registry::register(PluginDescriptor {
        name: P$i::NAME,
        description: "Plugin $i.",
        config_fields: P$i::FIELDS,
        source: SourceLocation { crate_name: env!("CARGO_PKG_NAME"), file: file!(), line: line!() },
        native: Native { v1: true, v2: false },
        factories: Factories::Processor { v1: &p${i}_v1, v2: &p${i}_v2 },
        defaults: || P$i::from_config(&Value::Null).map(|p| p.to_config()),
    });
EOF
  done
  echo "}"
} > "$WORK/by_hand/src/lib.rs"

export CARGO_TARGET_DIR="$WORK/target" CARGO_INCREMENTAL=0
cd "$WORK"
offline=--offline
cargo build $offline -q -p annotated -p by_hand 2>/dev/null || { offline=; cargo build -q -p annotated -p by_hand; }

best() {
  local crate=$1 min=
  for _ in $(seq 1 "$ROUNDS"); do
    touch "$WORK/$crate/src/lib.rs"
    local start end t
    start=$(date +%s.%N)
    cargo build $offline -q -p "$crate"
    end=$(date +%s.%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    if [[ -z "$min" ]] || awk -v t="$t" -v m="$min" 'BEGIN { exit !(t < m) }'; then min=$t; fi
  done
  printf '%s\n' "$min"
}

annotated=$(best annotated)
by_hand=$(best by_hand)
lines_a=$(wc -l < "$WORK/annotated/src/lib.rs")
lines_h=$(wc -l < "$WORK/by_hand/src/lib.rs")
printf 'plugins: %s, rounds: %s (fastest shown), dev profile, non-incremental\n' "$N" "$ROUNDS"
printf 'annotated  (%5s lines): %6.2f s\n' "$lines_a" "$annotated"
printf 'by hand    (%5s lines): %6.2f s\n' "$lines_h" "$by_hand"
awk -v a="$annotated" -v h="$by_hand" 'BEGIN { printf "ratio annotated/by hand: %.2f\n", a / h }'
