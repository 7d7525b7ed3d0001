//! A plugin in a private, unreferenced module is registered.
mod hidden {
    mod deeper {
        use pipeplug::prelude::*;

        /// Hidden away.
        #[processor(name = "processor_hidden")]
        struct Hidden;

        impl Processor for Hidden {}
        impl ProcessorV1 for Hidden {
            fn process_logs(&mut self, logs: Vec<Log>) -> Vec<Log> {
                logs
            }
        }
    }
}

fn main() {
    let reg = pipeplug::registry::global().unwrap();
    let d = reg.get(pipeplug::registry::PluginKind::Processor, "processor_hidden").unwrap();
    assert_eq!(d.description, "Hidden away.");
}
