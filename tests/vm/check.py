"""Checks what a test guest (scripts/test-vm) wrote, from its console log:
the files it printed between markers are written to OUT_DIR, then

- its topology is what qemu was told (--expect packages=2,numa_nodes=4,...);
- every shipped config planned, and the sweep ran;
- every point is valid, and says it ran on an emulated machine;
- every pinned thread was last seen on its planned CPU, and no two threads
  of a `+nosmt` placement share a core while there are cores to spare;
- every thread's own memory is on its CPU's NUMA node, and a bound shared
  state on the nodes its home names.

Each failure names the point, the thread, what was planned and what was
seen. Exit status 0 when all hold.

  check.py CONSOLE_LOG OUT_DIR --expect KEY=N,...
"""

import argparse
import base64
import json
import os
import re
import sys


def guest_files(console):
    """{name: bytes} of the files the guest printed between markers."""
    files, name, lines = {}, None, []
    for line in console.splitlines():
        line = line.strip()
        if line.startswith("lockbench-file-begin "):
            name, lines = line.split(" ", 1)[1], []
        elif line == "lockbench-file-end" and name:
            files[name] = base64.b64decode("".join(lines))
            name = None
        elif name:
            lines.append(line)
    return files


def cluster_count(topology):
    """Clusters, from the boundary at which a compact placement fills one."""
    size = next((b["threads"] for b in topology["thread_boundaries"] if "one cluster" in b["what"]),
                None)
    return topology["pus"] // size if size else 0


def topology_failures(topology, expect):
    seen = {"packages": topology["packages"], "numa_nodes": topology["numa_nodes"],
            "cores": topology["cores"], "pus": topology["pus"], "clusters": cluster_count(topology),
            "threads_per_core": 1 + max((pu["smt_rank"] for pu in topology.get("pu_list", [])),
                                        default=0)}
    return [f"topology: {key} {seen[key]}, qemu was told {wanted} ({topology['summary']})"
            for key, wanted in expect.items() if seen[key] != wanted]


def point_failures(entry, pus):
    """What is wrong with one repetition, each naming the point and thread;
    pus: {cpu: its pu_list entry}."""
    name = entry["name"]
    if not entry.get("valid"):
        return [f"{name}: not valid: {entry.get('error')}"]
    failures = []
    memory = entry["memory_nodes"]
    for thread, (planned, seen) in enumerate(zip(entry["cpus"], entry["cpus_seen"])):
        if planned < 0:
            continue
        if seen != planned:
            failures.append(f"{name}: thread {thread} planned on CPU {planned}, last seen on {seen}")
        node = memory["threads"][thread]
        if node != pus[planned]["numa_node_os"]:
            failures.append(f"{name}: thread {thread} on CPU {planned} (node "
                            f"{pus[planned]['numa_node_os']}) has its memory on node {node}")
    failures += shared_core_failures(entry, pus)
    homes = entry.get("home_nodes", [])
    outside = [n for n in memory["shared"] if homes and n not in homes]
    if outside or (homes and not memory["shared"]):
        failures.append(f"{name}: shared state planned on node(s) {homes} ({entry['home']}), "
                        f"found on {memory['shared']}")
    return failures


def shared_core_failures(entry, pus):
    """+nosmt: one thread per core up to the cores."""
    cores = len({pu["core"] for pu in pus.values()})
    if "+nosmt" not in entry["placement"] or len(entry["cpus"]) > cores:
        return []
    first_on = {}
    for thread, cpu in enumerate(entry["cpus"]):
        core = pus[cpu]["core"]
        if core in first_on:
            return [f"{entry['name']}: threads {first_on[core]} and {thread} share core {core} "
                    f"(CPUs {entry['cpus'][first_on[core]]} and {cpu}) under +nosmt"]
        first_on[core] = thread
    return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("console")
    parser.add_argument("out")
    parser.add_argument("--expect", required=True)
    args = parser.parse_args()
    expect = {k: int(v) for k, v in (kv.split("=") for kv in args.expect.split(","))}

    with open(args.console, errors="replace") as f:
        files = guest_files(f.read())
    os.makedirs(args.out, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(data)

    failures = []
    for name in sorted(files):
        if name.endswith(".rc") and files[name].strip() != b"0":
            output = files.get(name[:-3] + ".out", b"").decode(errors="replace").strip()
            failures.append(f"{name[:-3]}: exit {files[name].strip().decode()}: {output[-400:]}")
    if "topology.out" not in files or "results.json" not in files:
        failures.append(f"the guest did not finish: files {sorted(files)} came back")
    else:
        topology = json.loads(files["topology.out"])
        failures += topology_failures(topology, expect)
        pus = {pu["cpu"]: pu for pu in topology["pu_list"]}
        results = json.loads(files["results.json"])
        if not results["context"]["lockbench"].get("emulated"):
            failures.append("results: context.lockbench.emulated does not say so")
        entries = [e for e in results["benchmarks"] if e["run_type"] == "iteration"]
        if not entries:
            failures.append("results: no point")
        for entry in entries:
            failures += point_failures(entry, pus)
        print(f"{os.path.basename(args.out)}: {topology['summary']}; "
              f"{len(entries)} repetitions checked, {len(failures)} failures")
    for failure in failures:
        print("  FAILED " + failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
