//! Malformed and odd local input (issue 8, sections 2, 5, 6 and 7): a bounded fuzz pass over
//! every parser of outside input, lock files and requirement files that pin one project twice,
//! and the whole user-visible answer (stderr line, exit code, stdout) to inputs that are wrong,
//! odd or carry credentials.

mod fuzz;
mod lock;
mod secrets;
mod usage;
