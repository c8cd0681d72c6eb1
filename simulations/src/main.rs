//! Simulation harness (filled by the simulations issue).

fn main() {
    eprintln!("no scenarios yet");
}
