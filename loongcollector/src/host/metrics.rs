//! The structures `GetGoMetrics` and `GetGoAlarms` return, laid out as the core declares
//! them (the C structures below), every part allocated with `malloc` since the
//! core frees each with `free`: strings, each key/value pair, each record, the arrays and
//! the top structure.
//!
//! A metric record is a list of `key → value` texts: labels as `label.<name>`, values as
//! `value.<name>`, the form the core's metric export reads. One record per running
//! pipeline ([`super::Host::metric_records`]):
//!
//! | key | value |
//! |---|---|
//! | `label.metric_category` | `runner` |
//! | `label.project`, `label.logstore` | from `LoadPipeline` |
//! | `label.pipeline_name` | the config name (with `/1` or `/2`) |
//! | `label.plugin_library` | `pipeplug` |
//! | `value.in_events_total` | events accepted into the pipeline |
//! | `value.flushed_events_total` | events its flushers have flushed (all flushers) |
//! | `value.plugin_panics_total` | plugin panics caught |

use super::alarms::Alarm;
use std::ffi::{c_char, c_int};

/// `InnerKeyValue`.
#[repr(C)]
#[derive(Debug)]
pub struct InnerKeyValue {
    /// NUL-terminated, `malloc`'d.
    pub key: *mut c_char,
    /// NUL-terminated, `malloc`'d.
    pub value: *mut c_char,
}

/// `InnerPluginMetric`: one record.
#[repr(C)]
#[derive(Debug)]
pub struct InnerPluginMetric {
    /// `count` pointers.
    pub key_values: *mut *mut InnerKeyValue,
    /// How many.
    pub count: c_int,
}

/// `InnerPluginMetrics`: what `GetGoMetrics` returns.
#[repr(C)]
#[derive(Debug)]
pub struct InnerPluginMetrics {
    /// `count` pointers.
    pub metrics: *mut *mut InnerPluginMetric,
    /// How many.
    pub count: c_int,
}

/// `InnerGoAlarm`.
#[repr(C)]
#[derive(Debug)]
pub struct InnerGoAlarm {
    /// The alarm's type.
    pub alarm_type: *mut c_char,
    /// `"1"`, `"2"` or `"3"`.
    pub alarm_level: *mut c_char,
    /// The message.
    pub alarm_message: *mut c_char,
    /// The project.
    pub project_name: *mut c_char,
    /// The logstore.
    pub category: *mut c_char,
    /// The config name.
    pub config: *mut c_char,
    /// How many times.
    pub count: c_int,
}

/// `InnerGoAlarms`: what `GetGoAlarms` returns.
#[repr(C)]
#[derive(Debug)]
pub struct InnerGoAlarms {
    /// `count` pointers.
    pub alarms: *mut *mut InnerGoAlarm,
    /// How many.
    pub count: c_int,
}

/// `s` as a NUL-terminated copy allocated with `malloc` (a NUL inside `s` ends it there);
/// NULL when `malloc` fails.
#[must_use]
pub fn malloc_cstr(s: &str) -> *mut c_char {
    let bytes = s.as_bytes();
    let len = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    // SAFETY: malloc of len + 1 bytes; we write exactly that many.
    unsafe {
        let p = libc::malloc(len + 1).cast::<u8>();
        if p.is_null() {
            return std::ptr::null_mut();
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, len);
        *p.add(len) = 0;
        p.cast()
    }
}

/// A `malloc`'d array of `items` (NULL when `malloc` fails; a 1-byte block when empty, so
/// that it is never NULL for the core to free).
fn malloc_array<T>(items: &[*mut T]) -> *mut *mut T {
    let size = size_of_val(items).max(1);
    // SAFETY: malloc of `size` bytes, then `items.len()` pointers written into it.
    unsafe {
        let p = libc::malloc(size).cast::<*mut T>();
        if !p.is_null() {
            std::ptr::copy_nonoverlapping(items.as_ptr(), p, items.len());
        }
        p
    }
}

/// One `malloc`'d `T`.
fn malloc_one<T>(value: T) -> *mut T {
    // SAFETY: malloc of one T, written before it is returned.
    unsafe {
        let p = libc::malloc(size_of::<T>()).cast::<T>();
        if !p.is_null() {
            p.write(value);
        }
        p
    }
}

