//! Workspace-level tests that cross lesson boundaries live in `cross.rs`;
//! this library is empty and exists only because a package needs a target
//! besides its tests.
