# wheelwatch interpreter probe. Run as `python -E -s -B -c <this>`; prints one line
# `WHEELWATCH-PROBE <json>`. No third-party imports. The syntax stays parseable by Python 2.7
# (no f-strings, no `yield from`) so that an old interpreter reports itself as unsupported
# instead of failing with a SyntaxError. The tag logic mirrors packaging.tags.sys_tags()
# (packaging 26.x: cpython_tags + compatible_tags, native linux_* before manylinux/musllinux).
import sys

# `-c` puts the working directory first on sys.path; nothing there may shadow the stdlib.
sys.path[:] = [p for p in sys.path if p not in ("", ".")]

import json
import os
import platform

MARK = "WHEELWATCH-PROBE "


def emit(out):
    sys.stdout.write(MARK + json.dumps(out, sort_keys=True) + "\n")
    sys.stdout.flush()


out = {
    "version_info": [sys.version_info[0], sys.version_info[1], sys.version_info[2],
                     str(sys.version_info[3]), sys.version_info[4]],
    "python_full_version": platform.python_version(),
    "executable": sys.executable,
}

if sys.version_info < (3, 6):
    out["unsupported"] = True
    emit(out)
    sys.exit(0)

import re
import struct
import subprocess
import sysconfig

try:
    from importlib.machinery import EXTENSION_SUFFIXES
except ImportError:  # pragma: no cover
    EXTENSION_SUFFIXES = []


def cvar(name):
    return sysconfig.get_config_var(name)


def normalize(s):
    return s.replace(".", "_").replace("-", "_").replace(" ", "_")


def nodot(v):
    return "".join(map(str, v))


IS_32BIT = struct.calcsize("P") == 4
INTERPRETER_SHORT_NAMES = {"python": "py", "cpython": "cp", "pypy": "pp",
                           "ironpython": "ip", "jython": "jy"}


# --- ELF (for i686/armhf detection and the musl loader) ---------------------------------
def elf_info(path):
    """(capacity, encoding, machine, flags, interpreter) of an ELF file, or None."""
    try:
        with open(path, "rb") as f:
            ident = f.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return None
            cap, enc = ident[4], ident[5]
            if isinstance(cap, str):  # pragma: no cover (Python 2)
                cap, enc = ord(cap), ord(enc)
            fmts = {
                (1, 1): ("<HHIIIIIHHH", "<IIIIIIII", (0, 1, 4)),
                (1, 2): (">HHIIIIIHHH", ">IIIIIIII", (0, 1, 4)),
                (2, 1): ("<HHIQQQIHHH", "<IIQQQQQQ", (0, 2, 5)),
                (2, 2): (">HHIQQQIHHH", ">IIQQQQQQ", (0, 2, 5)),
            }
            if (cap, enc) not in fmts:
                return None
            e_fmt, p_fmt, p_idx = fmts[(cap, enc)]
            hdr = struct.unpack(e_fmt, f.read(struct.calcsize(e_fmt)))
            machine, phoff, flags, phentsize, phnum = hdr[1], hdr[4], hdr[6], hdr[8], hdr[9]
            interp = None
            for i in range(phnum):
                f.seek(phoff + phentsize * i)
                raw = f.read(struct.calcsize(p_fmt))
                if len(raw) < struct.calcsize(p_fmt):
                    continue
                data = struct.unpack(p_fmt, raw)
                if data[p_idx[0]] != 3:
                    continue
                f.seek(data[p_idx[1]])
                interp = os.fsdecode(f.read(data[p_idx[2]])).strip("\0")
                break
            return (cap, enc, machine, flags, interp)
    except (OSError, ValueError, struct.error, TypeError):
        return None


# --- libc ----------------------------------------------------------------------------------
def glibc_version_string():
    try:
        s = os.confstr("CS_GNU_LIBC_VERSION")
        if s is not None:
            return s.rsplit()[1]
    except (AttributeError, OSError, ValueError, IndexError):
        pass
    try:
        import ctypes
    except ImportError:
        return None
    try:
        ns = ctypes.CDLL(None)
    except OSError:
        return None
    try:
        fn = ns.gnu_get_libc_version
    except AttributeError:
        return None
    fn.restype = ctypes.c_char_p
    v = fn()
    if isinstance(v, bytes):
        v = v.decode("ascii")
    return v


