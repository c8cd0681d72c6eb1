//! The badgemesh node: durable store, libp2p networking and the local HTTP API.
