"""Synthetic lockbench results files: a sweep of known throughput curves on a
made-up box, with lognormal noise, in the schema every report command reads
(the context and entries of tests/fixtures/small.json, version 2)."""

import copy
import json
import os

import numpy as np

from reports.usl import throughput

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "small.json")
LADDER = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64)
# 2 packages of 2 L3 caches of 16 cores, no SMT.
BOX = {"summary": "2 packages, 2 NUMA nodes, 64 cores, 64 PUs", "packages": 2, "numa_nodes": 2,
       "cores": 64, "pus": 64,
       "thread_boundaries": [{"threads": 16, "what": "one L3 cache"},
                             {"threads": 32, "what": "one package, one NUMA node"},
                             {"threads": 64, "what": "as many threads as cores, all PUs"}]}


def law(lam, sigma, kappa):
    """The throughput curve of a Universal Scalability Law."""
    return lambda n: float(throughput(n, lam, sigma, kappa))


def cliff(curve, after, factor):
    """curve, times factor beyond `after` threads (a boundary's toll)."""
    return lambda n: curve(n) * (factor if n > after else 1.0)


def results(curves, threads=LADDER, repetitions=5, noise=0.04, seed=0, family="spinlock",
            placement="compact", cpus=64, box=BOX, host="synthetic"):
    """A results document. curves: {(variant, kind): throughput(threads)}.
    Points beyond `cpus` threads are marked oversubscribed."""
    with open(FIXTURE, encoding="utf-8") as f:
        doc = json.load(f)
    template = doc["benchmarks"][0]
    doc["context"]["host_name"] = host
    doc["context"]["num_cpus"] = cpus
    doc["context"]["lockbench"]["topology"] = copy.deepcopy(box)
    rng = np.random.default_rng(seed)
    entries = []
    for (variant, kind), curve in curves.items():
        for n in threads:
            name = f"{family}/{variant}/placement:{placement}/threads:{n}"
            for index in range(repetitions):
                ops_per_sec = curve(n) * float(np.exp(rng.normal(0, noise)))
                e = copy.deepcopy(template)
                e.update(name=name, run_name=name, family=family, variant=variant, kind=kind,
                         threads=n, placement=placement, repetitions=repetitions,
                         repetition_index=index, oversubscribed=n > cpus,
                         ops_per_sec=ops_per_sec, real_time=1e9 / ops_per_sec,
                         cpu_time=1e9 / ops_per_sec, ops=ops_per_sec,
                         thread_ops=[ops_per_sec / n] * n, cpus=list(range(min(n, cpus))))
                entries.append(e)
            entries.append({"name": name + "_median", "run_name": name, "run_type": "aggregate",
                            "aggregate_name": "median", "family": family, "variant": variant,
                            "kind": kind, "threads": n, "placement": placement,
                            "stability": "stable"})
    doc["benchmarks"] = entries
    return doc


def write(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path
