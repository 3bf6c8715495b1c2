#!/usr/bin/env python3
"""Third-party proof: read Sluice's segment files with kafka-python's own record parser.

Usage: verify_segments.py DATA_DIR TOPIC EXPECTED_JSON

Opens every DATA_DIR/TOPIC-<p>/*.log, parses the bytes with kafka.record.MemoryRecords, and
checks that every batch iterates, every CRC-32C validates (DefaultRecordBatch.validate_crc),
batches are contiguous, and the records' offsets, keys, values, timestamps and headers are
exactly the expected ones.

EXPECTED_JSON:
{
  "partitions": {"0": [record, ...], "1": [...]},  # every partition of the topic, even empty ones
  "codec": "zstd" | "none" | null,                  # every batch's codec (null: not checked)
  "timestamp_type": "CreateTime" | "LogAppendTime",
  "min_segments": 1,                                # the topic has at least this many .log files
  "murmur2_partitions": 3                           # optional: records with "by_key" must sit on
                                                    # murmur2(key) & 0x7fffffff % N (kafka-python's)
}
record: {"offset": 0, "key": HEX|null, "value": HEX|null, "timestamp": MS|null (null: not checked),
         "headers": [[KEY, HEX|null], ...], "by_key": false}

Exit status: 0 all good, 1 a mismatch (listed on stdout), 2 bad usage or input,
3 kafka-python (or its zstd codec, the `zstandard` module) is missing.
"""

import json
import os
import re
import sys

try:
    import kafka
    import kafka.codec
    from kafka.record import MemoryRecords
    from kafka.record.default_records import DefaultRecordBatch
    from kafka.partitioner.default import murmur2
except ImportError as error:  # pragma: no cover - environment problem
    print("verify_segments: kafka-python is not installed (%s); install it with "
          "`python3 -m pip install 'kafka-python[zstd]==3.0.12'`" % error)
    sys.exit(3)

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CODEC_NAMES = {v: k for k, v in CODECS.items()}
TIMESTAMP_TYPES = {"CreateTime": 0, "LogAppendTime": 1}
MAX_REPORTED = 25


def hex_or_none(data):
    return None if data is None else bytes(data).hex()


def show(data, limit=40):
    if data is None:
        return "null"
    text = data if isinstance(data, str) else str(data)
    return text if len(text) <= limit else "%s...(%d hex chars)" % (text[:limit], len(text))


