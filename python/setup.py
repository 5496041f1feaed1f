"""Builds the compiled core `liftbench._liftbench` with the project's CMake tree (the same build
as `scripts/build.sh`, with the Python extension on and the tests off) and installs it beside the
pure-Python package. setuptools drives CMake because both come from Debian's packages
(python3-setuptools, cmake): nothing needs a package index."""

import os
import pathlib
import re
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


def project_version() -> str:
    text = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"project\(liftbench VERSION ([0-9.]+)", text)
    if not match:
        raise RuntimeError("CMakeLists.txt: no 'project(liftbench VERSION ...)' line")
    return match.group(1)


class CMakeExtension(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        generator = ["-G", "Ninja"] if subprocess.run(["which", "ninja"], capture_output=True).returncode == 0 else []
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build_dir), *generator, "-DCMAKE_BUILD_TYPE=Release",
                        "-DLB_BUILD_TESTS=OFF", "-DLB_BUILD_PYTHON=ON", f"-DPython3_EXECUTABLE={sys.executable}"],
                       check=True)
        jobs = str(os.cpu_count() or 1)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_liftbench", "-j", jobs], check=True)
        built = next((build_dir / "python" / "liftbench").glob("_liftbench*.so"))
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(built), str(target))


setup(version=project_version(), ext_modules=[CMakeExtension("liftbench._liftbench")], cmdclass={"build_ext": CMakeBuild})
