/*
 * The types the harness's C programs share with the library under test: cgo's exported Go
 * types (64-bit) and the getters' answers (`GetGoMetrics`, `GetGoAlarms`), laid out as
 * LoongCollector's core reads them.
 */
#ifndef PIPEPLUG_HARNESS_GO_TYPES_H
#define PIPEPLUG_HARNESS_GO_TYPES_H

typedef long long GoInt64;
typedef GoInt64 GoInt;
typedef struct {
    const char *p;
    GoInt64 n;
} GoString;
typedef struct {
    void *data;
    GoInt len;
    GoInt cap;
} GoSlice;

typedef struct {
    char *key;
    char *value;
} InnerKeyValue;
typedef struct {
    InnerKeyValue **keyValues;
    int count;
} InnerPluginMetric;
typedef struct {
    InnerPluginMetric **metrics;
    int count;
} InnerPluginMetrics;
typedef struct {
    char *alarmType;
    char *alarmLevel;
    char *alarmMessage;
    char *projectName;
    char *category;
    char *config;
    int count;
} InnerGoAlarm;
typedef struct {
    InnerGoAlarm **alarms;
    int count;
} InnerGoAlarms;

#endif
