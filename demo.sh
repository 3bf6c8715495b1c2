#!/usr/bin/env bash
# A short tour of Sluice's log: topics, keyed produce, ordering per partition, consume,
# describe, consumer groups with committed offsets and lag, and a throughput run. Every command it runs is printed first.
set -euo pipefail
cd "$(dirname "$0")"
EVENTS=${EVENTS:-200000}
export SLUICE_DATA_DIR=${SLUICE_DATA_DIR:-./sluice-demo-data}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Building sluice (release)"
swift build -c release --product sluice 2>&1 | tail -n 1
sluice() { .build/release/sluice "$@"; }
rm -rf "$SLUICE_DATA_DIR"

step "Creating topic 'orders' with 3 partitions (zstd, strict durability)"
run sluice topics create --topic orders --partitions 3
run sluice topics list

step "Generating $EVENTS order events (JSON lines, key|value)"
EVENTS_FILE="$SLUICE_DATA_DIR.events"
python3 - "$EVENTS" > "$EVENTS_FILE" <<'PY'
import json, random, sys
rng = random.Random(42)
regions = ["us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast", "sa-east", "af-south"]
ts = 1_700_000_000_000
out = sys.stdout
for i in range(int(sys.argv[1])):
    ts += rng.randint(0, 40)
    customer = "cust-%06d" % rng.randint(0, 199999)
    items = [{"sku": "SKU-%05d" % rng.randint(0, 1999), "qty": rng.randint(1, 5), "price": rng.randint(199, 49999) / 100}
             for _ in range(1 if rng.random() < 0.6 else 2)]
    event = {"order_id": "ord-%09d" % i, "customer_id": customer, "region": rng.choice(regions),
             "amount": round(sum(it["qty"] * it["price"] for it in items), 2),
             "currency": rng.choice(["USD", "EUR", "GBP", "JPY", "INR", "BRL"]), "items": items,
             "status": rng.choice(["created"] * 5 + ["paid"] * 3 + ["shipped", "cancelled"]), "ts": ts}
    out.write(customer + "|" + json.dumps(event, separators=(",", ":")) + "\n")
    if i and i % 100000 == 0:
        print(f"  ... {i} events generated", file=sys.stderr)
PY
ls -l "$EVENTS_FILE"

step "Producing them to 'orders' keyed by customer (murmur2 picks the partition, as in Kafka)"
printf '$ sluice produce --topic orders --property parse.key=true --property key.separator="|" < %s\n' "$EVENTS_FILE"
time sluice produce --topic orders --property parse.key=true --property key.separator='|' < "$EVENTS_FILE"

step "Every partition keeps its own order; the same customer always lands on the same partition"
run sluice consume --topic orders --partition 0 --offset earliest --max-messages 3 --property print.key=true --property print.offset=true

step "Describing the topic: offsets, segments and bytes on disk per partition"
run sluice topics describe --topic orders

step "Three consumer groups read the same orders independently (payment, shipping, stats)"
run sluice consume --topic orders --group payment --from-beginning --max-messages 3
run sluice consume --topic orders --group shipping --from-beginning --max-messages 50000 --timeout-ms 2000 > /dev/null
run sluice perf consume --topic orders --group stats
run sluice groups list --state
run sluice groups describe --group shipping

step "A group resumes after its last commit; resetting it replays the topic"
run sluice consume --topic orders --group payment --max-messages 3 --property print.offset=true --property print.partition=true
run sluice groups reset-offsets --group payment --topic orders --to-earliest --execute

step "Reading everything back: decompress and visit every record"
run sluice perf consume --topic orders

step "Consuming deleted nothing: a second reader sees the same first records"
run sluice consume --topic orders --from-beginning --max-messages 2

step "Throughput: the same events again as values, fsync before every acknowledgement"
cut -d'|' -f2- "$EVENTS_FILE" > "$EVENTS_FILE.values"
run sluice perf produce --topic perf --num-records "$EVENTS" --payload-file "$EVENTS_FILE.values"

rm -f "$EVENTS_FILE" "$EVENTS_FILE.values"
printf '\nData is in %s; remove it with: rm -rf %s\n' "$SLUICE_DATA_DIR" "$SLUICE_DATA_DIR"
