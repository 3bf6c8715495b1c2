#!/usr/bin/env python3
"""Third-party oracle for SluiceGroups: kafka-python's consumer-protocol codec and assignors.

(The file name starts with a dot so SwiftPM does not list it as an unhandled file of the test
target; the Swift tests find it next to their own source file.)

Reads one JSON request on stdin, writes one JSON answer on stdout:

  {"op": "encode", "items": [ITEM, ...]}       -> {"results": [HEX, ...]}
  {"op": "decode", "items": [{"kind": K, "hex": HEX}, ...]}
                                               -> {"results": [ITEM | {"error": TEXT}, ...]}
  {"op": "assign", "assignor": "range" | "roundrobin",
   "cases": [{"members": [{"member_id": M, "group_instance_id": I (optional), "topics": [T]}],
              "partitions": {T: COUNT}}, ...]}
                                               -> {"results": [{M: {"partitions": [{"topic": T, "partition": P}, ...],
                                                                    "encoded": HEX}}, ...]}
ITEM (kind "subscription"): {"kind", "version", "topics", "user_data": HEX, "owned_partitions": [TPS],
                             "generation_id", "rack_id": TEXT}
ITEM (kind "assignment"):   {"kind", "version", "assigned_partitions": [TPS], "user_data": HEX}
TPS: {"topic": T, "partitions": [P, ...]}. A missing or null user_data / rack_id is null.

"encoded" is kafka-python's own ConsumerProtocolAssignment bytes for that member (the version
and empty user data its assignors use).

Exit status: 0 answered, 2 bad request, 3 kafka-python is missing.
"""

import json
import sys

try:
    import kafka
    from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription, ConsumerProtocolAssignment
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
except ImportError as error:  # pragma: no cover - environment problem
    print("kafka-python is not installed (%s); install it with "
          "`python3 -m pip install 'kafka-python[zstd]==3.0.12'`" % error)
    sys.exit(3)


def unhex(value):
    return None if value is None else bytes.fromhex(value)


def tohex(value):
    return None if value is None else bytes(value).hex()


def encode(item):
    if item["kind"] == "subscription":
        value = ConsumerProtocolSubscription(
            version=item["version"], topics=item["topics"], user_data=unhex(item.get("user_data")),
            owned_partitions=[(tps["topic"], tps["partitions"]) for tps in item["owned_partitions"]],
            generation_id=item["generation_id"], rack_id=item.get("rack_id"))
    else:
        value = ConsumerProtocolAssignment(
            version=item["version"], assigned_partitions=[(tps["topic"], tps["partitions"]) for tps in item["assigned_partitions"]],
            user_data=unhex(item.get("user_data")))
    return value.encode(version=item["version"]).hex()


def decode(item):
    data = bytes.fromhex(item["hex"])
    try:
        if item["kind"] == "subscription":
            d = ConsumerProtocolSubscription.decode(data)
            return {"kind": "subscription", "version": d.version, "topics": list(d.topics),
                    "user_data": tohex(d.user_data),
                    "owned_partitions": [{"topic": tp.topic, "partitions": list(tp.partitions)} for tp in (d.owned_partitions or [])],
                    "generation_id": d.generation_id, "rack_id": d.rack_id}
        d = ConsumerProtocolAssignment.decode(data)
        return {"kind": "assignment", "version": d.version,
                "assigned_partitions": [{"topic": tp.topic, "partitions": list(tp.partitions)} for tp in d.assigned_partitions],
                "user_data": tohex(d.user_data)}
    except Exception as error:  # kafka-python raises struct.error, ValueError, ...
        return {"error": "%s: %s" % (type(error).__name__, error)}


class Cluster:
    def __init__(self, partitions):
        self.partitions = partitions

    def partitions_for_topic(self, topic):
        count = self.partitions.get(topic)
        return None if count is None else set(range(count))


class Member:
    def __init__(self, spec):
        self.member_id = spec["member_id"]
        self.group_instance_id = spec.get("group_instance_id")
        self.metadata = ConsumerProtocolSubscription(version=0, topics=spec["topics"], user_data=b"")


def assign(assignor, case):
    # kafka-python 3.0.12 splits static from dynamic members with itertools.groupby, which only
    # groups adjacent items: with static members not listed first, some are silently dropped.
    # Callers list static members first; Java's MemberInfo ordering needs no such care.
    members = [Member(spec) for spec in case["members"]]
    result = assignor.assign(Cluster(case["partitions"]), members)
    out = {}
    for member_id, assignment in result.items():
        out[member_id] = {"partitions": [{"topic": tp.topic, "partition": tp.partition} for tp in assignment.partitions()],
                          "encoded": assignment.encode(version=assignment.version).hex()}
    return out


def main():
    request = json.load(sys.stdin)
    op = request.get("op")
    if op == "encode":
        results = [encode(item) for item in request["items"]]
    elif op == "decode":
        results = [decode(item) for item in request["items"]]
    elif op == "assign":
        assignor = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}[request["assignor"]]
        results = [assign(assignor, case) for case in request["cases"]]
    else:
        print("unknown op %r" % (op,))
        sys.exit(2)
    json.dump({"kafka_python": kafka.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
