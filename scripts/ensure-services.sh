#!/usr/bin/env bash
# Starts the local services the test suite uses when they are not already running
# (PostgreSQL on 5432, Redis on 6379, NATS with JetStream on 4222). Idempotent.
set -u

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do up "$port" && { echo "$name is up on $port"; return 0; }; sleep 0.5; done
  echo "$name did not come up on $port" >&2
  return 1
}

if ! up 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
wait_for PostgreSQL 5432

if ! up 6379; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
wait_for Redis 6379

if ! up 4222; then
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
fi
wait_for NATS 4222
