#!/usr/bin/env python3
"""Checks the include rules between the components of cwmpd (docs: ARCHITECTURE.md).

    tools/check_layering.py [--root DIR] [--sdk-includes FILE]

  - plugins/<name>/: cwmpd headers only from cwmpd/sdk/ and cwmpd/hal/ (the installed SDK);
    a quoted include that is not one of those must be a file of the same plugin folder
    (no plugin includes another plugin's files, nor anything of core/, bus/, hal/src/).
  - sdk/include/cwmpd/sdk/: only cwmpd/sdk/ and cwmpd/hal/ (what the SDK installs).
  - hal/include/cwmpd/hal/: only cwmpd/hal/ (the interfaces stand alone).
  - core/: no bus (cwmpd/bus/, sdbus-c++), no plugin, no HAL backend (hal/src/, the backend
    factory cwmpd/hal/factory.hpp); a quoted include outside cwmpd/ must be a file of core/.

With --sdk-includes, FILE lists the include directories the build gives a plugin through
cwmpd::sdk (one per line, written by tests/layering/CMakeLists.txt): each must hold
nothing but cwmpd/sdk/ or cwmpd/hal/, so that an in-tree plugin sees exactly what the
installed SDK offers an out-of-tree one.

Prints one line per violation, `FILE:LINE: <include>: why`, and exits 1 when there is any
(0 otherwise). Comments and string literals are not looked at: only #include lines.
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCES = ('.hpp', '.h', '.cpp', '.cc', '.c', '.ipp', '.inc')
# The HAL interface header that names the backends; the daemon picks one, core never does.
HAL_BACKEND_HEADERS = ('cwmpd/hal/factory.hpp',)


def includes(path):
    """(line number, delimiter, name) of every #include of a file."""
    with open(path, encoding='utf-8', errors='replace') as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(1), m.group(2).strip()


def sources(top):
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(SOURCES):
                yield os.path.join(dirpath, name)


def inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def resolves_inside(src, name, folders):
    """Whether a quoted include names an existing file under one of `folders`, looked up
    next to the including file first, then in each folder (their include roots)."""
    candidates = [os.path.join(os.path.dirname(src), name)] + [os.path.join(f, name) for f in folders]
    for c in candidates:
        if os.path.isfile(c):
            return any(inside(c, f) for f in folders)
    # Not found anywhere: it could only come from another component's include path.
    return False


def check_plugin(root, src, plugin_dir):
    problems = []
    for n, delim, name in includes(src):
        if name.startswith(('cwmpd/sdk/', 'cwmpd/hal/')):
            if name in HAL_BACKEND_HEADERS:
                problems.append((n, name, 'a plugin sees the HAL interfaces, not the backend factory'))
            continue
        if name.startswith('cwmpd/'):
            problems.append((n, name, 'plugins include only cwmpd/sdk and cwmpd/hal'))
        elif name.startswith('sdbus-c++/'):
            problems.append((n, name, 'plugins do not talk D-Bus; the core publishes the model'))
        elif delim == '"' and not resolves_inside(src, name, [plugin_dir]):
            problems.append((n, name, 'a quoted include must be a file of this plugin'))
    return problems


def check_sdk(root, src, own):
    problems = []
    allowed = {'sdk': ('cwmpd/sdk/', 'cwmpd/hal/'), 'hal': ('cwmpd/hal/',)}[own]
    inc = os.path.join(root, own, 'include')
    for n, delim, name in includes(src):
        if name.startswith('cwmpd/'):
            if not name.startswith(allowed) or name in HAL_BACKEND_HEADERS and own == 'sdk':
                problems.append((n, name, 'the %s headers include only %s' % (own, ' and '.join(a.rstrip('/') for a in allowed))))
        elif name.startswith('sdbus-c++/'):
            problems.append((n, name, 'no D-Bus in the public headers'))
        elif delim == '"' and not resolves_inside(src, name, [os.path.join(inc, 'cwmpd', own)]):
            problems.append((n, name, 'a quoted include must be a header of cwmpd/%s' % own))
    return problems


