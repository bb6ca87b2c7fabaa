#!/usr/bin/env python3
"""The manual pages against the programs they describe (issue 19 item 5).

  check_man.py render PAGE...
      man -l renders each built page without a single warning from groff or man.
  check_man.py config-keys CWMPD PAGE_SOURCE PLUGIN...
      cwmpd.conf(5) names exactly the keys `cwmpd --list-config-keys` prints for a
      plugin directory holding PLUGIN... (the default plugins): none missing, none extra.
  check_man.py usage PROGRAM PAGE_SOURCE
      every option and command PROGRAM --help lists is described in its page.
"""
import os
import re
import subprocess
import sys
import tempfile


def render(pages):
    failed = False
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    for page in pages:
        r = subprocess.run(["man", "--warnings", "-l", page], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0 or r.stderr.strip() or not r.stdout.strip():
            print(f"{page}: man -l exit {r.returncode}:\n{r.stderr}")
            failed = True
    return failed


def documented_keys(source):
    """The keys the page describes: the terms of its definition lists (a line of *key*
    terms followed by an indented description) under a heading naming [section]."""
    keys = set()
    section = None
    lines = open(source, encoding="utf-8").read().splitlines()
    for i, line in enumerate(lines):
        heading = re.match(r"^#+ .*\[([a-z_]+)\]", line)
        if heading:
            section = heading.group(1)
            continue
        if line.startswith("#"):
            section = None
            continue
        is_term = line.startswith("*") and i + 1 < len(lines) and lines[i + 1].startswith("\t")
        if section is None or not is_term:
            continue
        for part in line.split(", "):
            term = re.match(r"^\*([a-z0-9_]+)\*", part.strip())
            if term:
                keys.add(f"{section}.{term.group(1)}")
    return keys


def config_keys(cwmpd, source, plugins):
    with tempfile.TemporaryDirectory() as tmp:
        plugin_dir = os.path.join(tmp, "plugins")
        os.mkdir(plugin_dir)
        for p in plugins:
            os.symlink(os.path.abspath(p), os.path.join(plugin_dir, os.path.basename(p)))
        conf = os.path.join(tmp, "cwmpd.conf")
        with open(conf, "w") as f:
            f.write(f"[plugins]\ndir = {plugin_dir}\n")
        r = subprocess.run([cwmpd, "--config", conf, "--list-config-keys"],
                           capture_output=True, text=True)
    if r.returncode != 0:
        print(f"cwmpd --list-config-keys failed ({r.returncode}): {r.stderr}")
        return True
    accepted = {line.split()[0] for line in r.stdout.splitlines() if line.strip()}
    owners = {line.split()[2] for line in r.stdout.splitlines() if len(line.split()) > 2}
    if len(owners) < 2:
        print(f"cwmpd listed no plugin keys (owners: {owners}): is the plugin directory read?")
        return True
    documented = documented_keys(source)
    missing = sorted(accepted - documented)
    extra = sorted(documented - accepted)
    for k in missing:
        print(f"{source}: key {k} accepted by cwmpd but not documented")
    for k in extra:
        print(f"{source}: key {k} documented but cwmpd does not accept it")
    print(f"{len(accepted)} keys accepted, {len(documented)} documented")
    return bool(missing or extra)


def usage(program, source):
    r = subprocess.run([program, "--help"], capture_output=True, text=True)
    text = r.stdout + r.stderr
    page = open(source, encoding="utf-8").read()
    words = set(re.findall(r"(?m)^\s+(?:-[a-zA-Z], )?(--[a-z][a-z-]*)", text))
    in_commands = False
    for line in text.splitlines():
        if line.startswith("Commands:"):
            in_commands = True
        elif line and not line.startswith(" "):
            in_commands = False
        elif in_commands:
            m = re.match(r"^  ([a-z][a-z-]*)\b", line)
            if m:
                words.add(m.group(1))
    if len(words) < 3:
        print(f"{program} --help: found only {sorted(words)}")
        return True
    failed = False
    for w in sorted(words):
        if f"*{w}*" not in page:
            print(f"{source}: '{w}' from {os.path.basename(program)} --help is not described")
            failed = True
    return failed


def main(argv):
    mode = argv[1]
    if mode == "render":
        failed = render(argv[2:])
    elif mode == "config-keys":
        failed = config_keys(argv[2], argv[3], argv[4:])
    elif mode == "usage":
        failed = usage(argv[2], argv[3])
    else:
        print(f"unknown mode {mode}")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
