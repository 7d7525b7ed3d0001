//! Depends on the example collection but names nothing of it: rustc does not link it, so
//! none of its plugins register. Prints the registry (empty).

fn main() {
    let registry = pipeplug::registry::global().expect("registry without duplicates");
    for plugin in registry.iter() {
        println!("{}", plugin.name);
    }
}