def check_core(root, src):
    problems = []
    core = os.path.join(root, 'core')
    for n, delim, name in includes(src):
        parts = name.split('/')
        if name.startswith('cwmpd/bus/') or name.startswith('sdbus-c++/') or 'bus' in parts[:-1] and not name.startswith('cwmpd/'):
            problems.append((n, name, 'core knows nothing of D-Bus (bus/ depends on core, not the reverse)'))
        elif 'plugins' in parts[:-1]:
            problems.append((n, name, 'core knows no concrete plugin'))
        elif name in HAL_BACKEND_HEADERS or name.startswith('hal/') or '/hal/src/' in '/' + name \
                or parts[-1] in ('linux_hal.hpp', 'sim_hal.hpp'):
            problems.append((n, name, 'core knows no HAL backend'))
        elif name.startswith('cwmpd/'):
            if not name.startswith(('cwmpd/core/', 'cwmpd/sdk/', 'cwmpd/hal/')):
                problems.append((n, name, 'core includes only cwmpd/core, cwmpd/sdk and cwmpd/hal'))
        elif delim == '"' and not resolves_inside(src, name, [os.path.join(core, 'include'), os.path.join(core, 'src')]):
            problems.append((n, name, 'a quoted include of core must be a file of core/'))
    return problems


def check(root):
    out = []
    def report(src, problems):
        rel = os.path.relpath(src, root)
        out.extend('%s:%d: %s: %s' % (rel, n, name, why) for n, name, why in problems)

    plugins = os.path.join(root, 'plugins')
    if os.path.isdir(plugins):
        for name in sorted(os.listdir(plugins)):
            d = os.path.join(plugins, name)
            if os.path.isdir(d):
                for src in sources(d):
                    report(src, check_plugin(root, src, d))
    for own in ('sdk', 'hal'):
        d = os.path.join(root, own, 'include', 'cwmpd', own)
        if os.path.isdir(d):
            for src in sources(d):
                report(src, check_sdk(root, src, own))
        # Anything else under <own>/include would be installed with the SDK, unchecked.
        inc = os.path.join(root, own, 'include')
        for src in sources(inc) if os.path.isdir(inc) else ():
            if not inside(src, d):
                report(src, [(0, os.path.relpath(src, inc), 'only cwmpd/%s/ belongs under %s/include' % (own, own))])
    core = os.path.join(root, 'core')
    if os.path.isdir(core):
        for src in sources(core):
            report(src, check_core(root, src))
        # The SDK has its own include root (sdk/include): core/include holds core's API only.
        for stray in ('sdk', 'hal'):
            if os.path.isdir(os.path.join(core, 'include', 'cwmpd', stray)):
                out.append('core/include/cwmpd/%s: the %s headers live in %s/include, not in core' % (stray, stray, stray))
    return out


def check_sdk_includes(root, listing):
    """The project's own include directories a plugin gets through cwmpd::sdk (system ones
    such as Boost's are outside `root` and not looked at)."""
    out = []
    with open(listing) as f:
        dirs = [d.strip() for line in f for d in line.split(';') if d.strip()]
    own = [d for d in dirs if inside(d, root)]
    if not own:
        out.append('%s: cwmpd::sdk exposes no include directory of the project' % listing)
    for d in own:
        if not os.path.isdir(d):
            out.append('%s: not a directory' % d)
            continue
        for top in sorted(os.listdir(d)):
            below = sorted(os.listdir(os.path.join(d, top))) if top == 'cwmpd' else [None]
            for name in below:
                if name not in ('sdk', 'hal'):
                    seen = top + ('/' + name if name else '')
                    out.append('%s: cwmpd::sdk exposes %s; a plugin may see only cwmpd/sdk and cwmpd/hal' % (d, seen))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--root', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    ap.add_argument('--sdk-includes', help='file listing the include directories of cwmpd::sdk')
    args = ap.parse_args()
    root = os.path.realpath(args.root)
    for d in ('core', 'plugins', 'sdk'):
        if not os.path.isdir(os.path.join(root, d)):
            print('check_layering: %s has no %s/ folder' % (root, d), file=sys.stderr)
            return 2
    problems = check(root)
    if args.sdk_includes:
        problems += check_sdk_includes(root, args.sdk_includes)
    for p in problems:
        print(p)
    print('layering: %d violation(s)' % len(problems) if problems else 'layering: ok')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
