//! What the HTML pages of every fraudloop service share (drift-monitor's report page, the web
//! UI): how numbers, shares and times read ([`format`]), and the escaping of strings taken from
//! data.
//!
//! **Architecture invariant:** plain text and [`maud::Render`] values only; no HTTP, no IO.
#![deny(missing_docs)]

pub mod format;
