//! Names the example collection's `all` module once, as an agent does; prints the registry.

use example_plugin::all as _;

fn main() {
    let registry = pipeplug::registry::global().expect("registry without duplicates");
    for plugin in registry.iter() {
        println!("{}", plugin.name);
    }
}
