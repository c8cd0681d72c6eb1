//! One integration-test binary: one link step for all multi-node tests.
