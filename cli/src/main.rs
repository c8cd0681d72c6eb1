//! The `badgemesh` command.

fn main() {
    println!("badgemesh {}", env!("CARGO_PKG_VERSION"));
}
