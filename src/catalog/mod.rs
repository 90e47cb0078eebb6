//! The issue catalog (the runbook's Appendix B): the common reasons a package does not install
//! from a wheel, each with a stable id, its cause and its remedies, and what building a
//! well-known package from source needs ([`build_needs`]). Pure: tables and matching, no I/O.
//!
//! An entry is found two ways, both here:
//! - from what the assessment found ([`gap`]): a version's files seen from a target, typed
//!   (tags, platforms, requires-python), never the reason's wording;
//! - from an installer's output ([`installer`]): pip's and uv's messages ("Failed building wheel
//!   for", "Python.h: No such file or directory", "No matching distribution found", uv's tag
//!   hints, ...), most specific first.
//!
//! `check` shows each problem's short remedy ([`Entry::hint`]), `fallback`/`reset` name the
//! entry when an install fails, and `wheelwatch explain` prints whole entries.

pub(crate) mod gap;
pub(crate) mod installer;
pub(crate) mod render;

use std::fmt;

use serde::{Deserialize, Serialize};

/// A catalog entry's id (kebab-case in every output).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueId {
    /// No wheel for this CPython version yet (wheels exist for older ones).
    NoWheelForPython,
    /// Every file's `requires-python` excludes the target's Python.
    RequiresPython,
    /// The manylinux wheels need a newer glibc than the target has.
    ManylinuxTooNew,
    /// Linux wheels exist, but none for musl (Alpine).
    NoMusllinuxWheel,
    /// The macOS wheels need a newer macOS than the target.
    MacosTooNew,
    /// Wheels exist for this CPython, but none for its free-threaded build.
    NoFreeThreadedWheel,
    /// Wheels exist, but none for this operating system or architecture.
    NoWheelForPlatform,
    /// No wheel at all, only a source distribution: installing builds it.
    SdistOnly,
    /// A source build found no C compiler.
    BuildNoCompiler,
    /// A source build found no `Python.h`.
    BuildNoPythonHeaders,
    /// A source build found no development files of a system library.
    BuildNoSystemLibrary,
    /// A source build found no Rust toolchain.
    BuildNoRust,
    /// A source build imports `distutils`, removed in Python 3.12.
    DistutilsRemoved,
    /// A source build failed for another reason.
    BuildFailed,
    /// The index has no file of the requested version that installs here.
    NoMatchingDistribution,
}

impl IssueId {
    /// Every entry, in catalog order.
    #[cfg(test)]
    pub(crate) const ALL: [Self; 15] = [
        Self::NoWheelForPython,
        Self::RequiresPython,
        Self::ManylinuxTooNew,
        Self::NoMusllinuxWheel,
        Self::MacosTooNew,
        Self::NoFreeThreadedWheel,
        Self::NoWheelForPlatform,
        Self::SdistOnly,
        Self::BuildNoCompiler,
        Self::BuildNoPythonHeaders,
        Self::BuildNoSystemLibrary,
        Self::BuildNoRust,
        Self::DistutilsRemoved,
        Self::BuildFailed,
        Self::NoMatchingDistribution,
    ];

    /// The id as written everywhere (`no-wheel-for-python`).
    pub(crate) fn key(self) -> &'static str {
        self.entry().key
    }

    /// The entry.
    pub(crate) fn entry(self) -> &'static Entry {
        ENTRIES
            .iter()
            .find(|e| e.id == self)
            .expect("every id has an entry")
    }

    /// Whether the problem is about building from source (the environment can fix it), not
    /// about which wheels the project publishes.
    pub(crate) fn is_build_problem(self) -> bool {
        matches!(
            self,
            Self::BuildNoCompiler
                | Self::BuildNoPythonHeaders
                | Self::BuildNoSystemLibrary
                | Self::BuildNoRust
                | Self::DistutilsRemoved
                | Self::BuildFailed
        )
    }
}

