//! Python interpreters on this machine: discovery (PATH, pyenv, uv, system dirs, virtual
//! environments) and probing (run once, argv only, trust nothing until it answers).
//!
//! STUB: to be completed.
