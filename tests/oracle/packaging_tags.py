"""Oracle for wheelwatch's compatible-tags lists: asks `packaging.tags` (the reference
implementation pip vendors) for the ordered tags a release CPython of a given version would
support on a given platform, from any host.

Usage: python3 packaging_tags.py PY@PLATFORM [PY@PLATFORM ...]
  PY:       3.12, 3.12.4, 3.13t
  PLATFORM: manylinux_2_N_ARCH, musllinux_1_N_ARCH, macosx_X_Y_ARCH, win_amd64, win_arm64,
            win32, linux_ARCH
Prints a JSON object {"packaging": "<version>", "tags": {"PY@PLATFORM": ["py-abi-plat", ...]}}.

It mirrors `packaging.tags.sys_tags()` on such a machine by patching what packaging reads from
the running interpreter and OS (config variables, `platform.system()`, `sysconfig.get_platform()`,
the glibc / musl version, `platform.mac_ver()`) and then calling packaging's own functions:
`_cpython_abis`, `platform_tags` (or `mac_platforms`), `cpython_tags`, `compatible_tags`.
"""

from __future__ import annotations

import json
import platform as platform_module
import re
import sys
import sysconfig

import packaging
from packaging import _manylinux, _musllinux, tags


def parse_python(spec: str) -> tuple[tuple[int, int], bool]:
    free_threaded = spec.endswith("t")
    parts = spec.rstrip("t").split(".")
    return (int(parts[0]), int(parts[1])), free_threaded


def config_vars(free_threaded: bool) -> dict[str, object]:
    # A release (non-debug) build with pymalloc, as the official builds are.
    return {
        "Py_DEBUG": 0,
        "Py_GIL_DISABLED": 1 if free_threaded else 0,
        "WITH_PYMALLOC": 1,
        "Py_UNICODE_SIZE": 4,
    }


def linux_platforms(arch: str, glibc: tuple[int, int] | None, musl: tuple[int, int] | None) -> list[str]:
    platform_module.system = lambda: "Linux"
    sysconfig.get_platform = lambda: f"linux-{arch}"
    _manylinux._have_compatible_abi = lambda executable, archs: glibc is not None
    _manylinux._get_manylinux_module = lambda: None
    _manylinux._get_glibc_version = lambda: _manylinux._GLibCVersion(*(glibc or (-1, -1)))
    _musllinux._get_musl_version = lambda executable: (
        _musllinux._MuslVersion(*musl) if musl else None
    )
    return list(tags._linux_platforms(is_32bit=False))


def platforms_for(tag: str) -> list[str]:
    if m := re.fullmatch(r"manylinux_(\d+)_(\d+)_(.+)", tag):
        return linux_platforms(m[3], (int(m[1]), int(m[2])), None)
    if m := re.fullmatch(r"musllinux_(\d+)_(\d+)_(.+)", tag):
        return linux_platforms(m[3], None, (int(m[1]), int(m[2])))
    if m := re.fullmatch(r"linux_(.+)", tag):
        return linux_platforms(m[1], None, None)
    if m := re.fullmatch(r"macosx_(\d+)_(\d+)_(.+)", tag):
        version, arch = (int(m[1]), int(m[2])), m[3]
        if arch == "universal2":
            # No interpreter reports `universal2` as its machine: ask directly.
            return list(tags.mac_platforms(version, arch))
        platform_module.system = lambda: "Darwin"
        platform_module.mac_ver = lambda: (f"{version[0]}.{version[1]}", ("", "", ""), arch)
        return list(tags.platform_tags())
    windows = {"win_amd64": "win-amd64", "win_arm64": "win-arm64", "win32": "win32"}
    if tag in windows:
        platform_module.system = lambda: "Windows"
        sysconfig.get_platform = lambda: windows[tag]
        return list(tags.platform_tags())
    raise SystemExit(f"unknown platform {tag!r}")


def tags_for(target: str) -> list[str]:
    spec, plat = target.split("@", 1)
    version, free_threaded = parse_python(spec)
    values = config_vars(free_threaded)
    tags._get_config_var = lambda name, warn=False: values.get(name)
    abis = list(tags._cpython_abis(version))
    platforms = platforms_for(plat)
    interpreter = f"cp{version[0]}{version[1]}"
    out = list(tags.cpython_tags(python_version=version, abis=abis, platforms=platforms))
    out += tags.compatible_tags(python_version=version, interpreter=interpreter, platforms=platforms)
    return [str(t) for t in out]


def main() -> None:
    result = {target: tags_for(target) for target in sys.argv[1:]}
    json.dump({"packaging": packaging.__version__, "tags": result}, sys.stdout)


if __name__ == "__main__":
    main()
