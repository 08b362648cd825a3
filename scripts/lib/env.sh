# Shared set-up for scripts/: finds a JDK >= 25 and Maven, and reads the JVM flags from pom.xml.
# Source it; it sets ROOT, JAVA_HOME, JAVA, MVN (an array) and JVM_FLAGS, or exits with a clear message.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

source "$ROOT/scripts/lib/install.sh" # die, apt_install_or_die

# Major version of the JDK at $1 (e.g. 25), or empty.
jdk_major() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}

find_jdk() {
  local cand v
  for cand in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$cand" ] && [ -d "$cand" ] || continue
    v="$(jdk_major "$cand")"
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then
      echo "$cand"
      return 0
    fi
  done
  return 1
}

# What $JAVA_HOME held, for the message (only on failure: it may start a JVM).
describe_java_home() {
  local v
  if [ -z "$java_home_in" ]; then echo "\$JAVA_HOME unset"
  elif [ ! -d "$java_home_in" ]; then echo "\$JAVA_HOME=$java_home_in does not exist"
  elif v="$(jdk_major "$java_home_in")" && [ -n "$v" ]; then echo "\$JAVA_HOME=$java_home_in is JDK $v"
  else echo "\$JAVA_HOME=$java_home_in lacks bin/java or bin/javac"
  fi
}
java_home_in="${JAVA_HOME:-}" # the assignment below empties JAVA_HOME before die could read it
JAVA_HOME="$(find_jdk)" || die "no JDK >= 25 found ($(describe_java_home); none in /usr/lib/jvm/*).
Install one (e.g. Eclipse Temurin 25) and set JAVA_HOME to it."
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"

ensure_maven() {
  if ! command -v mvn >/dev/null 2>&1; then
    apt_install_or_die "Maven (mvn) not found" "install Apache Maven >= 3.8" maven
  fi
  MVN=(mvn -B -q -f "$ROOT/pom.xml") # an array: a checkout path with a space split into two arguments
}

# The JVM flags are defined once, in pom.xml's <recur4j.jvmFlags> property.
JVM_FLAGS="$(sed -n 's:.*<recur4j.jvmFlags>\(.*\)</recur4j.jvmFlags>.*:\1:p' "$ROOT/pom.xml")"
[ -n "$JVM_FLAGS" ] || die "could not read <recur4j.jvmFlags> from $ROOT/pom.xml"

JAR="$ROOT/target/recur4j-0.1.0-SNAPSHOT.jar"

# Builds the jar and its runtime dependencies (target/lib) when missing or older than the sources.
# A lock keeps concurrent invocations from building over each other.
ensure_built() {
  mkdir -p "$ROOT/target"
  (
    flock 9
    if [ ! -f "$JAR" ] || [ ! -d "$ROOT/target/lib" ] \
       || [ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]; then
      ensure_maven
      # The build log goes to a file: a command's stderr is kept for its own one-line errors.
      "${MVN[@]}" package -DskipTests > "$ROOT/target/build.log" 2>&1 \
        || { cat "$ROOT/target/build.log" >&2; die "build failed (mvn package); log above and in target/build.log"; }
    fi
  ) 9>"$ROOT/target/.build.lock" || exit 1 # die in the subshell ends only the subshell: the stale jar ran, exit 0
  CLASSPATH="$JAR:$ROOT/target/lib/*"
}