impl fmt::Display for IssueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// One catalog entry.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The id.
    pub id: IssueId,
    /// The id as text.
    pub key: &'static str,
    /// A title.
    pub title: &'static str,
    /// Why it happens.
    pub cause: &'static str,
    /// What to do, most effective first.
    pub remedies: &'static [&'static str],
    /// The first remedy, short enough for a report line.
    pub hint: &'static str,
}

/// The catalog.
pub(crate) static ENTRIES: [Entry; 15] = [
    Entry {
        id: IssueId::NoWheelForPython,
        key: "no-wheel-for-python",
        title: "No wheel for this CPython version yet",
        cause: "The project publishes wheels per CPython version (cp311, cp312, ...) and has not \
                published one for this version, usually because the release predates it.",
        remedies: &[
            "Allow a newer release of the package that has a wheel for this Python.",
            "Use a fallback Python the wheels exist for (`wheelwatch fallback`).",
            "Build from source with the toolchain it needs (a C compiler and Python.h at least).",
            "Ask the project for wheels for this Python (`wheelwatch report upstream`).",
        ],
        hint: "allow a release with a wheel for this Python, or use a fallback Python",
    },
    Entry {
        id: IssueId::RequiresPython,
        key: "requires-python",
        title: "requires-python excludes this Python",
        cause: "The project declares (Requires-Python) that these releases do not support this \
                Python version, so installers skip them.",
        remedies: &[
            "Pin an older release that still supports this Python, or move to a Python the \
             release supports.",
            "Check the project's changelog for the supported Python versions.",
        ],
        hint: "pin a release that supports this Python, or use a Python it supports",
    },
    Entry {
        id: IssueId::ManylinuxTooNew,
        key: "manylinux-too-new",
        title: "The manylinux wheels need a newer glibc",
        cause: "The Linux wheels are built for a newer glibc (manylinux_2_X) than the target \
                has, so the target cannot use them.",
        remedies: &[
            "Deploy on a distribution with a newer glibc (the wheel's manylinux_2_X is the \
             minimum), e.g. a newer base image.",
            "Pin an older release built for an older manylinux.",
            "Build from source on the target.",
        ],
        hint: "use a newer glibc (base image), or pin a release built for an older manylinux",
    },
    Entry {
        id: IssueId::NoMusllinuxWheel,
        key: "no-musllinux-wheel",
        title: "No musllinux wheel (Alpine)",
        cause: "The project publishes manylinux (glibc) wheels only; musl-based systems such as \
                Alpine cannot use them.",
        remedies: &[
            "Use a glibc-based image (Debian, Ubuntu, RHEL) instead of Alpine.",
            "Build from source on the musl target (apk add build-base python3-dev and the \
             library headers it needs).",
            "Ask the project for musllinux wheels (`wheelwatch report upstream`).",
        ],
        hint: "use a glibc-based image, or build from source there",
    },
    Entry {
        id: IssueId::MacosTooNew,
        key: "macos-too-new",
        title: "The macOS wheels need a newer macOS",
        cause: "The macOS wheels are built for a newer macOS (macosx_X_Y) than the target, so \
                the target cannot use them.",
        remedies: &[
            "Target a newer macOS (the wheel's macosx_X_Y is the minimum).",
            "Pin an older release built for an older macOS.",
            "Build from source on the target (Xcode command line tools).",
        ],
        hint: "target a newer macOS, or pin a release built for an older one",
    },
    Entry {
        id: IssueId::NoFreeThreadedWheel,
        key: "no-free-threaded-wheel",
        title: "No free-threaded wheel",
        cause: "Wheels exist for this CPython version but not for its free-threaded build \
                (cp313t), whose ABI is different; abi3 wheels do not apply to it either.",
        remedies: &[
            "Use the regular (GIL) build of this Python for now.",
            "Build from source; many extensions need changes before they support free \
             threading.",
            "Ask the project for free-threaded wheels (`wheelwatch report upstream`).",
        ],
        hint: "use the regular build of this Python, or build from source",
    },
    Entry {
        id: IssueId::NoWheelForPlatform,
        key: "no-wheel-for-platform",
        title: "No wheel for this platform",
        cause: "Wheels exist for this Python, but not for this operating system or CPU \
                architecture.",
        remedies: &[
            "Pin a release that has a wheel for this platform, or deploy on a platform it \
             has wheels for.",
            "Build from source on the target.",
            "Ask the project for wheels for this platform (`wheelwatch report upstream`).",
        ],
        hint: "pin a release with a wheel for this platform, or build from source there",
    },
    Entry {
        id: IssueId::SdistOnly,
        key: "sdist-only",
        title: "Only a source distribution",
        cause: "The project publishes no wheel that fits (or none at all), only an sdist: \
                installing it builds it, which needs the build toolchain on every machine.",
        remedies: &[
            "Install the build toolchain: a C compiler, the Python headers (Python.h) and the \
             system libraries the package needs (`wheelwatch explain PACKAGE` lists known ones).",
            "Build the wheel once and serve it from a local wheelhouse (`--find-links`).",
            "Pin a release that has a wheel, if one exists.",
        ],
        hint: "install a compiler, Python.h and its libraries, or build the wheel once and serve it",
    },
    Entry {
        id: IssueId::BuildNoCompiler,
        key: "build-no-compiler",
        title: "The source build found no C compiler",
        cause: "The package was built from source, and its build runs a C compiler (gcc or cc) \
                that is not installed.",
        remedies: &[
            "Install a compiler: `apt-get install build-essential` (Debian/Ubuntu), `dnf install \
             gcc` (Fedora/RHEL), `apk add build-base` (Alpine), `xcode-select --install` (macOS).",
            "Or avoid the build: use a version or Python with a wheel.",
        ],
        hint: "install a C compiler (build-essential), or use a version or Python with a wheel",
    },
    Entry {
        id: IssueId::BuildNoPythonHeaders,
        key: "build-no-python-headers",
        title: "The source build found no Python.h",
        cause: "The package compiles a C extension against the interpreter's headers, which are \
                not installed for this interpreter.",
        remedies: &[
            "Install the headers: `apt-get install python3-dev` (or python3.X-dev), `dnf install \
             python3-devel`, `apk add python3-dev`; pyenv and uv interpreters include them.",
            "Or avoid the build: use a version or Python with a wheel.",
        ],
        hint: "install the Python headers (python3-dev), or use a version or Python with a wheel",
    },
    Entry {
        id: IssueId::BuildNoSystemLibrary,
        key: "build-no-system-library",
        title: "The source build found no system library",
        cause: "The package links against a system library whose development files (headers, \
                pkg-config or *-config tools) are not installed.",
        remedies: &[
            "Install the library's development package (`wheelwatch explain` names it for \
             well-known packages).",
            "Or use the package's binary flavour when it has one (psycopg2-binary).",
            "Or avoid the build: use a version or Python with a wheel.",
        ],
        hint: "install the library's development package, or use a version or Python with a wheel",
    },
    Entry {
        id: IssueId::BuildNoRust,
        key: "build-no-rust",
        title: "The source build found no Rust toolchain",
        cause: "The package has Rust extensions (setuptools-rust, maturin) and no Rust compiler \
                or cargo is installed.",
        remedies: &[
            "Install Rust (rustup, or the distribution's rustc and cargo packages).",
            "Or avoid the build: use a version or Python with a wheel.",
        ],
        hint: "install Rust (rustup), or use a version or Python with a wheel",
    },
    Entry {
        id: IssueId::DistutilsRemoved,
        key: "distutils-removed",
        title: "The build needs distutils, removed in Python 3.12",
        cause: "distutils left the standard library in Python 3.12 (PEP 632); builds (or \
                packages) that import it fail there.",
        remedies: &[
            "Use a release of the package that supports Python 3.12 (it has a wheel, or builds \
             without distutils).",
            "Use a Python before 3.12 for this package (`wheelwatch fallback`).",
            "When only your own code imports it, install setuptools, which provides a \
             distutils shim.",
        ],
        hint: "use a release that supports 3.12, or a Python before 3.12",
    },
    Entry {
        id: IssueId::BuildFailed,
        key: "build-failed",
        title: "The source build failed",
        cause: "The package was built from source (no wheel fitted) and the build failed; the \
                installer's output above the failure says why.",
        remedies: &[
            "Read the first error in the build output; the package's install docs list its \
             build requirements.",
            "Avoid the build: use a version or Python with a wheel.",
        ],
        hint: "use a version or Python with a wheel, or fix the build (see its first error)",
    },
    Entry {
        id: IssueId::NoMatchingDistribution,
        key: "no-matching-distribution",
        title: "No matching distribution",
        cause: "The index has no file of the requested versions that installs here: the version \
                does not exist, is yanked, or has no file for this Python and platform.",
        remedies: &[
            "Check the name, the version and the index URL.",
            "`wheelwatch explain PACKAGE` shows which versions have which wheels per target.",
        ],
        hint: "check the name, version and index; `wheelwatch explain PACKAGE` shows the wheels",
    },
];

