# What the scripts do when something they need is missing: stop with a clear message, or install it.
# Sourced by lib/env.sh and by the scripts that need no JDK (native-build, onednn-build).

die() { echo "recur4j: $*" >&2; exit 1; }

# Something missing: as root with apt-get, install Debian's packages for it, else stop.
# apt_install_or_die WHAT HOW PACKAGE...: WHAT says what is missing (and what for), HOW what to install by hand.
apt_install_or_die() {
  local what="$1" how="$2"
  shift 2
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "recur4j: $what; installing $* with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
      || die "could not install $* with apt-get; $how"
  else
    die "$what; $how"
  fi
}
