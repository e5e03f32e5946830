"""tests/vm/check.py, the host's checks of an emulated box's files, on
made-up guest output: each check fails when what it guards is broken."""

import base64
import importlib.util
import json
import os
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "vm_check", os.path.join(HERE, "..", "vm", "check.py"))
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)

# Two nodes of one core each, two hardware threads a core.
PUS = {cpu: {"cpu": cpu, "numa_node_os": cpu // 2, "core": cpu // 2, "smt_rank": cpu % 2}
       for cpu in range(4)}


def entry(**changes):
    e = {"name": "spinlock/ticket/home:far/placement:compact/threads:2", "valid": True,
         "placement": "compact",
         "cpus": [0, 1], "cpus_seen": [0, 1], "home": "far", "home_nodes": [1],
         "memory_nodes": {"shared": [1], "threads": [0, 0]}}
    e.update(changes)
    return e


class VmCheckTest(unittest.TestCase):
    def test_a_point_as_planned_passes(self):
        self.assertEqual(check.point_failures(entry(), PUS), [])

    def test_each_mismatch_is_named(self):
        moved = check.point_failures(entry(cpus_seen=[0, 3]), PUS)
        self.assertEqual(moved, [entry()["name"] + ": thread 1 planned on CPU 1, last seen on 3"])
        remote = check.point_failures(entry(memory_nodes={"shared": [1], "threads": [0, 1]}),
                                      PUS)
        self.assertIn("thread 1 on CPU 1 (node 0) has its memory on node 1", remote[0])
        misplaced = check.point_failures(entry(memory_nodes={"shared": [0], "threads": [0, 0]}),
                                         PUS)
        self.assertIn("shared state planned on node(s) [1] (far), found on [0]", misplaced[0])
        invalid = check.point_failures(entry(valid=False, error="overlap"), PUS)
        self.assertIn("not valid: overlap", invalid[0])

    def test_unpinned_threads_and_unbound_homes_are_not_judged_by_place(self):
        free = entry(cpus=[-1, -1], cpus_seen=[3, 0], home="first", home_nodes=[],
                     memory_nodes={"shared": [0], "threads": [1, 0]})
        self.assertEqual(check.point_failures(free, PUS), [])

    def test_nosmt_threads_on_one_core_are_named(self):
        apart = entry(placement="compact+nosmt", cpus=[0, 2], cpus_seen=[0, 2],
                      memory_nodes={"shared": [1], "threads": [0, 1]}, home="first", home_nodes=[])
        self.assertEqual(check.point_failures(apart, PUS), [])
        together = dict(apart, cpus=[0, 1], cpus_seen=[0, 1],
                        memory_nodes={"shared": [1], "threads": [0, 0]})
        self.assertEqual(check.point_failures(together, PUS),
                         [together["name"] + ": threads 0 and 1 share core 0 (CPUs 0 and 1) "
                          "under +nosmt"])
        more_than_cores = dict(together, cpus=[0, 2, 0], cpus_seen=[0, 2, 0],
                               memory_nodes={"shared": [1], "threads": [0, 1, 0]})
        self.assertEqual(check.point_failures(more_than_cores, PUS), [])

    def test_files_come_back_from_between_the_markers(self):
        data = json.dumps({"a": 1}).encode()
        text = base64.encodebytes(data).decode()
        console = f"boot noise\nlockbench-file-begin x.json\n{text}lockbench-file-end\nmore\n"
        self.assertEqual(check.guest_files(console), {"x.json": data})

    def test_the_topology_must_be_what_qemu_was_told(self):
        topology = {"packages": 2, "numa_nodes": 2, "cores": 8, "pus": 8, "summary": "s",
                    "thread_boundaries": [{"threads": 2, "what": "one cluster"}]}
        self.assertEqual(check.topology_failures(topology, {"clusters": 4, "pus": 8}), [])
        self.assertEqual(check.topology_failures(topology, {"numa_nodes": 4}),
                         ["topology: numa_nodes 2, qemu was told 4 (s)"])
        smt = dict(topology, pu_list=list(PUS.values()))
        self.assertEqual(check.topology_failures(smt, {"threads_per_core": 2}), [])
        no_smt = dict(topology, pu_list=[dict(pu, smt_rank=0) for pu in PUS.values()])
        self.assertEqual(check.topology_failures(no_smt, {"threads_per_core": 2}),
                         ["topology: threads_per_core 1, qemu was told 2 (s)"])


if __name__ == "__main__":
    unittest.main()