def glibc_version():
    s = glibc_version_string()
    if s is None:
        return (-1, -1)
    m = re.match(r"(?P<major>[0-9]+)\.(?P<minor>[0-9]+)", s)
    if not m:
        return (-1, -1)
    return (int(m.group("major")), int(m.group("minor")))


_MUSL = []


def musl_version():
    if _MUSL:
        return _MUSL[0]
    result = None
    info = elf_info(sys.executable)
    ld = info[4] if info else None
    if ld is not None and "musl" in ld:
        try:
            proc = subprocess.Popen([ld], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _, err = proc.communicate()
            lines = [n for n in (n.strip() for n in err.decode("utf-8", "replace").splitlines()) if n]
            if len(lines) >= 2 and lines[0][:4] == "musl":
                m = re.match(r"Version (\d+)\.(\d+)", lines[1])
                if m:
                    result = (int(m.group(1)), int(m.group(2)))
        except OSError:
            result = None
    _MUSL.append(result)
    return result


# --- platforms -----------------------------------------------------------------------------
ALLOWED_ARCHS = set(["x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64"])
LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


def have_compatible_abi(archs):
    if "armv7l" in archs:
        i = elf_info(sys.executable)
        return (i is not None and i[0] == 1 and i[1] == 1 and i[2] == 40
                and i[3] & 0xFF000000 == 0x05000000 and i[3] & 0x400 == 0x400)
    if "i686" in archs:
        i = elf_info(sys.executable)
        return i is not None and i[0] == 1 and i[1] == 1 and i[2] == 3
    return any(a in ALLOWED_ARCHS for a in archs)


def manylinux_module():
    try:
        return __import__("_manylinux")
    except ImportError:
        return None


def manylinux_compatible(arch, version, sys_glibc, mod):
    if sys_glibc < version:
        return False
    if mod is None:
        return True
    if hasattr(mod, "manylinux_compatible"):
        r = mod.manylinux_compatible(version[0], version[1], arch)
        if r is not None:
            return bool(r)
        return True
    if version == (2, 5) and hasattr(mod, "manylinux1_compatible"):
        return bool(mod.manylinux1_compatible)
    if version == (2, 12) and hasattr(mod, "manylinux2010_compatible"):
        return bool(mod.manylinux2010_compatible)
    if version == (2, 17) and hasattr(mod, "manylinux2014_compatible"):
        return bool(mod.manylinux2014_compatible)
    return True


def manylinux_platforms(archs):
    tags = []
    if not have_compatible_abi(archs):
        return tags
    too_old = (2, 16)
    if set(archs) & set(["x86_64", "i686"]):
        too_old = (2, 4)
    current = glibc_version()
    maxes = [current]
    for major in range(current[0] - 1, 1, -1):
        maxes.append((major, 50))
    mod = manylinux_module()
    for arch in archs:
        for gmax in maxes:
            min_minor = too_old[1] if gmax[0] == too_old[0] else -1
            for minor in range(gmax[1], min_minor, -1):
                v = (gmax[0], minor)
                if manylinux_compatible(arch, v, current, mod):
                    tags.append("manylinux_%d_%d_%s" % (v[0], v[1], arch))
                    if v in LEGACY_MANYLINUX:
                        tags.append("%s_%s" % (LEGACY_MANYLINUX[v], arch))
    return tags


def musllinux_platforms(archs):
    v = musl_version()
    tags = []
    if v is None:
        return tags
    for arch in archs:
        for minor in range(v[1], -1, -1):
            tags.append("musllinux_%d_%d_%s" % (v[0], minor, arch))
    return tags


def linux_platforms():
    linux = normalize(sysconfig.get_platform())
    if not linux.startswith("linux_"):
        return [linux]
    if IS_32BIT:
        if linux == "linux_x86_64":
            linux = "linux_i686"
        elif linux == "linux_aarch64":
            linux = "linux_armv8l"
    arch = linux.split("_", 1)[1]
    archs = {"armv8l": ["armv8l", "armv7l"]}.get(arch, [arch])
    tags = ["linux_%s" % a for a in archs]
    tags.extend(manylinux_platforms(archs))
    tags.extend(musllinux_platforms(archs))
    return tags


def mac_binary_formats(version, cpu_arch):
    formats = [cpu_arch]
    if cpu_arch == "x86_64":
        if version < (10, 4):
            return []
        formats.extend(["intel", "fat64", "fat3"])
    elif cpu_arch == "i386":
        if version < (10, 4):
            return []
        formats.extend(["intel", "fat3", "fat"])
    elif cpu_arch == "ppc64":
        if version > (10, 5) or version < (10, 4):
            return []
        formats.append("fat64")
    elif cpu_arch == "ppc":
        if version > (10, 6):
            return []
        formats.extend(["fat3", "fat"])
    if cpu_arch in ("arm64", "x86_64"):
        formats.append("universal2")
    if cpu_arch in ("x86_64", "i386", "ppc64", "ppc", "intel"):
        formats.append("universal")
    return formats


def mac_platforms():
    version_str, _, cpu_arch = platform.mac_ver()
    version = tuple(map(int, version_str.split(".")[:2]))
    if version == (10, 16):
        env = {"SYSTEM_VERSION_COMPAT": "0"}
        proc = subprocess.Popen([sys.executable, "-sS", "-c",
                                 "import platform; print(platform.mac_ver()[0])"],
                                stdout=subprocess.PIPE, env=env)
        stdout, _ = proc.communicate()
        version = tuple(map(int, stdout.decode("ascii").strip().split(".")[:2]))
    if IS_32BIT:
        arch = "ppc" if cpu_arch.startswith("ppc") else "i386"
    else:
        arch = cpu_arch
    tags = []
    if (10, 0) <= version < (11, 0):
        for minor in range(version[1], -1, -1):
            for fmt in mac_binary_formats((10, minor), arch):
                tags.append("macosx_10_%d_%s" % (minor, fmt))
    if version >= (11, 0):
        for major in range(version[0], 10, -1):
            for fmt in mac_binary_formats((major, 0), arch):
                tags.append("macosx_%d_0_%s" % (major, fmt))
        if arch == "x86_64":
            for minor in range(16, 3, -1):
                for fmt in mac_binary_formats((10, minor), arch):
                    tags.append("macosx_10_%d_%s" % (minor, fmt))
        else:
            for minor in range(16, 3, -1):
                tags.append("macosx_10_%d_universal2" % minor)
    return tags


def platform_tags():
    system = platform.system()
    if system == "Darwin":
        return mac_platforms()
    if system == "Linux":
        return linux_platforms()
    return [normalize(sysconfig.get_platform())]


# --- interpreter and ABI ---------------------------------------------------------------------
def interpreter_name():
    name = sys.implementation.name
    return INTERPRETER_SHORT_NAMES.get(name) or name


def interpreter_version():
    v = cvar("py_version_nodot")
    return str(v) if v else nodot(sys.version_info[:2])


def cpython_abis(py_version):
    version = nodot(py_version[:2])
    threading = debug = pymalloc = ucs4 = ""
    with_debug = cvar("Py_DEBUG")
    has_refcount = hasattr(sys, "gettotalrefcount")
    has_ext = "_d.pyd" in EXTENSION_SUFFIXES
    if with_debug or (with_debug is None and (has_refcount or has_ext)):
        debug = "d"
    if py_version >= (3, 13) and cvar("Py_GIL_DISABLED"):
        threading = "t"
    if py_version < (3, 8):
        with_pymalloc = cvar("WITH_PYMALLOC")
        if with_pymalloc or with_pymalloc is None:
            pymalloc = "m"
    abis = ["cp%s%s%s%s%s" % (version, threading, debug, pymalloc, ucs4)]
    if py_version >= (3, 8) and debug:
        abis.append("cp%s%s" % (version, threading))
    return abis


def is_threaded(abis):
    for abi in abis:
        if abi == "abi3t":
            return True
        m = re.match(r"cp\d+(.*)", abi)
        if m:
            return "t" in m.group(1)
    return False


def cpython_tags(platforms):
    py_version = tuple(sys.version_info[:2])
    interpreter = "cp" + nodot(py_version)
    abis = cpython_abis(py_version)
    threading = is_threaded(abis)
    for explicit in (("abi3", "abi3t", "none") if threading else ("abi3", "none")):
        if explicit in abis:
            abis.remove(explicit)
    tags = []
    for abi in abis:
        for p in platforms:
            tags.append((interpreter, abi, p))
    use_abi3 = py_version >= (3, 2) and not threading
    use_abi3t = py_version >= (3, 2) and threading
    if use_abi3:
        tags.extend((interpreter, "abi3", p) for p in platforms)
    if use_abi3t:
        tags.extend((interpreter, "abi3t", p) for p in platforms)
    tags.extend((interpreter, "none", p) for p in platforms)
    if use_abi3 or use_abi3t:
        for minor in range(py_version[1] - 1, 1, -1):
            for p in platforms:
                older = "cp" + nodot((py_version[0], minor))
                if use_abi3:
                    tags.append((older, "abi3", p))
                if use_abi3t:
                    tags.append((older, "abi3t", p))
    return tags


def generic_abi():
    ext_suffix = cvar("EXT_SUFFIX")
    if not isinstance(ext_suffix, str) or not ext_suffix.startswith("."):
        raise SystemError("invalid sysconfig.get_config_var('EXT_SUFFIX')")
    parts = ext_suffix.split(".")
    if len(parts) < 3:
        return cpython_abis(tuple(sys.version_info[:2]))
    soabi = parts[1]
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return []
    return [normalize(abi)]


def generic_tags(platforms):
    interpreter = interpreter_name() + interpreter_version()
    abis = generic_abi()
    if "none" not in abis:
        abis.append("none")
    return [(interpreter, abi, p) for abi in abis for p in platforms]


def py_interpreter_range(py_version):
    out_ = ["py" + nodot(py_version[:2]), "py%d" % py_version[0]]
    for minor in range(py_version[1] - 1, -1, -1):
        out_.append("py" + nodot((py_version[0], minor)))
    return out_


def compatible_tags(interpreter, platforms):
    py_version = tuple(sys.version_info[:2])
    tags = []
    for version in py_interpreter_range(py_version):
        for p in platforms:
            tags.append((version, "none", p))
    if interpreter:
        tags.append((interpreter, "none", "any"))
    for version in py_interpreter_range(py_version):
        tags.append((version, "none", "any"))
    return tags


def sys_tags():
    platforms = platform_tags()
    name = interpreter_name()
    if name == "cp":
        tags = cpython_tags(platforms)
    else:
        tags = generic_tags(platforms)
    if name == "pp":
        interp = "pp3"
    elif name == "cp":
        interp = "cp" + interpreter_version()
    else:
        interp = None
    tags.extend(compatible_tags(interp, platforms))
    return [[t[0].lower(), t[1].lower(), t[2].lower()] for t in tags]


# --- markers ---------------------------------------------------------------------------------
def format_full_version(info):
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def markers():
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": format_full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


# --- tools -----------------------------------------------------------------------------------
def find_spec(name):
    try:
        import importlib.util
        return importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None


def pip_version():
    spec = find_spec("pip")
    if spec is None:
        return None
    origin = getattr(spec, "origin", None)
    if origin and os.path.isfile(origin):
        try:
            with open(origin, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            m = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", text)
            if m:
                return m.group(1)
        except OSError:
            pass
    try:
        import importlib.metadata
        return importlib.metadata.version("pip")
    except Exception:
        return None


def ensurepip_available():
    if find_spec("ensurepip") is None:
        return False
    try:
        import ensurepip
        return bool(ensurepip.version())
    except Exception:
        return False


def main():
    paths = sysconfig.get_paths()
    libc = None
    if sys.platform.startswith("linux"):
        g = glibc_version()
        if g != (-1, -1):
            libc = {"kind": "glibc", "version": "%d.%d" % g}
        else:
            m = musl_version()
            if m is not None:
                libc = {"kind": "musl", "version": "%d.%d" % m}
    out.update({
        "implementation": sys.implementation.name,
        "free_threaded": bool(cvar("Py_GIL_DISABLED")),
        "real_executable": os.path.realpath(sys.executable) if sys.executable else None,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "include": paths.get("include"),
        "purelib": paths.get("purelib"),
        "markers": markers(),
        "libc": libc,
        "pip_version": pip_version(),
        "has_venv": find_spec("venv") is not None,
        "has_ensurepip": ensurepip_available(),
        "tags": sys_tags(),
    })
    emit(out)


main()
