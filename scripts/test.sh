#!/usr/bin/env bash
# The project's one test command: installs what the tests need (idempotently), then runs the
# formatting check, clippy, the whole test suite and the docs build.
#
#   scripts/test.sh            # everything
#   SKIP_INSTALL=1 scripts/test.sh   # do not touch apt/pip (for machines that already have them)
#
# Interop tests find the reference implementations through these variables, exported below:
#   ZK_JAVA_CLASSPATH  classpath of Debian's Apache ZooKeeper 3.8 (server, Java client, zkCli)
#   ZK_PYTHON          a python3 with kazoo installed (virtualenv under target/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n==> %s\n' "$*"; }

install_deps() {
    # Apache ZooKeeper 3.8 (server, Java client, zkCli) from Debian, for interop tests.
    # A JDK (not just the JRE zookeeper pulls in): some interop tests run single-file Java
    # programs against Apache's own classes.
    local packages=()
    dpkg -s zookeeper >/dev/null 2>&1 || packages+=(zookeeper)
    command -v javac >/dev/null 2>&1 || packages+=(openjdk-17-jdk-headless)
    if [ ${#packages[@]} -gt 0 ]; then
        log "installing ${packages[*]} from Debian"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${packages[@]}" >/dev/null
    fi
    # kazoo, a Python ZooKeeper client nobody here wrote, in a virtualenv under target/.
    if ! target/venv/bin/python -c 'import kazoo' >/dev/null 2>&1; then
        log "creating target/venv with kazoo"
        python3 -m venv target/venv
        target/venv/bin/pip install -q --disable-pip-version-check kazoo
    fi
}

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
    install_deps
fi

# Classpath for the reference server and Java client (Debian installs the jars here).
# zookeeper.jar's manifest lists its own dependencies (jute, netty, slf4j-api, ...).
ZK_JAVA_CLASSPATH=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar
export ZK_JAVA_CLASSPATH
export ZK_PYTHON="$root/target/venv/bin/python"

# Keep the build small: CI machines have had as little as a few hundred MiB of free disk, and
# a full debug build of the workspace's ~60 test binaries with full debug info and incremental
# state took ~8 GiB (one CI run died of ENOSPC). Line tables keep backtraces readable; no
# incremental state, since CI builds once. Together they cut target/ to a fraction.
export CARGO_INCREMENTAL=0
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
export CARGO_PROFILE_TEST_DEBUG=line-tables-only
log "disk free before building: $(df -h --output=avail . | tail -1 | tr -d ' ')"

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "dependency direction: library crates below zk-server must not pull in tokio"
for crate in zk-proto zk-tree zk-storage zk-zab; do
    if [ -d "$crate" ] && cargo tree -p "$crate" -e normal --locked 2>/dev/null | grep -q '^.*tokio v'; then
        echo "error: $crate depends on tokio" >&2
        exit 1
    fi
done

log "cargo test"
cargo test --workspace --locked

log "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

log "all checks passed"