fn c_count(n: usize) -> c_int {
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

/// `records` as the core's metric tree. Allocation failures leave NULL entries, which the
/// core skips.
#[must_use]
pub fn to_c_metrics(records: &[Vec<(String, String)>]) -> *mut InnerPluginMetrics {
    let metrics: Vec<*mut InnerPluginMetric> = records
        .iter()
        .map(|record| {
            let kvs: Vec<*mut InnerKeyValue> = record
                .iter()
                .map(|(k, v)| {
                    malloc_one(InnerKeyValue {
                        key: malloc_cstr(k),
                        value: malloc_cstr(v),
                    })
                })
                .collect();
            malloc_one(InnerPluginMetric {
                key_values: malloc_array(&kvs),
                count: c_count(kvs.len()),
            })
        })
        .collect();
    malloc_one(InnerPluginMetrics {
        metrics: malloc_array(&metrics),
        count: c_count(metrics.len()),
    })
}

/// `alarms` as the core's alarm list.
#[must_use]
pub fn to_c_alarms(alarms: &[Alarm]) -> *mut InnerGoAlarms {
    let items: Vec<*mut InnerGoAlarm> = alarms
        .iter()
        .map(|a| {
            malloc_one(InnerGoAlarm {
                alarm_type: malloc_cstr(&a.alarm_type),
                alarm_level: malloc_cstr(a.level.as_code()),
                alarm_message: malloc_cstr(&a.message),
                project_name: malloc_cstr(&a.project),
                category: malloc_cstr(&a.logstore),
                config: malloc_cstr(&a.config),
                count: c_int::try_from(a.count).unwrap_or(c_int::MAX),
            })
        })
        .collect();
    malloc_one(InnerGoAlarms {
        alarms: malloc_array(&items),
        count: c_count(items.len()),
    })
}

#[cfg(test)]
pub(crate) mod read {
    //! Reading (and freeing, as the core does) what the getters return.
    use super::*;
    use std::ffi::CStr;

    /// # Safety
    /// `p` is NULL or a NUL-terminated malloc'd string; freed here.
    pub unsafe fn take_str(p: *mut c_char) -> String {
        if p.is_null() {
            return String::new();
        }
        // SAFETY: the caller's guarantee.
        unsafe {
            let s = CStr::from_ptr(p).to_string_lossy().into_owned();
            libc::free(p.cast());
            s
        }
    }

    /// # Safety
    /// `m` came from [`to_c_metrics`]; freed here as the core frees it.
    pub unsafe fn take_metrics(m: *mut InnerPluginMetrics) -> Vec<Vec<(String, String)>> {
        let mut out = Vec::new();
        // SAFETY: the layout written by `to_c_metrics`.
        unsafe {
            for i in 0..usize::try_from((*m).count).unwrap_or(0) {
                let pm = *(*m).metrics.add(i);
                let mut rec = Vec::new();
                for j in 0..usize::try_from((*pm).count).unwrap_or(0) {
                    let kv = *(*pm).key_values.add(j);
                    rec.push((take_str((*kv).key), take_str((*kv).value)));
                    libc::free(kv.cast());
                }
                libc::free((*pm).key_values.cast());
                libc::free(pm.cast());
                out.push(rec);
            }
            libc::free((*m).metrics.cast());
            libc::free(m.cast());
        }
        out
    }

    /// (type, level, message, config, count) of each alarm.
    ///
    /// # Safety
    /// `a` came from [`to_c_alarms`]; freed here as the core frees it.
    pub unsafe fn take_alarms(a: *mut InnerGoAlarms) -> Vec<(String, String, String, String, i32)> {
        let mut out = Vec::new();
        // SAFETY: the layout written by `to_c_alarms`.
        unsafe {
            for i in 0..usize::try_from((*a).count).unwrap_or(0) {
                let x = *(*a).alarms.add(i);
                let _ = take_str((*x).project_name);
                let _ = take_str((*x).category);
                out.push((
                    take_str((*x).alarm_type),
                    take_str((*x).alarm_level),
                    take_str((*x).alarm_message),
                    take_str((*x).config),
                    (*x).count,
                ));
                libc::free(x.cast());
            }
            libc::free((*a).alarms.cast());
            libc::free(a.cast());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::read::*;
    use super::*;
    use crate::host::alarms::Level;

    #[test]
    fn metric_records_round_trip_through_malloc_and_free() {
        let records = vec![
            vec![
                ("label.pipeline_name".to_owned(), "a/2".to_owned()),
                ("value.in_events_total".to_owned(), "12".to_owned()),
            ],
            vec![],
        ];
        // SAFETY: freshly built.
        let back = unsafe { take_metrics(to_c_metrics(&records)) };
        assert_eq!(back, records);
        // SAFETY: an empty tree is valid too.
        assert!(unsafe { take_metrics(to_c_metrics(&[])) }.is_empty());
    }

    #[test]
    fn alarms_carry_type_level_code_message_config_and_count() {
        let a = Alarm {
            alarm_type: "T".into(),
            level: Level::Critical,
            message: "m\0cut".into(),
            project: "p".into(),
            logstore: "l".into(),
            config: "c/1".into(),
            count: 3,
        };
        // SAFETY: freshly built.
        let back = unsafe { take_alarms(to_c_alarms(&[a])) };
        assert_eq!(
            back,
            vec![("T".into(), "3".into(), "m".into(), "c/1".into(), 3)]
        );
    }
}
