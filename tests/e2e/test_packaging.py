"""Packaging (issue 7): `cmake --install` lays out the binary, the systemd unit, the tmpfiles
entry, the example configs and the docs in FHS places, and CPack makes a .deb with the configs
as conffiles and its library dependencies derived. Runs on the build ctest is run from."""

import os
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("TACMAIL_BUILD_DIR", "")
PREFIX = os.environ.get("TACMAIL_INSTALL_PREFIX", "")

LAYOUT = [
    "usr/bin/tacmaild",
    "usr/lib/systemd/system/tacmaild.service",
    "usr/lib/tmpfiles.d/tacmaild.conf",
    "etc/tacmaild/tacmaild.yaml",
    "etc/tacmaild/products.yaml",
    "etc/tacmaild/contracts.yaml",
    "usr/share/doc/tacmail/README.md",
]


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


@unittest.skipUnless(BUILD and PREFIX == "/usr",
                     "needs TACMAIL_BUILD_DIR and a build configured with CMAKE_INSTALL_PREFIX=/usr "
                     "(scripts/test configures it so)")
class PackagingTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tacmail-pkg-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_install_lays_out_fhs_places(self):
        root = os.path.join(self.dir, "root")
        r = run("cmake", "--install", BUILD, env={**os.environ, "DESTDIR": root})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for path in LAYOUT:
            self.assertTrue(os.path.isfile(os.path.join(root, path)), f"{path} not installed")
        self.assertTrue(os.access(os.path.join(root, "usr/bin/tacmaild"), os.X_OK))
        with open(os.path.join(root, "usr/lib/tmpfiles.d/tacmaild.conf")) as f:
            self.assertIn("/etc/tacmaild/credentials 0700 root root", f.read())

    def test_cpack_builds_a_deb_with_conffiles_and_dependencies(self):
        if not shutil.which("dpkg-deb"):
            self.skipTest("dpkg-deb not available")
        r = run("cpack", "-G", "DEB", "-B", self.dir,
                "--config", os.path.join(BUILD, "CPackConfig.cmake"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        debs = [f for f in os.listdir(self.dir) if f.endswith(".deb")]
        self.assertEqual(len(debs), 1, os.listdir(self.dir))
        deb = os.path.join(self.dir, debs[0])
        contents = run("dpkg-deb", "-c", deb).stdout
        for path in LAYOUT:
            self.assertIn("./" + path, contents)
        conffiles = run("dpkg-deb", "-I", deb, "conffiles").stdout.split()
        self.assertEqual(sorted(conffiles), ["/etc/tacmaild/contracts.yaml",
                                             "/etc/tacmaild/products.yaml",
                                             "/etc/tacmaild/tacmaild.yaml"])
        depends = run("dpkg-deb", "-f", deb, "Depends").stdout
        for library in ("libcurl4", "libsqlite3-0", "libmimetic0v5", "libyaml-cpp0.7"):
            self.assertIn(library, depends)


if __name__ == "__main__":
    unittest.main()
