//! pipeplug inside LoongCollector: a shared library that LoongCollector's C++ core loads in
//! place of its Go plugin library, running pipeplug pipelines behind the same C ABI.

pub mod proto;
