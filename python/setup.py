# The vi Python package: pure Python over libvi.so (built and installed by
# meson; see the README). Installs offline: `pip install ./python`.
from setuptools import setup

setup(
    name="vi",
    version="0.1.0",
    description="Variational inference for Stan-language models (ctypes over libvi)",
    packages=["vi"],
    python_requires=">=3.9",
    install_requires=["numpy"],
    extras_require={"pandas": ["pandas"]},
)
