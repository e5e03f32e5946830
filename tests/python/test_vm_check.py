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

NODE_OF_CPU = {0: 0, 1: 0, 2: 1, 3: 1}


def entry(**changes):
    e = {"name": "spinlock/ticket/home:far/placement:compact/threads:2", "valid": True,
         "cpus": [0, 1], "cpus_seen": [0, 1], "home": "far", "home_nodes": [1],
         "memory_nodes": {"shared": [1], "threads": [0, 0]}}
    e.update(changes)
    return e


class VmCheckTest(unittest.TestCase):
    def test_a_point_as_planned_passes(self):
        self.assertEqual(check.point_failures(entry(), NODE_OF_CPU), [])

    def test_each_mismatch_is_named(self):
        moved = check.point_failures(entry(cpus_seen=[0, 3]), NODE_OF_CPU)
        self.assertEqual(moved, [entry()["name"] + ": thread 1 planned on CPU 1, last seen on 3"])
        remote = check.point_failures(entry(memory_nodes={"shared": [1], "threads": [0, 1]}),
                                      NODE_OF_CPU)
        self.assertIn("thread 1 on CPU 1 (node 0) has its memory on node 1", remote[0])
        misplaced = check.point_failures(entry(memory_nodes={"shared": [0], "threads": [0, 0]}),
                                         NODE_OF_CPU)
        self.assertIn("shared state planned on node(s) [1] (far), found on [0]", misplaced[0])
        invalid = check.point_failures(entry(valid=False, error="overlap"), NODE_OF_CPU)
        self.assertIn("not valid: overlap", invalid[0])

    def test_unpinned_threads_and_unbound_homes_are_not_judged_by_place(self):
        free = entry(cpus=[-1, -1], cpus_seen=[3, 0], home="first", home_nodes=[],
                     memory_nodes={"shared": [0], "threads": [1, 0]})
        self.assertEqual(check.point_failures(free, NODE_OF_CPU), [])

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


if __name__ == "__main__":
    unittest.main()
