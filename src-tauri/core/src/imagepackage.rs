//! Reads `.imagepackage` files (filled in by the reader work).
