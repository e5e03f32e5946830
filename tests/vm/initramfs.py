"""Makes a test guest's initramfs: busybox, lockbench with every library it
loads (found by its ELF NEEDED entries, so it works for a cross-built
binary too), the shipped configs, the guest sweep and /init.

  initramfs.py OUT.cpio.gz --lockbench BIN --busybox BIN --loader PATH
               --libdir DIR [--libdir DIR...] --emulated TEXT
"""

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def needed(path):
    """The sonames an ELF file names as NEEDED."""
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)


def library_closure(binary, libdirs):
    """Every library the binary loads, directly or not: soname -> path."""
    found, todo = {}, [binary]
    while todo:
        for soname in needed(todo.pop()):
            if soname in found:
                continue
            path = next((os.path.join(d, soname) for d in libdirs
                         if os.path.exists(os.path.join(d, soname))), None)
            if path is None:
                sys.exit(f"initramfs: {soname}, which {binary} needs, is in none of {libdirs}")
            found[soname] = path
            todo.append(path)
    return found


def copy(src, root, dest):
    target = os.path.join(root, dest.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copy2(os.path.realpath(src), target)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--lockbench", required=True)
    parser.add_argument("--busybox", required=True)
    parser.add_argument("--loader", required=True, help="the dynamic loader, at its path in the guest")
    parser.add_argument("--libdir", action="append", required=True)
    parser.add_argument("--emulated", required=True, help="what the results say ran them")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as root:
        copy(args.busybox, root, "/bin/busybox")
        copy(args.loader, root, args.loader)
        # The guest's loader searches /lib: every library goes there.
        for soname, path in library_closure(args.lockbench, args.libdir).items():
            copy(path, root, "/lib/" + soname)
        copy(args.lockbench, root, "/lockbench/lockbench")
        for config in os.listdir(os.path.join(ROOT, "configs")):
            copy(os.path.join(ROOT, "configs", config), root, "/lockbench/configs/" + config)
        copy(os.path.join(HERE, "sweep.json"), root, "/lockbench/vm-sweep.json")
        copy(os.path.join(HERE, "init"), root, "/init")
        with open(os.path.join(root, "lockbench", "emulated"), "w") as f:
            f.write(args.emulated)
        for d in ("proc", "sys", "dev", "tmp"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        files = subprocess.run(["find", "."], cwd=root, capture_output=True, check=True).stdout
        archive = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], cwd=root, input=files,
                                 capture_output=True, check=True).stdout
    with gzip.open(args.out, "wb", compresslevel=1) as f:
        f.write(archive)


if __name__ == "__main__":
    main()
