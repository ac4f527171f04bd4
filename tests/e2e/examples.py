"""Building the out-of-tree examples as their users would: mailactor installed into a private
prefix, the example configured against that prefix alone (find_package) and built."""

import json
import os
import subprocess

from harness import BIN

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "../.."))
BUILD = os.path.realpath(os.environ.get("MAILACTOR_BUILD_DIR", os.path.dirname(os.path.dirname(BIN))))


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    if r.returncode != 0:
        raise AssertionError("%s exited %d:\n%s\n%s" % (" ".join(cmd), r.returncode, r.stdout[-4000:], r.stderr[-4000:]))
    return r


def install(prefix):
    """`cmake --install` of this build into `prefix`; the files installed, relative to it."""
    run(["cmake", "--install", BUILD, "--prefix", prefix])
    return sorted(os.path.relpath(os.path.join(d, f), prefix) for d, _, fs in os.walk(prefix) for f in fs)


def build_example(name, prefix, build, binary):
    """examples/<name> built in `build` against `prefix`; checks that no compile command names
    mailactor's source or build tree. The path of `binary`."""
    run(["cmake", "-S", os.path.join(ROOT, "examples", name), "-B", build, "-G", "Ninja",
         "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_BUILD_TYPE=Release",
         "-DCMAKE_CXX_FLAGS=-Werror", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"])
    run(["cmake", "--build", build])
    with open(os.path.join(build, "compile_commands.json")) as f:
        commands = json.load(f)
    for c in commands:  # nothing from mailactor's source or build tree: only the prefix
        command = c["command"].replace(c["file"], "")
        assert ROOT not in command, c["command"]
        assert "-isystem " + prefix + "/include" in command.replace("-I", "-isystem "), c["command"]
    return os.path.join(build, binary)
