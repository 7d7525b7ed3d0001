//! Names the example collection's `all` module once, as an agent does; prints the registry.

pipeplug::link!(example_plugin::all);

fn main() {
    let registry = pipeplug::registry::global().expect("registry without duplicates");
    for plugin in registry.iter() {
        println!("{}", plugin.name);
    }
}
