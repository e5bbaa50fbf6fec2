//! Plain words for people: the text renderings of `app`'s typed responses, shared by the CLI and
//! the console so both say the same thing the same way.
//!
//! Owns: tables, short digests, sizes and descriptions of trust roots in words. Must not touch:
//! deciding anything, the ledger, stdout (callers print or serve what these return). Every
//! outside string is escaped here (`text::escape`) before it reaches a line.

pub mod import;
pub mod ledger;
pub mod push;
pub mod trust;
pub mod verify;
