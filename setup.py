"""Packaging for mtclip: everything is read from settings.ini (nbdev 2's convention)."""
from configparser import ConfigParser
from pathlib import Path
import shutil
import setuptools
from setuptools.command.build_py import build_py


class BuildWithExperiments(build_py):
    "Put the experiment notebooks (nbs/experiments) into the package, so `mtclip run NAME` works from a wheel."
    def run(self):
        super().run()
        target = Path(self.build_lib) / "mtclip" / "experiments"
        target.mkdir(parents=True, exist_ok=True)
        for notebook in sorted(Path("nbs/experiments").glob("*.ipynb")): shutil.copy2(notebook, target)


config = ConfigParser(delimiters=["="])
config.read("settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    license="Apache-2.0",
    url=cfg["git_url"],
    keywords=cfg["keywords"].split(),
    python_requires=">=" + cfg["min_python"],
    packages=setuptools.find_packages(include=["mtclip", "mtclip.*"]),
    package_data={"mtclip": ["model_configs/*.json", "model_configs/lm/*.json", "model_weights/*.safetensors",
                             "model_weights/*.json"]},
    include_package_data=True,
    install_requires=cfg["requirements"].split(),
    extras_require={"dev": cfg["dev_requirements"].split()},
    entry_points={"console_scripts": cfg["console_scripts"].split(),
                  "nbdev": [f"{cfg['lib_name']}={cfg['lib_name']}._modidx:d"]},
    cmdclass={"build_py": BuildWithExperiments},
    zip_safe=False,
)
