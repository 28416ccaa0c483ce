//! Nothing here: the package holds revops' criterion benches (see
//! `README.md`); each bench is its own target.