/// What building a well-known package from source needs beyond a compiler and Python.h.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BuildNeeds {
    /// Normalized project names.
    pub packages: &'static [&'static str],
    /// The system libraries (or tools), as people name them.
    pub libraries: &'static str,
    /// Debian/Ubuntu packages.
    pub debian: &'static str,
    /// Fedora/RHEL packages.
    pub fedora: &'static str,
    /// Alpine packages.
    pub alpine: &'static str,
    /// Text in a failed build's output that names this library missing.
    pub signatures: &'static [&'static str],
}

/// Known build needs of popular packages.
pub(crate) static BUILD_NEEDS: [BuildNeeds; 14] = [
    BuildNeeds {
        packages: &["psycopg2"],
        libraries: "libpq (pg_config)",
        debian: "libpq-dev",
        fedora: "libpq-devel",
        alpine: "postgresql-dev",
        signatures: &["pg_config executable not found", "libpq-fe.h: No such file"],
    },
    BuildNeeds {
        packages: &["lxml"],
        libraries: "libxml2 and libxslt",
        debian: "libxml2-dev libxslt1-dev",
        fedora: "libxml2-devel libxslt-devel",
        alpine: "libxml2-dev libxslt-dev",
        signatures: &[
            "libxml2 and libxslt development packages",
            "libxml/xmlversion.h: No such file",
            "xslt-config: not found",
        ],
    },
    BuildNeeds {
        packages: &["mysqlclient"],
        libraries: "the MySQL/MariaDB client library",
        debian: "default-libmysqlclient-dev pkg-config",
        fedora: "mariadb-connector-c-devel pkgconf",
        alpine: "mariadb-connector-c-dev pkgconf",
        signatures: &[
            "mysql_config not found",
            "Can not find valid pkg-config name",
        ],
    },
    BuildNeeds {
        packages: &["cffi"],
        libraries: "libffi",
        debian: "libffi-dev",
        fedora: "libffi-devel",
        alpine: "libffi-dev",
        signatures: &["ffi.h: No such file"],
    },
    BuildNeeds {
        packages: &["cryptography", "pyopenssl"],
        libraries: "OpenSSL (and Rust for cryptography ≥ 3.4)",
        debian: "libssl-dev",
        fedora: "openssl-devel",
        alpine: "openssl-dev",
        signatures: &[
            "openssl/opensslv.h: No such file",
            "openssl/ssl.h: No such file",
        ],
    },
    BuildNeeds {
        packages: &["pillow"],
        libraries: "libjpeg and zlib",
        debian: "libjpeg-dev zlib1g-dev",
        fedora: "libjpeg-turbo-devel zlib-devel",
        alpine: "jpeg-dev zlib-dev",
        signatures: &["The headers or library files could not be found for jpeg"],
    },
    BuildNeeds {
        packages: &["numpy", "scipy"],
        libraries: "BLAS/LAPACK (OpenBLAS), and a Fortran compiler for scipy",
        debian: "libopenblas-dev gfortran",
        fedora: "openblas-devel gcc-gfortran",
        alpine: "openblas-dev gfortran",
        signatures: &[
            "Dependency \"OpenBLAS\" not found",
            "No BLAS library detected",
        ],
    },
    BuildNeeds {
        packages: &["python-ldap"],
        libraries: "OpenLDAP and Cyrus SASL",
        debian: "libldap2-dev libsasl2-dev",
        fedora: "openldap-devel cyrus-sasl-devel",
        alpine: "openldap-dev cyrus-sasl-dev",
        signatures: &["lber.h: No such file", "sasl/sasl.h: No such file"],
    },
    BuildNeeds {
        packages: &["pyodbc"],
        libraries: "unixODBC",
        debian: "unixodbc-dev",
        fedora: "unixODBC-devel",
        alpine: "unixodbc-dev",
        signatures: &["sql.h: No such file"],
    },
    BuildNeeds {
        packages: &["pycairo"],
        libraries: "cairo",
        debian: "libcairo2-dev pkg-config",
        fedora: "cairo-devel pkgconf",
        alpine: "cairo-dev pkgconf",
        signatures: &["Dependency \"cairo\" not found"],
    },
    BuildNeeds {
        packages: &["h5py"],
        libraries: "HDF5",
        debian: "libhdf5-dev",
        fedora: "hdf5-devel",
        alpine: "hdf5-dev",
        signatures: &["hdf5.h: No such file", "Unable to load dependency HDF5"],
    },
    BuildNeeds {
        packages: &["pyaudio"],
        libraries: "PortAudio",
        debian: "portaudio19-dev",
        fedora: "portaudio-devel",
        alpine: "portaudio-dev",
        signatures: &["portaudio.h: No such file"],
    },
    BuildNeeds {
        packages: &["pycurl"],
        libraries: "libcurl",
        debian: "libcurl4-openssl-dev libssl-dev",
        fedora: "libcurl-devel openssl-devel",
        alpine: "curl-dev openssl-dev",
        signatures: &["curl-config", "curl/curl.h: No such file"],
    },
    BuildNeeds {
        packages: &["shapely"],
        libraries: "GEOS",
        debian: "libgeos-dev",
        fedora: "geos-devel",
        alpine: "geos-dev",
        signatures: &["geos-config", "geos_c.h: No such file"],
    },
];

/// What building `package` (a normalized name) needs beyond a compiler and Python.h, when it is
/// a well-known one.
pub(crate) fn build_needs(package: &str) -> Option<&'static BuildNeeds> {
    let name = normalize(package);
    BUILD_NEEDS
        .iter()
        .find(|b| b.packages.iter().any(|p| *p == name))
}

/// PEP 503 normalization (lower case, runs of `-_.` as one `-`).
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_one_entry_with_its_key() {
        for id in IssueId::ALL {
            assert_eq!(ENTRIES.iter().filter(|e| e.id == id).count(), 1, "{id:?}");
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, format!("\"{}\"", id.key()));
        }
    }

    #[test]
    fn build_needs_of_well_known_packages() {
        assert_eq!(build_needs("psycopg2").unwrap().debian, "libpq-dev");
        assert_eq!(
            build_needs("LXML").unwrap().libraries,
            "libxml2 and libxslt"
        );
        assert_eq!(build_needs("PyOpenSSL").unwrap().debian, "libssl-dev");
        assert!(build_needs("six").is_none());
    }
}
