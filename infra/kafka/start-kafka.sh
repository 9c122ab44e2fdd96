#!/usr/bin/env bash
# Starts a single-node Apache Kafka (KRaft: broker and controller in one JVM) on 127.0.0.1 for tests and CI, and
# prints the address to use as KAFKA_BROKERS. Stop it with infra/kafka/stop-kafka.sh.
#
# - The broker's jars are fetched once, by Maven, from pom.xml beside this script into a cache outside the tree
#   (WEDSYNC_KAFKA_CACHE, default ~/.cache/wedsync-kafka/<version>); later runs start without the network.
# - Its storage is formatted afresh in a temporary directory, so each start is an empty cluster.
# - It listens on port 9092, or on a free port when 9092 is taken (WEDSYNC_KAFKA_PORT to choose one).
# - The broker's PID, data directory and address are written to the state file (WEDSYNC_KAFKA_STATE, default
#   $TMPDIR/wedsync-kafka.state), which stop-kafka.sh reads.
#
# Needs Java 17 or newer (Kafka 4 runs on nothing older) and Maven 3.6.3 or newer.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
cache="${WEDSYNC_KAFKA_CACHE:-$HOME/.cache/wedsync-kafka/$version}"
state="${WEDSYNC_KAFKA_STATE:-${TMPDIR:-/tmp}/wedsync-kafka.state}"

fail() {
  echo "start-kafka: $*" >&2
  exit 1
}

command -v java >/dev/null 2>&1 || fail "java is not on PATH: Kafka $version needs Java 17 or newer (e.g. apt-get install openjdk-17-jre-headless)"
java_major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
[ -n "$java_major" ] && [ "$java_major" -ge 17 ] ||
  fail "Kafka $version needs Java 17 or newer; java on PATH is $(java -version 2>&1 | head -n 1)"

if [ ! -f "$cache/.complete" ]; then
  command -v mvn >/dev/null 2>&1 || fail "mvn is not on PATH: Maven 3.6.3 or newer fetches the broker (e.g. apt-get install maven)"
  echo "start-kafka: fetching Kafka $version into $cache" >&2
  mkdir -p "$cache/lib"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$cache/lib" >&2 ||
    fail "Maven could not fetch org.apache.kafka:kafka_2.13:$version and its dependencies (is Maven Central reachable?)"
  touch "$cache/.complete"
fi

port_taken() { (echo >"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port="${WEDSYNC_KAFKA_PORT:-9092}"
if port_taken "$port"; then port="$(free_port)"; fi
controller_port="$(free_port)"
[ "$controller_port" != "$port" ] || controller_port="$(free_port)"

data="$(mktemp -d "${TMPDIR:-/tmp}/wedsync-kafka-XXXXXX")"
cat >"$data/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data/log
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF

classpath="$cache/lib/*"
log4j="-Dlog4j2.configurationFile=$here/log4j2.properties"
java "$log4j" -cp "$classpath" kafka.tools.StorageTool format --ignore-formatted \
  -t "$(java "$log4j" -cp "$classpath" kafka.tools.StorageTool random-uuid)" -c "$data/server.properties" >"$data/format.log" 2>&1 ||
  fail "formatting KRaft storage failed: $(tail -n 5 "$data/format.log")"

nohup java -Xms256m -Xmx768m "$log4j" -cp "$classpath" kafka.Kafka "$data/server.properties" >"$data/broker.log" 2>&1 &
pid=$!
printf 'pid=%s\ndata=%s\nbrokers=127.0.0.1:%s\n' "$pid" "$data" "$port" >"$state"

for _ in $(seq 1 120); do
  if ! kill -0 "$pid" 2>/dev/null; then fail "the broker exited while starting: $(tail -n 20 "$data/broker.log")"; fi
  if port_taken "$port"; then
    echo "start-kafka: Kafka $version up on 127.0.0.1:$port (pid $pid, data $data)" >&2
    echo "127.0.0.1:$port"
    exit 0
  fi
  sleep 0.5
done
kill "$pid" 2>/dev/null || true
fail "the broker did not answer on 127.0.0.1:$port within 60 s: $(tail -n 20 "$data/broker.log")"
