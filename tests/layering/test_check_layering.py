#!/usr/bin/env python3
"""tools/check_layering.py on small trees made here: each rule fires on a violation of it
(exit 1, the file, line and include named), and a tree that keeps the rules passes."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'check_layering.py')

CLEAN = {
    'core/include/cwmpd/core/engine.hpp': '#include "cwmpd/sdk/plugin.hpp"\n#include <vector>\n',
    'core/src/model/engine.cpp': '#include "cwmpd/core/engine.hpp"\n#include "model/values.hpp"\n'
                                 '#include "cwmpd/hal/hal.hpp"\n#include <xercesc/dom/DOM.hpp>\n',
    'core/src/model/values.hpp': '#pragma once\n',
    'sdk/include/cwmpd/sdk/plugin.hpp': '#include "cwmpd/sdk/types.hpp"\n#include <cwmpd/hal/hal.hpp>\n',
    'sdk/include/cwmpd/sdk/types.hpp': '#pragma once\n',
    'hal/include/cwmpd/hal/hal.hpp': '#include "cwmpd/hal/network.hpp"\n#include <string>\n',
    'hal/include/cwmpd/hal/network.hpp': '#pragma once\n',
    'hal/include/cwmpd/hal/factory.hpp': '#include "cwmpd/hal/hal.hpp"\n',
    'hal/src/sim/sim_hal.hpp': '#pragma once\n',
    'bus/include/cwmpd/bus/names.hpp': '#pragma once\n',
    'plugins/wifi/wifi_state.hpp': '#include <cwmpd/sdk/plugin.hpp>\n#include <cwmpd/hal/hal.hpp>\n',
    'plugins/wifi/wifi.cpp': '#include "wifi_state.hpp"\n#include <boost/asio.hpp>\n',
    'plugins/voip/voip.cpp': '#include <cwmpd/sdk/plugin.hpp>\n',
}


def run(tree):
    with tempfile.TemporaryDirectory() as root:
        for rel, text in tree.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write(text)
        p = subprocess.run([sys.executable, CHECKER, '--root', root], capture_output=True, text=True)
        return p.returncode, p.stdout


def with_file(rel, text):
    tree = dict(CLEAN)
    tree[rel] = text
    return tree


class Layering(unittest.TestCase):
    def assertViolation(self, rel, include, text=None):
        code, out = run(with_file(rel, text if text is not None else '#include %s\n' % include))
        self.assertEqual(code, 1, out)
        self.assertIn(rel + ':', out)
        self.assertIn(include.strip('<>"'), out)

    def test_clean_tree_passes(self):
        code, out = run(CLEAN)
        self.assertEqual(code, 0, out)
        self.assertIn('layering: ok', out)

    def test_plugin_including_a_core_header_fails(self):
        self.assertViolation('plugins/voip/voip.cpp', '"cwmpd/core/engine.hpp"')
        self.assertViolation('plugins/voip/voip.cpp', '<cwmpd/core/log.hpp>')

    def test_plugin_including_another_plugins_file_fails(self):
        self.assertViolation('plugins/voip/voip.cpp', '"../wifi/wifi_state.hpp"')
        self.assertViolation('plugins/voip/voip.cpp', '"plugins/wifi/wifi_state.hpp"')

    def test_plugin_including_bus_or_hal_backend_fails(self):
        self.assertViolation('plugins/voip/voip.cpp', '<cwmpd/bus/names.hpp>')
        self.assertViolation('plugins/voip/voip.cpp', '<sdbus-c++/sdbus-c++.h>')
        self.assertViolation('plugins/voip/voip.cpp', '"../../hal/src/sim/sim_hal.hpp"')
        self.assertViolation('plugins/voip/voip.cpp', '<cwmpd/hal/factory.hpp>')

    def test_sdk_header_including_core_fails(self):
        self.assertViolation('sdk/include/cwmpd/sdk/types.hpp', '"cwmpd/core/engine.hpp"')
        self.assertViolation('sdk/include/cwmpd/sdk/types.hpp', '"../../../../core/src/model/values.hpp"')

    def test_hal_interface_including_the_sdk_fails(self):
        self.assertViolation('hal/include/cwmpd/hal/network.hpp', '<cwmpd/sdk/types.hpp>')

    def test_core_including_bus_fails(self):
        self.assertViolation('core/src/model/engine.cpp', '"cwmpd/bus/names.hpp"')
        self.assertViolation('core/src/model/engine.cpp', '<sdbus-c++/sdbus-c++.h>')
        self.assertViolation('core/src/model/engine.cpp', '"../../../bus/include/cwmpd/bus/names.hpp"')

    def test_core_including_a_plugin_fails(self):
        self.assertViolation('core/src/model/engine.cpp', '"../../../plugins/wifi/wifi_state.hpp"')

    def test_core_including_a_hal_backend_fails(self):
        self.assertViolation('core/src/model/engine.cpp', '"cwmpd/hal/factory.hpp"')
        self.assertViolation('core/src/model/engine.cpp', '"../../../hal/src/sim/sim_hal.hpp"')
        self.assertViolation('core/include/cwmpd/core/engine.hpp', '"hal/src/sim/sim_hal.hpp"')

    def test_sdk_headers_back_in_core_include_fail(self):
        code, out = run(with_file('core/include/cwmpd/sdk/plugin.hpp', '#pragma once\n'))
        self.assertEqual(code, 1, out)
        self.assertIn('core/include/cwmpd/sdk', out)

    def test_sdk_include_dirs_exposing_core_fail(self):
        with tempfile.TemporaryDirectory() as d:
            for rel in ('sdk/include/cwmpd/sdk/plugin.hpp', 'hal/include/cwmpd/hal/hal.hpp', 'plugins/x/x.cpp',
                        'core/include/cwmpd/core/engine.hpp'):
                os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
                open(os.path.join(d, rel), 'w').close()
            listing = os.path.join(d, 'dirs.txt')
            good = '%s/sdk/include;%s/hal/include;/usr/include\n' % (d, d)
            for text, code in ((good, 0), (good + '%s/core/include\n' % d, 1)):
                with open(listing, 'w') as f:
                    f.write(text)
                p = subprocess.run([sys.executable, CHECKER, '--root', d,
                                    '--sdk-includes', listing], capture_output=True, text=True)
                self.assertEqual(p.returncode, code, p.stdout)
            self.assertIn('cwmpd/core', p.stdout)


if __name__ == '__main__':
    unittest.main()