class Verifier:
    def __init__(self, data_dir, topic, expected):
        self.data_dir = data_dir
        self.topic = topic
        self.expected = expected
        self.problems = []
        self.segments = 0
        self.batches = 0
        self.records = 0
        self.codecs_seen = {}

    def problem(self, text):
        self.problems.append(text)

    def run(self):
        expected_partitions = {int(p): recs for p, recs in self.expected["partitions"].items()}
        pattern = re.compile("^" + re.escape(self.topic) + r"-(\d+)$")
        found = sorted(int(m.group(1)) for m in map(pattern.match, os.listdir(self.data_dir)) if m)
        if found != sorted(expected_partitions):
            self.problem("partition directories %s, expected %s" % (found, sorted(expected_partitions)))
        for partition in sorted(expected_partitions):
            directory = os.path.join(self.data_dir, "%s-%d" % (self.topic, partition))
            if not os.path.isdir(directory):
                continue
            actual = self.read_partition(partition, directory)
            self.compare(partition, actual, expected_partitions[partition])
        minimum = self.expected.get("min_segments", 1)
        if self.segments < minimum:
            self.problem("%d segment files, expected at least %d" % (self.segments, minimum))

    def read_partition(self, partition, directory):
        names = sorted(n for n in os.listdir(directory) if n.endswith(".log"))
        if not names:
            self.problem("%s holds no .log segment" % directory)
        records = []
        next_offset = None
        for name in names:
            stem = name[:-4]
            if not re.fullmatch(r"\d{20}", stem):
                self.problem("%s/%s is not named <20-digit base offset>.log" % (directory, name))
                continue
            base = int(stem)
            if next_offset is not None and base != next_offset:
                self.problem("%s/%s starts at offset %d but the previous segment ended at %d"
                             % (directory, name, base, next_offset))
            next_offset = base
            self.segments += 1
            path = os.path.join(directory, name)
            with open(path, "rb") as f:
                data = f.read()
            next_offset = self.read_segment(partition, path, data, next_offset, records)
        return records

    def read_segment(self, partition, path, data, next_offset, out):
        where = "%s-%d %s" % (self.topic, partition, os.path.basename(path))
        memory = MemoryRecords(data)
        # valid_bytes() covers only whole batches: anything else is a torn or garbage tail.
        if memory.valid_bytes() != len(data):
            self.problem("%s: %d of %d bytes are whole batches" % (where, memory.valid_bytes(), len(data)))
        want_codec = self.expected.get("codec")
        want_ts_type = TIMESTAMP_TYPES[self.expected.get("timestamp_type", "CreateTime")]
        position = 0
        while memory.has_next():
            batch = memory.next_batch()
            at = "%s batch at byte %d" % (where, position)
            position += batch.size_in_bytes
            self.batches += 1
            if not isinstance(batch, DefaultRecordBatch) or batch.magic != 2:
                self.problem("%s: not a RecordBatch v2 (magic %s)" % (at, batch.magic))
                continue
            # validate_crc must run before iteration (it asserts so).
            if not batch.validate_crc():
                self.problem("%s: CRC-32C does not validate (stored 0x%08x)" % (at, batch.crc))
            codec = batch.compression_type
            self.codecs_seen[CODEC_NAMES.get(codec, str(codec))] = self.codecs_seen.get(CODEC_NAMES.get(codec, str(codec)), 0) + 1
            if want_codec is not None and codec != CODECS[want_codec]:
                self.problem("%s: codec %s, expected %s" % (at, CODEC_NAMES.get(codec, codec), want_codec))
            if batch.timestamp_type != want_ts_type:
                self.problem("%s: timestamp type %d, expected %d" % (at, batch.timestamp_type, want_ts_type))
            if batch.is_control_batch or batch.is_transactional:
                self.problem("%s: control or transactional batch" % at)
            if batch.base_offset != next_offset:
                self.problem("%s: base offset %d, expected %d (offsets must be dense)"
                             % (at, batch.base_offset, next_offset))
            if batch.leader_epoch != 0:
                self.problem("%s: partition leader epoch %d, expected 0" % (at, batch.leader_epoch))
            try:
                records = list(batch)
            except Exception as error:  # kafka-python raises CorruptRecordError, codec errors...
                self.problem("%s: kafka-python cannot iterate it: %r" % (at, error))
                next_offset = batch.next_offset
                continue
            if len(records) != batch.records_count or batch.last_offset_delta != batch.records_count - 1:
                self.problem("%s: %d records iterated, header says count %d, last offset delta %d"
                             % (at, len(records), batch.records_count, batch.last_offset_delta))
            for i, record in enumerate(records):
                if record.offset != batch.base_offset + i:
                    self.problem("%s: record %d has offset %d, expected %d"
                                 % (at, i, record.offset, batch.base_offset + i))
            if records and want_ts_type == 0:
                newest = max(r.timestamp for r in records)
                if batch.max_timestamp != newest or batch.first_timestamp != records[0].timestamp:
                    self.problem("%s: header timestamps first=%d max=%d, records say first=%d max=%d"
                                 % (at, batch.first_timestamp, batch.max_timestamp, records[0].timestamp, newest))
            self.records += len(records)
            for record in records:
                out.append({
                    "offset": record.offset,
                    "key": hex_or_none(record.key),
                    "value": hex_or_none(record.value),
                    "timestamp": record.timestamp,
                    "headers": [[k, hex_or_none(v)] for k, v in record.headers],
                })
            next_offset = batch.next_offset
        return next_offset

    def compare(self, partition, actual, expected):
        name = "%s-%d" % (self.topic, partition)
        if len(actual) != len(expected):
            self.problem("%s: %d records on disk, %d expected" % (name, len(actual), len(expected)))
        count = self.expected.get("murmur2_partitions")
        for got, want in zip(actual, expected):
            at = "%s offset %s" % (name, want.get("offset"))
            for field in ("offset", "key", "value", "timestamp", "headers"):
                if field == "timestamp" and want.get("timestamp") is None:
                    continue
                if got[field] != want.get(field):
                    self.problem("%s: %s is %s, expected %s" % (at, field, show(got[field]), show(want.get(field))))
            if count and want.get("by_key") and want.get("key") is not None:
                chosen = (murmur2(bytes.fromhex(want["key"])) & 0x7FFFFFFF) % count
                if chosen != partition:
                    self.problem("%s: keyed record is on partition %d, kafka-python's murmur2 says %d"
                                 % (at, partition, chosen))


def main(argv):
    if len(argv) != 4:
        print(__doc__)
        return 2
    data_dir, topic, expected_path = argv[1:]
    if not kafka.codec.has_zstd():
        print("verify_segments: kafka-python %s cannot decode zstd: the `zstandard` module is missing; "
              "install it with `python3 -m pip install zstandard` (or kafka-python[zstd])" % kafka.__version__)
        return 3
    if not os.path.isdir(data_dir):
        print("verify_segments: no data directory at %s" % data_dir)
        return 2
    with open(expected_path) as f:
        expected = json.load(f)
    verifier = Verifier(data_dir, topic, expected)
    verifier.run()
    codecs = ", ".join("%s %d" % item for item in sorted(verifier.codecs_seen.items())) or "no batches"
    summary = ("kafka-python %s read topic %s: %d partitions, %d segments, %d batches (%s), %d records"
               % (kafka.__version__, topic, len(expected["partitions"]), verifier.segments,
                  verifier.batches, codecs, verifier.records))
    if verifier.problems:
        print("%s: %d MISMATCHES" % (summary, len(verifier.problems)))
        for line in verifier.problems[:MAX_REPORTED]:
            print("  " + line)
        if len(verifier.problems) > MAX_REPORTED:
            print("  ... and %d more" % (len(verifier.problems) - MAX_REPORTED))
        return 1
    print("%s: all CRCs valid, every record as appended" % summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
