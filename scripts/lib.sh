# Shared by the scripts in this folder: where things are, and how to get the
# system packages and a Python that has numpy and matplotlib.
set -euo pipefail

LOCKBENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCKBENCH_BUILD=${LOCKBENCH_BUILD:-$LOCKBENCH_ROOT/build}

# Debian/Ubuntu package names. Google Benchmark >= 1.7 and hwloc >= 2.0 are
# what Debian 12 ships.
LOCKBENCH_PACKAGES=(
  build-essential cmake pkg-config git
  libbenchmark-dev libbenchmark-tools libhwloc-dev hwloc nlohmann-json3-dev libgtest-dev libgmock-dev libck-dev
  python3 python3-numpy python3-matplotlib python3-scipy python3-yaml
)

say() { printf 'lockbench: %s\n' "$*" >&2; }

# Prints those of the named packages that are not installed.
missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

# Installs what is missing of the named packages (default: lockbench's own);
# as another user than root, says what to install and stops.
install_packages() {
  local packages=("$@")
  [ ${#packages[@]} -gt 0 ] || packages=("${LOCKBENCH_PACKAGES[@]}")
  command -v dpkg-query >/dev/null || { say "not a Debian-like system: install the equivalents of: ${packages[*]}"; return 0; }
  local missing
  missing=$(missing_packages "${packages[@]}" | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing packages: $missing"
    say "install them with: sudo apt-get install -y $missing"
    exit 2
  fi
  say "installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >&2
}

# The npm packages the tests use (tools/package.json; every version pinned by
# tools/package-lock.json), installed into tools/node_modules, again only when
# the lock changed. Debian's nodejs and npm are installed when there is no npm.
install_node_tools() {
  command -v npm >/dev/null || install_packages nodejs npm
  local tools=$LOCKBENCH_ROOT/tools
  [ "$tools/node_modules/.package-lock.json" -nt "$tools/package-lock.json" ] && return 0
  say "installing the npm packages of $tools/package-lock.json"
  npm ci --prefix "$tools" --no-audit --no-fund >&2 || {
    say "could not install the npm packages of $tools/package-lock.json (is the npm registry reachable?)"
    return 2
  }
}

# Configures build/ (Release) and builds the named targets, or all of them,
# the test programs included. A sweep needs only `lockbench`: on 2 cores the
# test programs are most of the build.
build_lockbench() {
  cmake -S "$LOCKBENCH_ROOT" -B "$LOCKBENCH_BUILD" -DCMAKE_BUILD_TYPE=Release >&2
  local targets=()
  [ $# -eq 0 ] || targets=(--target "$@")
  cmake --build "$LOCKBENCH_BUILD" -j"$(nproc)" "${targets[@]}" >&2
}

# A python3 that can import numpy, matplotlib and scipy. `python3` on PATH may be a
# pyenv or venv interpreter without the distribution's packages, so the
# distribution's own interpreter is tried too. LOCKBENCH_PYTHON overrides.
find_python() {
  local candidate
  for candidate in "${LOCKBENCH_PYTHON:-}" python3 /usr/bin/python3; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import numpy, matplotlib, scipy' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  say "no python3 with numpy, matplotlib and scipy found; install python3-numpy python3-matplotlib python3-scipy (apt) or set LOCKBENCH_PYTHON"
  return 2
}

# The families' stress test programs again under AddressSanitizer with UBSan, and under
# ThreadSanitizer (the presets in CMakePresets.json; build-asan/, build-tsan/).
# LOCKBENCH_SANITIZERS=0 skips them.
sanitizer_tests() {
  [ "${LOCKBENCH_SANITIZERS:-1}" != 0 ] || { say "sanitizer tests skipped (LOCKBENCH_SANITIZERS=0)"; return 0; }
  local preset status=0
  for preset in asan tsan; do
    say "stress tests under $preset"
    (cd "$LOCKBENCH_ROOT" &&
      cmake --preset "$preset" >&2 &&
      cmake --build --preset "$preset" -j"$(nproc)" >&2 &&
      ctest --preset "$preset" -j"$(nproc)") || status=1
  done
  return "$status"
}

# aarch64 on this x86-64 machine: Debian's cross compiler, qemu-user, and the
# arm64 libraries through multiarch. libck-dev is not multiarch (its headers
# are per architecture), so its arm64 package is unpacked into build-aarch64/ck
# instead of installed.
LOCKBENCH_AARCH64_PACKAGES=(
  g++-aarch64-linux-gnu qemu-user
  libbenchmark-dev:arm64 libhwloc-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64
)

install_aarch64_packages() {
  if [ "$(id -u)" -eq 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  install_packages "${LOCKBENCH_AARCH64_PACKAGES[@]}"
}

# Unpacks libck's arm64 packages into $1/ck and writes a pkg-config file for
# them there.
unpack_aarch64_ck() {
  local dir=$1/ck
  [ -f "$dir/ck.pc" ] && return 0
  mkdir -p "$dir/debs"
  (cd "$dir/debs" && apt-get download libck-dev:arm64 libck0:arm64 >&2)
  local deb
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  sed -e "s|^prefix=.*|prefix=$dir/usr|" -e "s|^includedir=.*|includedir=$dir/usr/include|" \
      -e "s|^libdir=.*|libdir=$dir/usr/lib/aarch64-linux-gnu|" \
      "$dir/usr/lib/aarch64-linux-gnu/pkgconfig/ck.pc" > "$dir/ck.pc"
}

# The test programs the aarch64 build has: they run under qemu-user.
LOCKBENCH_AARCH64_TEST_PROGRAMS="topology_test;ladder_test;placement_test;histogram_test;sweep_test;results_test;invariants_test;config_fuzz_test;memory_home_test;os_activity_test;families"

# Configures and builds lockbench and its aarch64 test programs in $1
# (Debian's cross compiler, the arm64 libraries through multiarch); more
# arguments go to cmake.
build_aarch64_lockbench() {
  local build=$1
  shift
  install_aarch64_packages
  unpack_aarch64_ck "$build"
  PKG_CONFIG_LIBDIR=$build/ck:/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
    cmake -S "$LOCKBENCH_ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$LOCKBENCH_ROOT/cmake/aarch64-linux-gnu.cmake" \
    -DLOCKBENCH_TEST_PROGRAMS="$LOCKBENCH_AARCH64_TEST_PROGRAMS" "$@" >&2
  cmake --build "$build" -j"$(nproc)" >&2
}
