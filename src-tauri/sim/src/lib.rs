//! The simulated tenant (see issue 3).
