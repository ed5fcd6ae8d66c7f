"""Build hook: copy the top-level `schemas/` and `fixtures/` folders into the wheel as `mockai/_resources/`."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's folders directly
            return
        root = Path(__file__).resolve().parent
        for name in ("schemas", "fixtures"):
            target = Path(self.build_lib) / "mockai" / "_resources" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(root / name, target)


setup(cmdclass={"build_py": BuildWithResources})
