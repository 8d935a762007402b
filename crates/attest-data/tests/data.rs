//! The crate's integration tests, linked into one binary: each module was its own test
//! target, but every target links the whole dependency stack (hundreds of MB each in a debug
//! build), so one binary saves CI disk and link time, and its tests run in parallel.

mod check;
mod containment;
mod dicom;
mod images;
mod table;
