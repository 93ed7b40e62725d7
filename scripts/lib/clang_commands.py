"""Prints, one per line, a clang++ command for each of our source files in a compile database.

Usage: clang_commands.py compile_commands.json SOURCE_ROOT DIR [DIR ...] -- EXTRA_FLAG ...
The g++ command of each file under SOURCE_ROOT/DIR is kept (defines, include paths, standard)
with clang++ as the compiler, without output or dependency-file arguments, plus EXTRA_FLAGs.
GCC-only warning switches are dropped; -Werror comes from EXTRA_FLAG when wanted.
"""
import json
import os
import shlex
import sys

DROP_WITH_VALUE = {"-o", "-MF", "-MT", "-MQ"}
DROP = {"-c", "-MD", "-MMD", "-Werror"}


def main(argv):
    split = argv.index("--")
    database, root, dirs, extra = argv[1], argv[2], argv[3:split], argv[split + 1:]
    prefixes = [os.path.join(root, d) + os.sep for d in dirs]
    with open(database) as f:
        entries = json.load(f)
    for entry in sorted(entries, key=lambda e: e["file"]):
        source = entry["file"]
        if not any(source.startswith(p) for p in prefixes):
            continue
        args = entry.get("arguments") or shlex.split(entry["command"])
        out = ["clang++"]
        skip = False
        for arg in args[1:]:
            if skip:
                skip = False
                continue
            if arg in DROP_WITH_VALUE:
                skip = True
                continue
            if arg in DROP or arg == source or arg.startswith("-Wno-tsan"):
                continue
            out.append(arg)
        out += extra + [source]
        print(" ".join(shlex.quote(a) for a in out))


if __name__ == "__main__":
    main(sys.argv)
